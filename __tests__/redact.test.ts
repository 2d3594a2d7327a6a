/**
 * Redaction, as a property: whatever a text from the network holds around a secret, in
 * whatever form a URL, a form, JSON or a page carries it, and wherever a quote is cut,
 * nothing of the secret is left. The forms and the check are written here, not taken
 * from src/redact.ts.
 */
import * as fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLog } from '../src/log.ts';
import { cut, excerpt, redact, redactor, secretForms, secretValues, valuesAfter } from '../src/redact.ts';
import { describeFailure, CREATE_SERVICE, outcomeOf } from '../src/wechat.ts';

describe('redact', () => {
  it('removes secrets in raw, URL-encoded and form-encoded forms', () => {
    const secret = 'a+b/c d';
    expect(redact(`x ${secret} y a%2Bb%2Fc%20d z a%2Bb%2Fc+d`, [secret])).toBe('x *** y *** z ***');
  });

  it('and JSON-escaped, twice URL-encoded, lower-case percent-encoded and HTML-escaped', () => {
    const secret = 'p"w/1&<2>';
    expect(
      redact('p\\"w/1&<2> p%2522w%252F1%2526%253C2%253E p%22w%2f1%26%3c2%3e p&#34;w/1&#38;&#60;2&#62; p&quot;w/1&amp;&lt;2&gt;', [secret]),
    ).toBe('*** *** *** *** ***');
  });

  it.each([
    ['a query', 'GET /x?access_token=unknown-token&y=1', 'GET /x?access_token=***&y=1'],
    ['a query inside a query', 'login?next=%2Fx%3Faccess_token%3Dunknown-token%26y%3D1', 'login?next=%2Fx%3Faccess_token%3D***%26y%3D1'],
    [
      'a query inside a query inside a query',
      'a?b=%252Fx%253Faccess_token%253Dunknown-token%2526y',
      'a?b=%252Fx%253Faccess_token%253D***%2526y',
    ],
    ['an HTML link', '<a href="/x?a=1&amp;access_token=unknown-token&amp;b=2">', '<a href="/x?a=1&amp;access_token=***&amp;b=2">'],
    ['JSON', '{"access_token": "unknown-token", "x": 1}', '{"access_token": "***", "x": 1}'],
    ['escaped JSON', '{\\"component_access_token\\":\\"unknown-token\\"}', '{\\"component_access_token\\":\\"***\\"}'],
    [
      "JSON quoted in errmsg, in the answer's JSON",
      String.raw`{"errmsg":"bad request {\\\"access_token\\\":\\\"unknown-token\\\"}"}`,
      String.raw`{"errmsg":"bad request {\\\"access_token\\\":\\\"***\\\"}"}`,
    ],
    [
      'a query encoded four times',
      'a?b=%2525253Faccess_token%2525253Dunknown-token%25252526y',
      'a?b=%2525253Faccess_token%2525253D***%25252526y',
    ],
    ['any case', 'X?ACCESS_TOKEN=unknown-token', 'X?ACCESS_TOKEN=***'],
  ])('blanks an access_token it was not told about, in %s', (_, text, clean) => {
    expect(redact(text, [])).toBe(clean);
  });

  it('blanks an access_token in JSON written with space around the colon', () => {
    expect(redact('{"access_token" : "unknown-token"}', [])).toBe('{"access_token" : "***"}');
  });

  it('an empty secret masks nothing', () => {
    expect(redact('token abc', [''])).toBe('token abc');
  });

  it('replaces a longer secret before a shorter one it contains', () => {
    expect(redact('token-123456', ['123', 'token-123456'])).toBe('***');
  });

  it('masks overlapping occurrences as one, and occurrences side by side each', () => {
    expect(redact('ababab', ['abab'])).toBe('***');
    expect(redact('x-abcd-y', ['abc', 'bcd'])).toBe('x-***-y');
    expect(redact('abab', ['ab'])).toBe('******');
  });

  it('finds a secret that ends inside the beginning of a longer one: the second line of a secret after a short first line', () => {
    expect(redact('xabcy', ['abcd', 'bc'])).toBe('xa***y');
    expect(redact('xy\nefgh!', secretValues('xy\nefgh  '))).toBe('xy\n***!');
  });

  it('hides a secret with a lone surrogate (JSON.parse makes one of \\ud800) without throwing', () => {
    expect(redact('a \ud800abcd b', ['\ud800abcd'])).toBe('a *** b');
  });
});

describe('a secret quoted inside errmsg, inside the answer (issue 17)', () => {
  // A registry password with a quote, a backslash and a line break: `p"a\ss` and `w0rd-line2`.
  const password = 'p"a\\ss\nw0rd-line2';
  const request = JSON.stringify({ image_secret_info: { registry_server: 'ccr.ccs.tencentyun.com', user_name: 'u', password } });
  // WeChat quotes the request as a JSON string in errmsg; the answer is JSON again: the body escapes it three times.
  const body = JSON.stringify({ errcode: 40097, errmsg: `invalid args: request ${JSON.stringify(request)} rid: 1-2-3` });

  it('is blanked in the body as it came, escaped three times', () => {
    expect(body).toContain(String.raw`\\\"password\\\":\\\"p\\\\\\\"a\\\\\\\\ss\\\\nw0rd-line2\\\"`);
    expect(redact(body, secretValues(password))).toBe(
      String.raw`{"errcode":40097,"errmsg":"invalid args: request \"{\\\"image_secret_info\\\":{\\\"registry_server\\\":\\\"ccr.ccs.tencentyun.com\\\",\\\"user_name\\\":\\\"u\\\",\\\"password\\\":\\\"***\\\"}}\" rid: 1-2-3"}`,
    );
  });

  it('and in errmsg as the answer parses, escaped twice', () => {
    const errmsg = (JSON.parse(body) as { errmsg: string }).errmsg;
    expect(redact(errmsg, secretValues(password))).toBe(
      String.raw`invalid args: request "{\"image_secret_info\":{\"registry_server\":\"ccr.ccs.tencentyun.com\",\"user_name\":\"u\",\"password\":\"***\"}}" rid: 1-2-3`,
    );
  });

  it('line by line, each line in the same encoding as the value around it', () => {
    const apart = JSON.stringify({ errmsg: JSON.stringify(JSON.stringify({ user_name: 'p"a\\ss', hint: 'w0rd-line2' })) });
    expect(apart).toContain(String.raw`p\\\\\\\"a\\\\\\\\ss`);
    expect(redact(apart, secretValues(password))).toBe(
      String.raw`{"errmsg":"\"{\\\"user_name\\\":\\\"***\\\",\\\"hint\\\":\\\"***\\\"}\""}`,
    );
  });

  describe('and in the debug line of the answer, as client.ts writes it', () => {
    afterEach(() => vi.restoreAllMocks());

    it('shows the body with the password blanked', () => {
      const written: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
      const log = createLog();
      log.hide([password]);
      log.debug(`createcloudbaserunserverversion answer: HTTP 200 ${excerpt(body, log.clean, 4000)}`);
      expect(written.at(-1)).toBe(`::debug::createcloudbaserunserverversion answer: HTTP 200 "${redact(body, secretValues(password))}"\n`);
      expect(written.at(-1)).not.toContain('w0rd');
    });
  });
});

describe('secretForms', () => {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const nested = (text: string, depth: number): string => (depth === 0 ? text : nested(json(text), depth - 1));

  it('looks four levels deep: the three of issue 17, and one more wrapping on the way', () => {
    const secret = '"x\\y';
    for (const depth of [1, 2, 3, 4]) expect(redact(`<${nested(secret, depth)}>`, [secret])).toBe('<***>');
    expect(secretForms([secret])).not.toContain(nested(secret, 5));
  });

  it("mixes the encodings in any order: JSON in a URL, a URL in JSON, Python's JSON in JSON, Go's in a URL, JSON in a page in a form", () => {
    const secret = 'p"w 1&é';
    const chains = [
      encodeURIComponent(json(secret)).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
      json(encodeURIComponent(secret)),
      json(json(secret).replace(/[^\u0000-\u007e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)),
      encodeURIComponent(json(secret).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)),
      new URLSearchParams({ s: json(secret).replace(/&/g, '&amp;').replace(/"/g, '&quot;') }).toString().slice(2),
    ];
    for (const form of chains) expect(redact(`(${form})`, [secret])).toBe('(***)');
  });

  it('keeps the forms of the secrets hidden together within 2¹⁸ characters, a level at a time for all of them', () => {
    const [long, short] = ['"'.repeat(10_000), 'p"w\\1'];
    const forms = secretForms([long, short]);
    expect(forms).toEqual(expect.arrayContaining([long, short, json(long), json(short)]));
    expect(forms).not.toContain(json(json(short)));
    expect(forms.reduce((total, form) => total + form.length, 0)).toBeLessThanOrEqual(1 << 18);
    expect(secretForms(['x'.repeat(2_000_000)])).toEqual(['x'.repeat(2_000_000)]);
  });

  it('has none for an empty secret, and is what redactor masks', () => {
    expect(secretForms([''])).toEqual([]);
    expect(redactor(secretForms(['a b']))('a b a%20b a+b')).toBe('*** *** ***');
  });
});

describe('cut', () => {
  it('keeps a text of exactly max characters, and says how much it left out of a longer one', () => {
    expect(cut('abc', 3)).toBe('abc');
    expect(cut('abcd', 3)).toBe('abc… (1 more characters)');
  });
});

describe('valuesAfter', () => {
  it('finds a quoted value whole, spaces and all, and an unquoted one up to a separator', () => {
    expect(valuesAfter('{"password": "pass word here"}', 'password')).toEqual(['pass word here']);
    expect(valuesAfter('user=u&password=s3cret&x=1', 'password')).toEqual(['s3cret']);
  });

  it('finds a value in JSON written inside a JSON string, up to its escaped closing quote', () => {
    // An answer or input that quotes JSON: {"es_info":"{\"password\":\"inner-secret\",…}"}
    const text = JSON.stringify({ es_info: JSON.stringify({ password: 'inner-secret', port: 9200 }) });
    expect(valuesAfter(text, 'password')).toEqual(['inner-secret']);
  });

  it('keeps a backslash inside such a value, and finds one cut short before its closing quote', () => {
    const text = JSON.stringify({ es_info: JSON.stringify({ password: 'inner\\secret', port: 9200 }) });
    // As written in the text (4 backslashes), and as the inner JSON writes it (2).
    expect(valuesAfter(text, 'password')).toEqual(['inner\\\\\\\\secret', 'inner\\\\secret']);
    const cut = JSON.stringify({ es_info: JSON.stringify({ password: 'inner-secret' }) }).slice(0, -4);
    expect(valuesAfter(cut, 'password')).toEqual(['inner-secret\\']);
  });

  it('looks for the next key after the value it found, not inside it', () => {
    expect(valuesAfter('password=password=abcdef', 'password')).toEqual(['password=abcdef']);
  });

  it('skips values too short to be a secret', () => {
    expect(valuesAfter('password=abc', 'password')).toEqual([]);
    expect(valuesAfter('password=abcd', 'password')).toEqual(['abcd']);
  });

  it('takes the key literally', () => {
    expect(valuesAfter('{"a.b": "secret-1"}', 'a.b')).toEqual(['secret-1']);
    expect(valuesAfter('{"axb": "secret-1"}', 'a.b')).toEqual([]);
  });
});

describe('secretValues', () => {
  it('masks a multi-line secret whole and line by line, skipping lines too short to mean anything', () => {
    expect(secretValues('first-line\r\n  second-line \n\nab\nabcd')).toEqual([
      'first-line\r\n  second-line \n\nab\nabcd',
      'first-line',
      'second-line',
      'abcd',
    ]);
    expect(secretValues('one-line')).toEqual(['one-line']);
    expect(secretValues('')).toEqual([]);
  });

  it('is what the log registers: each line of a multi-line secret gets its own add-mask', () => {
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stdout.write;
    try {
      const log = createLog();
      log.hide(['-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----']);
      log.info('the second line alone: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    } finally {
      process.stdout.write = write;
    }
    expect(written).toEqual([
      '::add-mask::-----BEGIN KEY-----%0AMIIEvQIBADANBgkqhkiG9w0BAQEFAASC%0A-----END KEY-----\n',
      '::add-mask::-----BEGIN KEY-----\n',
      '::add-mask::MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n',
      '::add-mask::-----END KEY-----\n',
      'the second line alone: ***\n',
    ]);
  });
});

describe('redacted whole, then cut: no part of a secret survives a quote', () => {
  // The secret's alphabet and the filler's share no character: any run of the secret in a quote is a leak.
  const secret = fc.string({
    unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789_-'),
    minLength: 12,
    maxLength: 48,
  });
  const filler = fc.string({ unit: fc.constantFrom(...' <>/\\:;,.!()[]{}\n\t"\'|~^$'), maxLength: 400 });
  /** The forms a page or a URL carries a token in; `known` forms need the secret registered. */
  const forms: [string, boolean, (s: string) => string][] = [
    ['raw', true, (s) => s],
    ['URL-encoded', true, (s) => encodeURIComponent(`${s}+`)],
    ['twice URL-encoded', true, (s) => encodeURIComponent(encodeURIComponent(`${s}/`))],
    ['JSON-escaped', true, (s) => JSON.stringify(`${s}"`).slice(1, -1)],
    ['a query', false, (s) => `?access_token=${s}`],
    ['a query inside a query', false, (s) => `%3Faccess_token%3D${s}%26b%3D1`],
    ['a query in a query in a query', false, (s) => `%253Faccess_token%253D${s}`],
    ['an HTML link', false, (s) => `&amp;access_token=${s}&amp;x`],
    ['JSON', false, (s) => `{"access_token":"${s}"}`],
  ];
  const leftOf = (text: string, value: string) => {
    for (let i = 0; i + 6 <= value.length; i++) if (text.includes(value.slice(i, i + 6))) return value.slice(i, i + 6);
    return undefined;
  };

  it.each(forms)('%s', (_, known, form) => {
    fc.assert(
      fc.property(secret, filler, filler, fc.integer({ min: 1, max: 500 }), (value, before, after, max) => {
        const text = `${before}${form(value)}${after}`;
        const log = createLogQuietly(known ? [value] : []);
        const quotes = [
          excerpt(text, log.clean, max),
          describeFailure(CREATE_SERVICE, outcomeOf({ errcode: 89999, errmsg: text }, log.clean)),
          cut(log.clean(text), max),
        ];
        for (const quote of quotes) expect(leftOf(quote, value)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  /** A log whose secrets are `secrets`, registered without writing add-mask lines. */
  function createLogQuietly(secrets: string[]) {
    return { clean: (text: string) => redact(text, secrets) };
  }
});

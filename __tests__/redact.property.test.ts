/**
 * Redaction of a secret that a server echoes back encoded, as a property (SPEC §3: "in every
 * encoding a server can echo them in, to any depth … line by line"). A random secret goes
 * through a random chain of encodings, sits at a random place in a random answer, and then
 * through everything the action writes text with: log.clean, excerpt with a random cut,
 * every kind of log line (core is mocked to keep them), and callWeChat reading the answer
 * (its debug line of the raw body, its failure). None of them may show the secret raw, as it
 * was embedded, or any line of it long enough to be masked on its own, in the same encoding.
 *
 * The encodings are written here from what each server does, not taken from src/redact.ts.
 * The oracle is sound because each line of a secret holds a character that the answer around
 * it never holds: whatever shows such a character came from the secret, so no mix of the
 * answer, the mask and the action's own words can spell a form of it. For the same reason
 * the secrets hold no `*`: the mask itself, next to the answer's text, could spell one.
 */
import * as fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { callWeChat } from '../src/client.ts';
import { createLog } from '../src/log.ts';
import { excerpt } from '../src/redact.ts';
import { CREATE_SERVICE, describeFailure } from '../src/wechat.ts';

const logLines = vi.hoisted(() => [] as string[]);
vi.mock('@actions/core', async (importOriginal) => {
  const record = (kind: string) => (line: string) => void logLines.push(`${kind}${line}`);
  return {
    ...(await importOriginal<typeof import('@actions/core')>()),
    setSecret: () => undefined,
    info: record(''),
    error: record('error: '),
    warning: record('warning: '),
    notice: record('notice: '),
    debug: record('debug: '),
    setFailed: record('fail: '),
  };
});

const unicodeEscape = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;
const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A JSON string's body, one UTF-16 unit at a time; `escapes` says which others a writer escapes as \uXXXX. */
const json = (escapes: (unit: number) => boolean) => (text: string) =>
  text
    .split('')
    .map((c) => SHORT_ESCAPES[c] ?? (c.charCodeAt(0) < 0x20 || escapes(c.charCodeAt(0)) ? unicodeEscape(c.charCodeAt(0)) : c))
    .join('');

/** Percent-encoding of the UTF-8 bytes, keeping `unreserved` characters and writing a space as `space`. */
const percent = (unreserved: RegExp, space: string, hex: (digits: string) => string) => (text: string) =>
  [...new TextEncoder().encode(text)]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      if (c === ' ') return space;
      return byte < 0x80 && unreserved.test(c) ? c : `%${hex(byte.toString(16).toUpperCase().padStart(2, '0'))}`;
    })
    .join('');

const entities = (table: Record<string, string>) => (text: string) =>
  text
    .split('')
    .map((c) => table[c] ?? c)
    .join('');

// encodeURIComponent keeps A–Z a–z 0–9 - _ . ! ~ * ' ( ); application/x-www-form-urlencoded only A–Z a–z 0–9 * - . _
const URI_UNRESERVED = /[A-Za-z0-9\-_.!~*'()]/;
const ENCODINGS: Record<string, (text: string) => string> = {
  'percent-encoding': percent(URI_UNRESERVED, '%20', (digits) => digits),
  'percent-encoding, lower-case hex': percent(URI_UNRESERVED, '%20', (digits) => digits.toLowerCase()),
  'form-encoding': percent(/[A-Za-z0-9*\-._]/, '+', (digits) => digits),
  'JSON (JavaScript)': json(() => false),
  "JSON (Python's ensure_ascii)": json((unit) => unit > 0x7e),
  "JSON (Go's encoding/json)": json((unit) => '<>&'.includes(String.fromCharCode(unit)) || unit === 0x2028 || unit === 0x2029),
  'HTML, numeric': entities({ '&': '&#38;', '<': '&#60;', '>': '&#62;', '"': '&#34;', "'": '&#39;' }),
  'HTML, named': entities({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }),
};
const answerJson = ENCODINGS['JSON (JavaScript)'] ?? ((text: string) => text);
const applied = (chain: readonly string[], text: string) => chain.reduce((form, name) => ENCODINGS[name]?.(form) ?? form, text);

// Non-ASCII characters only secrets hold; the answer around them never does.
const ANCHORS = ['é', 'ß', '中', '😀', 'Ω'];
const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
// Everything an encoding changes: quotes, backslashes, %, &, <, >, +, spaces, tabs, DEL, non-ASCII, U+2028.
const SECRET_CHARS = [...printable.filter((c) => c !== '*'), '\t', '\u007f', 'ü', '€', '\u2028'];
const secretLine = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...SECRET_CHARS), maxLength: 8 }),
    fc.constantFrom(...ANCHORS),
    fc.string({ unit: fc.constantFrom(...SECRET_CHARS), maxLength: 8 }),
  )
  .map((parts) => parts.join(''));
const secret = fc
  .tuple(fc.array(secretLine, { minLength: 1, maxLength: 3 }), fc.constantFrom('\n', '\r\n'))
  .map(([parts, lineBreak]) => parts.join(lineBreak));

// The answer around the secret: any text, with the starts of escapes and parameters among it.
const answerText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...printable, '\n', '\r', '\t', '\u0000', '\u001b', 'ü', '\u2028'),
    fc.constantFrom('\\', '\\\\', '\\"', '%25', '%5C', '&amp;', '&#', '\\u00', 'access_token=', '::', '##['),
  ),
  maxLength: 60,
});
const chain = (maxLength: number) => fc.array(fc.constantFrom(...Object.keys(ENCODINGS)), { maxLength });

/** The lines of a multi-line secret that the runner masks on their own: trimmed, of 4 characters or more. */
const linesOf = (value: string) =>
  /[\r\n]/.test(value)
    ? value
        .split(/\r\n|\r|\n/)
        .map((line) => line.trim())
        .filter((line) => line.length >= 4)
    : [];

/**
 * What of the secret the answer echoes: all of it, or one line that is masked on its own
 * (trimmed, or with the white space around it). A shorter line is no secret by itself.
 */
const echoed = fc.tuple(fc.nat(), fc.boolean());
function pieceOf(value: string, [which, trimmed]: [number, boolean]): string {
  const lines = /[\r\n]/.test(value) ? value.split(/\r\n|\r|\n/).filter((line) => line.trim().length >= 4) : [];
  const pieces = [value, ...lines.map((line) => (trimmed ? line.trim() : line))];
  return pieces[which % pieces.length] ?? value;
}

/** What a reader could take for the secret: raw, encoded as echoed, and each line masked on its own, raw and encoded. */
function formsToFind(value: string, encode: (text: string) => string): string[] {
  const lines = linesOf(value);
  return [value, encode(value), ...lines, ...lines.map(encode)];
}

/** Everything the action writes about `text`, an answer's body, with `value` hidden. */
async function everythingWritten(value: string, text: string, max: number): Promise<string[]> {
  const log = createLog();
  log.hide([value]);
  const written = [log.clean(text), excerpt(text, log.clean, max)];
  log.debug(`getcslist answer: HTTP 200 ${excerpt(text, log.clean, 4000)}`);
  log.info(text);
  log.warning(text);
  log.error(text);
  log.notice(text);
  log.fail(text);
  const post = async () => ({ status: 200, statusText: 'OK', contentEncoding: '', text });
  const api = { base: new URL('http://127.0.0.1:9'), token: 't', timeoutSeconds: 1, maxAttempts: 1, log, post };
  try {
    const { outcome } = await callWeChat(api, CREATE_SERVICE, {});
    written.push(outcome.errmsg, describeFailure(CREATE_SERVICE, outcome));
  } catch (error) {
    written.push(String(error));
  }
  return [...written, ...logLines];
}

function shown(outputs: readonly string[], forms: readonly string[]): { output: string; form: string } | undefined {
  for (const output of outputs) for (const form of forms) if (output.includes(form)) return { output, form };
  return undefined;
}

describe('a secret echoed back encoded is shown nowhere', () => {
  it('in an answer that is not JSON, through a chain of up to four encodings', async () => {
    await fc.assert(
      fc.asyncProperty(
        secret,
        echoed,
        chain(4),
        answerText,
        answerText,
        fc.integer({ min: 1, max: 500 }),
        async (value, part, names, before, after, max) => {
          logLines.length = 0;
          const text = `${before}${applied(names, pieceOf(value, part))}${after}`;
          const outputs = await everythingWritten(value, text, max);
          const forms = formsToFind(value, (form) => applied(names, form));
          expect(shown(outputs, forms)).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it("in errmsg, through up to three encodings, then the answer's own JSON (as the HTTP body carries it)", async () => {
    await fc.assert(
      fc.asyncProperty(
        secret,
        echoed,
        chain(3),
        answerText,
        answerText,
        fc.integer({ min: 1, max: 500 }),
        async (value, part, names, before, after, max) => {
          logLines.length = 0;
          const body = JSON.stringify({ errcode: 40097, errmsg: `${before}${applied(names, pieceOf(value, part))}${after}`, rid: '1-2-3' });
          const outputs = await everythingWritten(value, body, max);
          const inErrmsg = formsToFind(value, (form) => applied(names, form));
          const inBody = formsToFind(value, (form) => answerJson(applied(names, form)));
          expect(shown(outputs, [...inErrmsg, ...inBody])).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });
});

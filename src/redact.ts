/**
 * Keeping secrets out of every text that leaves the process. Everything here runs in
 * linear time whatever the text holds: it is applied to answers from the network.
 */

export const MASK = '***';

// The runner drops empty lines of a multi-line secret; lines this short would mask ordinary text.
const MIN_SECRET_LINE = 4;

/**
 * The values to mask for one secret: the whole value and, for a value with line breaks,
 * each trimmed line long enough to mean something (the runner masks line by line).
 */
export function secretValues(secret: string): string[] {
  const values = secret === '' ? [] : [secret];
  if (/[\r\n]/.test(secret)) {
    for (const line of secret.split(/\r\n|\r|\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_SECRET_LINE) values.push(trimmed);
    }
  }
  return values;
}

/** Every form in which a URL, a form body, a JSON text or an HTML page can carry `secret`. */
export function secretForms(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const forms = [
    secret,
    uri,
    encodeURIComponent(uri),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    secret.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
    secret.replace(/[&<>"]/g, (c) => HTML_ENTITIES[c] ?? c),
  ];
  // Percent-encoding may come back with lower-case hex digits.
  forms.push(...forms.map((form) => form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())));
  return [...new Set(forms)].filter((form) => form !== '');
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * The value of any access_token parameter, whatever token it holds and however the URL
 * around it is encoded: `?access_token=…`, `%3Faccess_token%3D…` (a URL inside a query),
 * `%253D` (twice encoded), `&amp;access_token=…` (HTML), `"access_token":"…"` (JSON). The
 * value ends where the parameter would: at a separator, raw or encoded.
 */
const TOKEN_PARAMETER = /(access_token(?:=|%3D|%253D|\\u003d|&#61;|&#x3d;|\\?"\s{0,8}:\s{0,8}\\?"))(?:(?!%26|%2526)[^&\s"'#<>\\,;)\]}])+/gi;

/** `text` with every secret, in every form, and every access_token value replaced by ***. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  const forms = [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  for (const form of forms) clean = clean.split(form).join(MASK);
  return clean.replace(TOKEN_PARAMETER, `$1${MASK}`);
}

/**
 * A text from the network, made safe to quote on one line: redacted whole first (so a
 * secret cannot straddle the cut), then control characters and runs of white space
 * flattened, then cut to `max` characters.
 */
export function excerpt(text: string, clean: (text: string) => string, max = 160): string {
  const flat = clean(text)
    .replace(/[\u0000-\u001f\u007f\s]+/g, ' ')
    .trim();
  if (flat === '') return '(empty body)';
  return `"${cut(flat, max)}"`;
}

/** At most `max` characters of `text`, saying how much was left out. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/**
 * The values written after `key` in a text that may not parse: `"…key": "value"`,
 * `key=value`, a number, JSON cut short. Found by a scan that runs in linear time: for
 * the secrets in an answer before it is parsed, or in an input that is not valid JSON.
 */
export function valuesAfter(text: string, key: string): string[] {
  const values = new Set<string>();
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`${escaped}\\\\?"?\\s{0,8}[:=]\\s{0,8}(\\\\?")?`, 'gi');
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const from = match.index + match[0].length;
    let end = from;
    if (match[1] === '"') {
      // A JSON string: escaped characters, \" among them, belong to the value.
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    } else if (match[1] !== undefined) {
      // A JSON string inside a JSON string: it ends at the next \".
      while (end < text.length && !(text[end] === '\\' && text[end + 1] === '"')) end++;
    } else {
      while (end < text.length && !/[\s,;&"'<>{}[\]]/.test(text[end] ?? '')) end++;
    }
    // The next key is looked for after this value: each character is scanned once.
    pattern.lastIndex = Math.max(pattern.lastIndex, end);
    const value = text.slice(from, Math.min(end, text.length));
    if (value.length < MIN_SECRET_LINE) continue;
    values.add(value);
    try {
      values.add(JSON.parse(`"${value}"`) as string);
    } catch {
      // Not a complete JSON string: its written form is masked.
    }
  }
  return [...values];
}

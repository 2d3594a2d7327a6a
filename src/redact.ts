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

// encodeURIComponent throws on a lone surrogate (JSON.parse makes one of `\ud800`); URLSearchParams
// and a server reading the value as UTF-8 write U+FFFD for it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const percentEncoded = (text: string) => encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'));
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);
const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const FORM_ENCODED: Record<string, string> = { '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E', '%20': '+' };

/**
 * The ways a server writes a value into a URL, a form, a JSON string or a page. Each maps
 * the value character by character, so an encoded secret holds each of its lines encoded.
 */
const ENCODINGS: readonly ((text: string) => string)[] = [
  percentEncoded,
  (text) => percentEncoded(text).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  // A form body (URLSearchParams) also encodes the characters below that a URI component keeps, and a space as +.
  (text) => percentEncoded(text).replace(/[!'()~]|%20/g, (c) => FORM_ENCODED[c] ?? c),
  jsonEscaped,
  // Python's json.dumps (ensure_ascii) escapes every character beyond printable ASCII…
  (text) => jsonEscaped(text).replace(/[^\u0000-\u007e]/g, unicodeEscape),
  // …and Go's encoding/json the characters HTML and JavaScript treat specially.
  (text) => jsonEscaped(text).replace(/[<>&\u2028\u2029]/g, unicodeEscape),
  // HTML, with numeric entities (Go's html/template) and with named ones (Python's html.escape, PHP).
  (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
  (text) => text.replace(/[&<>"]/g, (c) => HTML_ENTITIES[c] ?? c),
];

/**
 * How many encodings deep a secret is looked for. Issue 17 showed three in a raw body: the
 * password in the request's JSON, the request quoted as a string in errmsg, errmsg in the
 * answer's JSON. Four leaves room for one more wrapping on the way: a field sent as a JSON
 * string (as env_params is), a gateway's page or redirect quoting the answer. The forms
 * multiply by up to eight with each level, which is why there is a bound at all.
 */
const DEPTH = 4;

/**
 * The most characters the forms of the secrets hidden together may take: room for every
 * chain of a secret of a few dozen characters that every encoding changes (about 165 000
 * characters) or of a PEM key (85 000); a password of the usual kind takes a few thousand.
 * The chains multiply (eight encodings, four deep), and a hostile answer to the token call
 * can name thousands of values to hide. The forms are found a level at a time for all the
 * secrets, so when the budget runs out each has the shallower levels (the raw forms always):
 * the work stays linear in what was hidden.
 */
const FORMS_BUDGET = 1 << 18;
/** The first level alone may take more: every encoding once of a secret of some 100 000 characters (a hostile JSON input). */
const FIRST_LEVEL_BUDGET = 1 << 20;

// The characters no encoding changes: a token made of them has one form (one hostile answer may name thousands).
const UNENCODED = /^[\w.*-]*$/;

/**
 * Every form in which a URL, a form body, a JSON text or an HTML page can carry each of
 * `secrets`, however they are nested: each chain of up to DEPTH encodings, applied to the
 * whole secret, level by level until the forms stop changing or fill FORMS_BUDGET.
 */
export function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set(secrets.filter((secret) => secret !== ''));
  let level = [...forms];
  let size = 0;
  for (let depth = 1; depth <= DEPTH; depth++) {
    const deeper: string[] = [];
    for (const form of level) {
      if (UNENCODED.test(form)) continue;
      for (const encode of ENCODINGS) {
        const encoded = encode(form);
        if (forms.has(encoded)) continue;
        size += encoded.length;
        // One encoding deep is what a request body or a page echoes most: it gets a larger share.
        if (size > (depth === 1 ? FIRST_LEVEL_BUDGET : FORMS_BUDGET)) return [...forms];
        forms.add(encoded);
        deeper.push(encoded);
      }
    }
    level = deeper;
  }
  return [...forms];
}

/**
 * The value of any access_token parameter, whatever token it holds and however the URL
 * around it is encoded: `?access_token=…`, `%3Faccess_token%3D…` (a URL inside a query),
 * `%253D` and deeper (encoded again), `&amp;access_token=…` (HTML), `"access_token":"…"`
 * (JSON), `\\\"access_token\\\":\\\"…` (JSON quoted in a JSON string, and deeper). The
 * value ends where the parameter would: at a separator, raw or encoded. Each repeat is
 * bounded (DEPTH levels), so every character is looked at a bounded number of times.
 */
const TOKEN_PARAMETER =
  /(access_token(?:=|%(?:25){0,3}3D|\\u003d|&#61;|&#x3d;|\\{0,15}"\s{0,8}:\s{0,8}\\{0,15}"))(?:(?!%(?:25){0,3}26)[^&\s"'#<>\\,;)\]}])+/gi;

/**
 * A function that replaces every occurrence of any of `forms` (secretForms of the secrets),
 * overlapping ones together, and every access_token value by ***. Built once, it reads a
 * text in one pass however many forms there are.
 */
export function redactor(forms: readonly string[]): (text: string) => string {
  const automaton = automatonOf(forms);
  return (text) => masked(text, spansIn(automaton, text)).replace(TOKEN_PARAMETER, `$1${MASK}`);
}

let lastRedactor: { secrets: string; clean: (text: string) => string } | undefined;

/**
 * `text` with every secret, in every form, and every access_token value replaced by ***.
 * Callers that keep their own list of secrets (a test's log) call this for every line:
 * the forms and the automaton are built again only when the list has changed.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const key = JSON.stringify(secrets);
  if (lastRedactor?.secrets !== key) lastRedactor = { secrets: key, clean: redactor(secretForms(secrets)) };
  return lastRedactor.clean(text);
}

/**
 * The forms as one Aho–Corasick automaton: a trie of their characters, with links that say
 * where a partial match goes on when the next character does not extend it. A text is read
 * once, each character in amortised constant time, whatever it repeats of the forms' beginnings.
 */
interface Automaton {
  /** The root's edges by character: every form starts there. */
  root: Int32Array;
  /** Every other node's children, as a list: the character into each, its parent, its next sibling. */
  code: Uint16Array;
  parent: Int32Array;
  child: Int32Array;
  sibling: Int32Array;
  /** How many children a node has, and for one with more than FEW, its children by character. */
  children: Int32Array;
  wide: Map<number, Map<number, number>>;
  /** The node of the longest proper suffix of this node's text that is in the trie. */
  fail: Int32Array;
  /** The length of the longest form that ends this node's text (0: none). */
  longest: Int32Array;
}

// The encodings of one secret part ways at a few characters; values from a hostile answer may
// part ways at thousands. Beyond FEW children a node looks its children up instead of listing them.
const FEW = 8;

function automatonOf(forms: readonly string[]): Automaton {
  const size = 1 + forms.reduce((total, form) => total + form.length, 0);
  const trie: Automaton = {
    root: new Int32Array(0x10000),
    code: new Uint16Array(size),
    parent: new Int32Array(size),
    child: new Int32Array(size),
    sibling: new Int32Array(size),
    children: new Int32Array(size),
    wide: new Map(),
    fail: new Int32Array(size),
    longest: new Int32Array(size),
  };
  let nodes = 1;
  for (const form of forms) {
    let node = 0;
    for (let i = 0; i < form.length; i++) {
      const c = form.charCodeAt(i);
      let next = edge(trie, node, c);
      if (next === 0) {
        next = nodes++;
        addChild(trie, node, next, c);
      }
      node = next;
    }
    trie.longest[node] = form.length;
  }
  linkFailures(trie, nodes);
  return trie;
}

function addChild(trie: Automaton, node: number, next: number, c: number): void {
  trie.code[next] = c;
  trie.parent[next] = node;
  if (node === 0) {
    trie.root[c] = next;
    return;
  }
  trie.sibling[next] = trie.child[node] ?? 0;
  trie.child[node] = next;
  const count = (trie.children[node] ?? 0) + 1;
  trie.children[node] = count;
  if (count === FEW + 1) {
    const byCode = new Map<number, number>();
    for (let child = next; child !== 0; child = trie.sibling[child] ?? 0) byCode.set(trie.code[child] ?? 0, child);
    trie.wide.set(node, byCode);
  } else if (count > FEW + 1) trie.wide.get(node)?.set(c, next);
}

/** The failure links, breadth first: a node's link is found from its parent's, which is shallower. */
function linkFailures(trie: Automaton, nodes: number): void {
  const queue = new Int32Array(nodes);
  let tail = 0;
  for (const first of trie.root) if (first !== 0) queue[tail++] = first;
  for (let head = 0; head < tail; head++) {
    const node = queue[head] ?? 0;
    const parent = trie.parent[node] ?? 0;
    let fail = 0;
    if (parent !== 0) fail = advance(trie, trie.fail[parent] ?? 0, trie.code[node] ?? 0);
    trie.fail[node] = fail;
    if (trie.longest[node] === 0) trie.longest[node] = trie.longest[fail] ?? 0;
    for (let child = trie.child[node] ?? 0; child !== 0; child = trie.sibling[child] ?? 0) queue[tail++] = child;
  }
}

/** The child of `node` along character `c`, or 0 (the root is no one's child). */
function edge(trie: Automaton, node: number, c: number): number {
  if (node === 0) return trie.root[c] ?? 0;
  if ((trie.children[node] ?? 0) > FEW) return trie.wide.get(node)?.get(c) ?? 0;
  for (let child = trie.child[node] ?? 0; child !== 0; child = trie.sibling[child] ?? 0) if (trie.code[child] === c) return child;
  return 0;
}

/** Where the automaton goes from `node` on character `c`: the longest suffix that `c` extends. */
function advance(trie: Automaton, node: number, c: number): number {
  for (let at = node; ; at = trie.fail[at] ?? 0) {
    const next = edge(trie, at, c);
    if (next !== 0 || at === 0) return next;
  }
}

/** Where the forms occur in `text`, as [start, end) pairs, overlapping occurrences merged. */
function spansIn(trie: Automaton, text: string): number[] {
  const spans: number[] = [];
  let node = 0;
  for (let i = 0; i < text.length; i++) {
    node = advance(trie, node, text.charCodeAt(i));
    const length = trie.longest[node] ?? 0;
    if (length === 0) continue;
    // A longer form may reach back over spans found before: it swallows them.
    let start = i + 1 - length;
    while (spans.length > 0 && (spans[spans.length - 1] ?? 0) > start) {
      spans.pop();
      start = Math.min(start, spans.pop() ?? start);
    }
    spans.push(start, i + 1);
  }
  return spans;
}

/** `text` with each span replaced by MASK. */
function masked(text: string, spans: readonly number[]): string {
  if (spans.length === 0) return text;
  let clean = '';
  let from = 0;
  for (let i = 0; i < spans.length; i += 2) {
    clean += `${text.slice(from, spans[i])}${MASK}`;
    from = spans[i + 1] ?? text.length;
  }
  return clean + text.slice(from);
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
      SEPARATOR.lastIndex = from;
      end = SEPARATOR.exec(text)?.index ?? text.length;
    }
    // The next key is looked for after this value: each character is scanned once.
    pattern.lastIndex = Math.max(pattern.lastIndex, end);
    const value = text.slice(from, Math.min(end, text.length));
    if (value.length < MIN_SECRET_LINE) continue;
    values.add(value);
    // Not a complete JSON string (cut short, or not JSON at all): its written form is masked.
    // Checked first, as throwing for each of thousands of values would take seconds.
    if (JSON_STRING_BODY.test(value)) values.add(JSON.parse(`"${value}"`) as string);
  }
  return [...values];
}

// Where a value that is not quoted ends.
const SEPARATOR = /[\s,;&"'<>{}[\]]/g;
const JSON_STRING_BODY = /^(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*$/;

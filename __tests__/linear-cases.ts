/**
 * The cases of linear.test.ts: every function that handles text from the network, and the
 * shapes of text that make a backtracking pattern blow up. Run in a worker thread, so that
 * a function that never ends fails its test instead of hanging the suite.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { callWeChat } from '../src/client.ts';
import { inert } from '../src/log.ts';
import { excerpt, redactor, secretForms, secretValues } from '../src/redact.ts';
import {
  COMPONENT_TOKEN,
  CREATE_SERVICE,
  describeFailure,
  LIST_SERVICES,
  outcomeOf,
  ridOf,
  tcbCodeOf,
  tokensIn,
  withoutRid,
} from '../src/wechat.ts';
import { recordingLog } from './fixtures.ts';

const SIZE = 1_000_000;
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

/** Secrets with every character an encoding changes: a quote, a backslash, %, spaces, non-ASCII, a line break. */
const SECRETS = ['a-secret-of-some-length', 'p%w', 'p"a\\ss\nw0rd-line2', `pässwörd <&> "x" %20 +y'z`, '\\\\server\\share %25 \u2028'];
const FORMS = secretForms(SECRETS.flatMap(secretValues));
// The longest form: four encodings deep, each one longer than the one before.
const DEEPEST = FORMS.reduce((longest, form) => (form.length > longest.length ? form : longest));

export const SHAPES: Record<string, string> = {
  'white space': fill(' '),
  'white space and tabs, then a word': `${fill(' \t')}x`,
  'commas and spaces': fill(', '),
  'rid: without an id': fill('rid: '),
  'rid:, no space': fill('rid:'),
  'an almost-rid after white space': `x rid:${fill(' ')}`,
  'requestIP: repeated': fill('requestIP: '),
  'an almost-IP': fill('1.'),
  digits: fill('9'),
  'TcbCode: [ unclosed': fill('TcbCode: ['),
  'access_token= repeated': fill('access_token='),
  'access_token%3D repeated': fill('access_token%3D'),
  'a token key repeated': fill('token":"'),
  'token= chained': fill('token='),
  backslashes: fill('\\'),
  'percent signs': fill('%'),
  quotes: fill('"'),
  'control characters': fill('\u0000\u001b\u2028'),
  'command markers': fill('::##['),
  letters: fill('a'),
  'backslashes before a quote': fill('\\\\\\\\\\\\\\\\"'),
  'escaped escapes': fill('\\\\u00'),
  'percent-encoded percent signs': fill('%25'),
  'percent-encoded backslashes': fill('%5C'),
  'HTML numeric entity starts': fill('&#'),
  'HTML named entities': fill('&amp;'),
  'access_token before a run of backslashes': `access_token${fill('\\')}`,
  'access_token in JSON in JSON, repeated': fill('access_token\\\\\\":\\\\\\"'),
  'access_token= before percent-encoded percent signs': `access_token=${fill('%25')}`,
  "a secret's deepest form, cut short, repeated": fill(DEEPEST.slice(0, -1)),
  "a secret's forms, each repeated": fill(FORMS.join(' ')),
  // A token answer names every value after a token key as a secret to hide, each with its forms.
  'a token value that every encoding changes': `token=${fill('%\\é+')}`,
  'many such token values': Array.from({ length: SIZE / 10 }, (_, i) => `token=%\\é+${i}`)
    .join(' ')
    .slice(0, SIZE),
  // Thousands of values that differ only in their last character: one node of the trie with thousands of children.
  'many token values with one start': Array.from({ length: SIZE / 10 }, (_, i) => `token=abc${String.fromCharCode(0x4e00 + (i % 20_000))}`)
    .join(' ')
    .slice(0, SIZE),
};

const clean = redactor(FORMS);
const answering = (text: string) => async () => ({ status: 200, statusText: 'OK', contentEncoding: '', text });
/** A whole answer as callWeChat reads it: JSON.parse, the schema, the token scan, the excerpt and the debug line. */
const read = (call: typeof LIST_SERVICES | typeof COMPONENT_TOKEN, body: string) =>
  callWeChat(
    { base: new URL('http://127.0.0.1:9'), token: 't', timeoutSeconds: 1, maxAttempts: 1, log: recordingLog(), post: answering(body) },
    call,
    {},
  ).catch(() => undefined);

export const FUNCTIONS: Record<string, (text: string) => unknown> = {
  ridOf,
  withoutRid,
  tcbCodeOf,
  tokensIn,
  redact: clean,
  excerpt: (text) => excerpt(text, clean),
  inert,
  'outcomeOf (errmsg and rid)': (text) => outcomeOf({ errcode: 1, errmsg: text }, clean),
  'describeFailure (an undocumented errcode)': (text) =>
    describeFailure(CREATE_SERVICE, outcomeOf({ errcode: 89999, errmsg: text }, clean)),
  'describeFailure (61004: the IP)': (text) => describeFailure(CREATE_SERVICE, outcomeOf({ errcode: 61004, errmsg: text }, clean)),
  'callWeChat reading it as a body': (text) => read(LIST_SERVICES, text),
  'callWeChat reading it as an errmsg': (text) => read(LIST_SERVICES, JSON.stringify({ errcode: 89999, errmsg: text })),
  'callWeChat reading it as a token answer': (text) => read(COMPONENT_TOKEN, text),
};

// In the worker: time each shape through one function, reporting each as it ends.
if (parentPort !== null && workerData !== undefined) {
  const handle = FUNCTIONS[(workerData as { name: string }).name];
  for (const [shape, text] of Object.entries(SHAPES)) {
    const started = performance.now();
    await handle?.(text);
    parentPort.postMessage({ shape, ms: performance.now() - started });
  }
}

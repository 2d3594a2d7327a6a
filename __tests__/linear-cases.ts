/**
 * The cases of linear.test.ts: every function that handles text from the network, and the
 * shapes of text that make a backtracking pattern blow up. Run in a worker thread, so that
 * a function that never ends fails its test instead of hanging the suite.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { callWeChat } from '../src/client.ts';
import { inert } from '../src/log.ts';
import { excerpt, redact } from '../src/redact.ts';
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
};

const SECRETS = ['a-secret-of-some-length', 'p%w'];
const clean = (text: string) => redact(text, SECRETS);
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

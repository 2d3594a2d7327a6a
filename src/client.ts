import { CallFailed, DeadlinePassed, NotRetried, OutcomeUnknown } from './errors.ts';
import { postJson, TransportError, type HttpAnswer } from './http.ts';
import { DEFAULT_API_BASE_URL } from './inputs.ts';
import type { Log } from './log.ts';
import { proxyFor } from './proxy.ts';
import { excerpt } from './redact.ts';
import { COMPONENT_TOKEN, endpoint, isBusy, outcomeOf, withAccessToken, type Call, type Outcome, type WeChatAnswer } from './wechat.ts';

/** Where and how this run calls WeChat. */
export interface Api {
  base: URL;
  /** The component_access_token; undefined only for the token call itself. */
  token: string | undefined;
  timeoutSeconds: number;
  maxAttempts: number;
  log: Log;
  post?: typeof postJson;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /**
   * Set by a wait (wait.ts): the time (as `now` gives it) after which no attempt, retry or
   * backoff starts; an attempt in flight then gets at most LAST_READ_MS more.
   */
  deadline?: number;
}

/** The most an attempt started by the deadline may run past it: a wait ends within about a second of it. */
export const LAST_READ_MS = 1000;
/** How late a timer may fire (Node promises none): the read at the deadline is not lost to it. */
const TIMER_SLACK_MS = 100;

const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 10_000;

/** Exponential backoff with jitter: 0.5–1 s, 1–2 s, 2–4 s …, never above 10 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits before attempt `attempt + 1`, saying why; never past a wait's deadline. */
async function pause(api: Api, attempt: number, of: number, why: string, call: string): Promise<void> {
  const wait = backoffMs(attempt, api.random);
  if (api.deadline !== undefined && clockOf(api)() + wait > api.deadline) throw new DeadlinePassed(call);
  api.log.info(`${why}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${of})`);
  await (api.sleep ?? sleepFor)(wait);
}

const clockOf = (api: Api) => api.now ?? Date.now;

/** The time an attempt may take: timeout_seconds, cut at a wait's deadline (SPEC §3). */
function attemptMs(api: Api, call: string): number {
  const timeout = api.timeoutSeconds * 1000;
  if (api.deadline === undefined) return timeout;
  const now = clockOf(api)();
  // The wait's last timer, set to end at the deadline, may fire a little late: its read still starts.
  if (now > api.deadline + TIMER_SLACK_MS) throw new DeadlinePassed(call);
  return Math.min(timeout, api.deadline + LAST_READ_MS - now);
}

export interface Answered<A> {
  answer: A;
  outcome: Outcome;
  /** Attempts used in all, toward max_attempts. */
  attempts: number;
}

/**
 * POSTs to one call and reads WeChat's answer, within max_attempts (of which `used` were
 * spent already, by earlier sends of the same write). It retries where
 * repeating cannot do anything twice: the request never left, WeChat answered -1 (busy),
 * or the call only reads. A write that was sent and got no WeChat answer throws
 * OutcomeUnknown: only a read of what is there can tell what happened (see `writeOnce`).
 */
export async function callWeChat<A extends WeChatAnswer>(api: Api, call: Call<A>, body: unknown, used = 0): Promise<Answered<A>> {
  const budget = api.maxAttempts;
  const { log } = api;
  const where = endpoint(api.base, call);
  const url = api.token === undefined ? where : withAccessToken(where, api.token);
  const payload = JSON.stringify(body);
  const proxy = proxyFor(where);
  const via = proxy === undefined ? '' : ` via proxy ${proxy.host}`;

  for (let attempt = used + 1; ; attempt++) {
    const more = attempt < budget;
    // Writes are shown; reads (lookups, polls) only when debugging: the story says what they found.
    (call.writes ? log.info : log.debug)(`POST ${where.href}${via}${budget > 1 ? ` (attempt ${attempt} of ${budget})` : ''}`);
    log.debug(`${call.name} request body: ${payload}`);
    let http: HttpAnswer;
    try {
      http = await (api.post ?? postJson)(url, payload, attemptMs(api, call.failed));
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      // A read cut at a wait's deadline ends the wait; a write's outcome stays unknown (waits only read).
      if (!call.writes && api.deadline !== undefined && clockOf(api)() >= api.deadline) throw new DeadlinePassed(call.failed);
      const tried = attempt > 1 ? ` on ${attempt} attempts` : '';
      if (!error.sent) {
        if (more) {
          await pause(api, attempt, budget, `Could not reach ${where.host} (${error.message})`, call.failed);
          continue;
        }
        throw new CallFailed(
          `${call.failed}: could not reach ${where.href} (${error.message})${tried}: check api_base_url, the runner's network and HTTPS_PROXY`,
        );
      }
      const why = `the request was sent to ${where.href}, then ${error.message}`;
      if (call.writes) throw new OutcomeUnknown(call.failed, why, attempt);
      if (more) {
        await pause(api, attempt, budget, `No answer from ${where.host} (${error.message})`, call.failed);
        continue;
      }
      throw new CallFailed(`${call.failed}: ${why}${tried}: check the runner's network and api_base_url, then run the job again`);
    }

    // A secret in the answer (the token call's) is masked before anything about the answer is printed.
    if (call.secretsInAnswer !== undefined) log.hide(call.secretsInAnswer(http.text));
    log.debug(`${call.name} answer: HTTP ${http.status} ${excerpt(http.text, log.clean, 4000)}`);
    const read = readAnswer(call, where, http, log.clean);
    if (!read.ok) {
      if (call.writes) throw new OutcomeUnknown(call.failed, read.problem, attempt);
      // SPEC §3: a 3xx or 4xx page (429 aside) will not change on a second try: most often api_base_url has a wrong path.
      // A 5xx or 429 is a gateway's passing fault, and a 2xx that is not WeChat's answer most likely one cut short: both are tried again.
      if (http.status >= 300 && http.status < 500 && http.status !== 429) {
        throw new NotRetried(
          `${call.failed}: ${read.problem}: check api_base_url: it must be the API's base (e.g. ${DEFAULT_API_BASE_URL})` +
            (http.status === 404 ? ', and a 404 usually means a wrong path in it' : ''),
        );
      }
      if (more) {
        await pause(api, attempt, budget, `No WeChat answer from ${where.host} (HTTP ${http.status})`, call.failed);
        continue;
      }
      throw new CallFailed(`${call.failed}: ${read.problem}${attempt > 1 ? ` [${attempt} attempts]` : ''}`);
    }
    if (isBusy(read.answer.errcode) && more) {
      await pause(api, attempt, budget, 'WeChat is busy (errcode -1)', call.failed);
      continue;
    }
    return { answer: read.answer, outcome: outcomeOf(read.answer, log.clean), attempts: attempt };
  }
}

type Read<A> = { ok: true; answer: A } | { ok: false; problem: string };

function readAnswer<A>(call: Call<A & WeChatAnswer>, where: URL, http: HttpAnswer, clean: (text: string) => string): Read<A> {
  const from = `HTTP ${http.status}${http.statusText !== '' ? ` ${http.statusText}` : ''} from ${where.href}`;
  const quoted = () => excerpt(http.text, clean);
  let json: unknown;
  try {
    json = JSON.parse(http.text);
  } catch {
    return { ok: false, problem: `${from}, and the body is not JSON (${whyNotJson(http)}): ${quoted()}` };
  }
  const parsed = call.answer.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const problem =
      typeof json !== 'object' || json === null || Array.isArray(json)
        ? 'it is not a JSON object'
        : issue === undefined || issue.path.length === 0
          ? (issue?.message ?? 'unreadable')
          : `${issue.path.join('.')} is not ${issue.code === 'invalid_type' ? `a ${issue.expected}` : 'valid'}`;
    return { ok: false, problem: `${from}, and the body is not a WeChat answer (${problem}): ${quoted()}` };
  }
  return { ok: true, answer: parsed.data as A };
}

/** Why a body that may look like JSON in an excerpt did not parse. */
function whyNotJson(http: HttpAnswer): string {
  const encoding = http.contentEncoding.trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    return `it is compressed (Content-Encoding: ${encoding.slice(0, 40)}), which the action did not ask for: a gateway between the runner and WeChat changed it`;
  }
  if (http.text.startsWith('\u001f\ufffd')) return 'it looks gzip-compressed, without a Content-Encoding header';
  if (http.text.startsWith('\ufeff')) return 'it starts with a byte-order mark (U+FEFF), which JSON does not allow';
  if (http.text.trim() === '') return 'it is empty';
  return 'it does not parse';
}

/** A read of what is there after a write whose outcome is unknown: did the write happen? */
export type ReadBack = () => Promise<boolean>;

export interface Written<A> {
  /** WeChat's answer; undefined when it was lost and a read showed the write happened. */
  answered: Answered<A> | undefined;
  attempts: number;
  /** Why the answer was lost, when a read showed the write happened anyway. */
  lost?: string;
}

/**
 * A write that is never done twice (SPEC §3): when its outcome is unknown, `readBack`
 * looks at what is there, and the write is repeated, within max_attempts, only when it
 * did not happen. When the read fails too, the step fails saying the outcome is unknown.
 */
export async function writeOnce<A extends WeChatAnswer>(api: Api, call: Call<A>, body: unknown, readBack: ReadBack): Promise<Written<A>> {
  let used = 0;
  for (;;) {
    let unknown: OutcomeUnknown;
    try {
      const answered = await callWeChat(api, call, body, used);
      return { answered, attempts: answered.attempts };
    } catch (error) {
      if (!(error instanceof OutcomeUnknown)) throw error;
      unknown = error;
    }
    used = unknown.attempts;
    api.log.info(`Outcome unknown: ${unknown.why}. Looking at what is there before anything else.`);
    let happened: boolean;
    try {
      happened = await readBack();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CallFailed(
        `${unknown.message}; the read that would tell what happened failed too (${reason}): check the CloudBase console before running again`,
      );
    }
    if (happened) return { answered: undefined, attempts: used, lost: unknown.why };
    if (used >= api.maxAttempts) {
      throw new CallFailed(
        `${call.failed}: no answer on ${used} attempt${used > 1 ? 's' : ''} (the last: ${unknown.why}); ` +
          (call.idempotent === true
            ? 'a read after each did not show it yet, but WeChat may still apply it (it takes a while to show): ' +
              'look at the service in the CloudBase console, then run again (the same change twice is one)'
            : 'a read after each showed it had not happened, so nothing changed: run the job again'),
      );
    }
    await pause(api, used, api.maxAttempts, 'The read shows it did not happen', call.failed);
  }
}

/**
 * For a dry run: the request exactly as it would be sent, with the token and every
 * `password` field shown as ***.
 */
export function showRequest(log: Log, base: URL, call: Call, body: unknown): void {
  const where = endpoint(base, call).href + (call.path === COMPONENT_TOKEN.path ? '' : '?access_token=***');
  log.info(`Would POST ${where} with:`);
  for (const line of JSON.stringify(body, hidePasswords, 2).split('\n')) log.info(line);
}

const SECRET_FIELDS = new Set(['password', 'component_appsecret', 'component_verify_ticket']);

function hidePasswords(key: string, value: unknown): unknown {
  return SECRET_FIELDS.has(key) && typeof value === 'string' ? '***' : value;
}

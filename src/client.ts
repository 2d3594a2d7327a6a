import * as z from 'zod/mini';
import { CallFailed } from './errors.ts';
import { postJson, TransportError, type HttpAnswer } from './http.ts';
import type { Inputs } from './inputs.ts';
import { proxyFor } from './proxy.ts';
import {
  COMPONENT_TOKEN,
  CREATE_SERVICE,
  createAnswerSchema,
  createServiceBody,
  describeFailure,
  endpoint,
  isBusy,
  outcomeOf,
  tokenAnswerSchema,
  withAccessToken,
  type Call,
  type Outcome,
} from './wechat.ts';

export interface CallOptions {
  timeoutSeconds: number;
  maxAttempts: number;
  log: (line: string) => void;
  post?: typeof postJson;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 10_000;

/** Exponential backoff with jitter: 0.5–1 s, 1–2 s, 2–4 s …, never above 10 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Created {
  outcome: Outcome;
  attempts: number;
}

export async function createCloudbaseService(inputs: Inputs, token: string, options: CallOptions): Promise<Created> {
  const { answer, attempts } = await callWeChat(
    CREATE_SERVICE,
    createAnswerSchema,
    inputs.apiBaseUrl,
    token,
    createServiceBody(inputs.service),
    options,
  );
  return { outcome: outcomeOf(answer), attempts };
}

/** Exchanges the platform's credentials for a component_access_token (SPEC §1). */
export async function obtainComponentToken(
  credentials: { appid: string; appsecret: string; verifyTicket: string },
  apiBaseUrl: URL,
  options: CallOptions,
): Promise<string> {
  const body = {
    component_appid: credentials.appid,
    component_appsecret: credentials.appsecret,
    component_verify_ticket: credentials.verifyTicket,
  };
  const { answer, attempts } = await callWeChat(COMPONENT_TOKEN, tokenAnswerSchema, apiBaseUrl, undefined, body, options);
  if (answer.component_access_token !== undefined && answer.component_access_token !== '') {
    return answer.component_access_token;
  }
  const outcome = outcomeOf(answer);
  if (outcome.errcode === 0) {
    throw new CallFailed(`${COMPONENT_TOKEN.failed}: WeChat answered without a component_access_token`);
  }
  throw new CallFailed(describeFailure(COMPONENT_TOKEN, outcome, attempts), outcome);
}

/**
 * POSTs to one call, retrying only where WeChat cannot have acted: the request never
 * left (connection refused, DNS failure) or WeChat answered -1 (busy).
 */
async function callWeChat<T extends z.ZodMiniType<{ errcode?: number | undefined }>>(
  call: Call,
  schema: T,
  apiBaseUrl: URL,
  token: string | undefined,
  body: unknown,
  options: CallOptions,
): Promise<{ answer: z.output<T>; attempts: number }> {
  const { post = postJson, sleep = sleepFor, random = Math.random, log, maxAttempts } = options;
  const where = endpoint(apiBaseUrl, call);
  const url = token === undefined ? where : withAccessToken(where, token);
  const payload = JSON.stringify(body);
  const retry = async (attempt: number, why: string) => {
    const wait = backoffMs(attempt, random);
    log(`${why}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${maxAttempts})`);
    await sleep(wait);
  };

  const proxy = proxyFor(where);
  const via = proxy === undefined ? '' : ` via proxy ${proxy.host}`;
  for (let attempt = 1; ; attempt++) {
    log(`POST ${where.href}${via}${maxAttempts > 1 ? ` (attempt ${attempt} of ${maxAttempts})` : ''}`);
    let http: HttpAnswer;
    try {
      http = await post(url, payload, options.timeoutSeconds * 1000);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      if (error.sent) throw new CallFailed(outcomeUnknown(call, where, error));
      if (attempt >= maxAttempts) {
        throw new CallFailed(
          `${call.failed}: could not reach ${where.href} (${error.message})` +
            `${attempt > 1 ? ` on ${attempt} attempts` : ''}: check api_base_url, the runner's network and HTTPS_PROXY`,
        );
      }
      await retry(attempt, `Could not reach ${where.host} (${error.message})`);
      continue;
    }
    const answer = readAnswer(call, where, http, schema);
    if (isBusy(answer.errcode) && attempt < maxAttempts) {
      await retry(attempt, 'WeChat is busy (errcode -1)');
      continue;
    }
    return { answer, attempts: attempt };
  }
}

function outcomeUnknown(call: Call, where: URL, error: TransportError): string {
  return (
    `${call.failed}: outcome unknown: the request was sent to ${where.href}, then ${error.message}.` +
    (call.createsSomething
      ? ' It was not retried, so as not to create the service twice: check the CloudBase console before running again.'
      : '')
  );
}

function readAnswer<T extends z.ZodMiniType>(call: Call, where: URL, http: HttpAnswer, schema: T): z.output<T> {
  const from = `HTTP ${http.status}${http.statusText !== '' ? ` ${http.statusText}` : ''} from ${where.href}`;
  const unknownOutcome = call.createsSomething
    ? ' The outcome is unknown: check the CloudBase console before running again.'
    : '';
  let json: unknown;
  try {
    json = JSON.parse(http.text);
  } catch {
    throw new CallFailed(`${call.failed}: ${from}, and the body is not JSON: ${excerpt(http.text)}.${unknownOutcome}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const problem =
      issue === undefined || issue.path.length === 0
        ? 'it is not a JSON object'
        : `${issue.path.join('.')} is not ${issue.code === 'invalid_type' ? `a ${issue.expected}` : 'valid'}`;
    throw new CallFailed(
      `${call.failed}: ${from}, and the body is not a WeChat answer (${problem}): ${excerpt(http.text)}.${unknownOutcome}`,
    );
  }
  return parsed.data;
}

const EXCERPT_CHARS = 160;

/** A short, single-line view of a body for an error message; redaction happens where messages are printed. */
export function excerpt(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return `"${flat.slice(0, EXCERPT_CHARS)}${flat.length > EXCERPT_CHARS ? '…' : ''}"`;
}

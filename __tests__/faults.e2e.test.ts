/**
 * The fault matrix: the bundled action against the fake WeChat API misbehaving in every
 * way the network and WeChat can. For each fault: the exit code, the kind of failure line,
 * how many requests WeChat saw (never a second create after one it may have processed),
 * that the step ends within timeout_seconds × max_attempts plus backoff, and no leak.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { closedPort, CREATE_PATH, startFakeWeChat, type Fault, type FakeWeChat } from '../tools/fake-wechat.ts';
import { runAction, type ActionRun } from '../tools/run-action.ts';
import { errors, expectCleanRun, infos } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const TIMEOUT_SECONDS = 1;
const MAX_ATTEMPTS = 3;
// Backoff before attempts 2 and 3 is at most 1 s and 2 s; a Node process starts well within the slack.
const BUDGET_MS = (TIMEOUT_SECONDS * MAX_ATTEMPTS + 1 + 2) * 1000 + 3000;

let fake: FakeWeChat;
let refusedUrl: string;
let runs: ActionRun[];

beforeAll(async () => {
  fake = await startFakeWeChat();
  refusedUrl = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.tokens.add(TOKEN);
  runs = [];
});
afterEach(() => {
  for (const run of runs) expectCleanRun(run, { inputs: [TOKEN] });
});

interface Row {
  fault: string;
  /** What the fake does, or where the action is sent instead of the fake. */
  setup: { faults: Fault[] } | { always: Fault } | { url: () => string };
  exitCode: 0 | 1;
  /** The failure line, with URL, excerpt and rid reduced to the kind of failure. */
  line: RegExp | undefined;
  /** Requests the fake saw; POST lines the action logged. */
  requests: number;
  attempts: number;
}

const where = String.raw`\S+${CREATE_PATH}`;
const unknown = String.raw`The outcome is unknown: check the CloudBase console before running again\.$`;
const notRetried = String.raw`It was not retried, so as not to create the service twice: check the CloudBase console before running again\.$`;
const network = String.raw`: check api_base_url, the runner's network and HTTPS_PROXY$`;
const failed = (rest: string) => new RegExp(String.raw`^createCloudbaseService failed: ${rest}`);

const matrix: Row[] = [
  {
    fault: 'connection refused',
    setup: { url: () => refusedUrl },
    exitCode: 1,
    line: failed(String.raw`could not reach ${where} \(connect ECONNREFUSED 127\.0\.0\.1:\d+\) on 3 attempts${network}`),
    requests: 0,
    attempts: 3,
  },
  {
    fault: 'DNS failure',
    setup: { url: () => 'https://wechat.invalid' },
    exitCode: 1,
    line: failed(String.raw`could not reach ${where} \(DNS lookup of wechat\.invalid failed \((ENOTFOUND|EAI_AGAIN)\)\) on 3 attempts${network}`),
    requests: 0,
    attempts: 3,
  },
  {
    fault: 'reset before the response',
    setup: { faults: [{ kind: 'reset' }] },
    exitCode: 1,
    line: failed(String.raw`outcome unknown: the request was sent to ${where}, then the connection was reset before an answer arrived\. ${notRetried}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: 'reset mid-body',
    setup: { faults: [{ kind: 'reset-mid-body' }] },
    exitCode: 1,
    line: failed(String.raw`outcome unknown: the request was sent to ${where}, then the connection broke after HTTP 200, while the answer was being read\. ${notRetried}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: 'slow headers beyond timeout_seconds',
    setup: { faults: [{ kind: 'delay', ms: 3000 }] },
    exitCode: 1,
    line: failed(String.raw`outcome unknown: the request was sent to ${where}, then no answer within 1 s\. ${notRetried}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: 'HTML 502',
    setup: { faults: [{ kind: 'html-502' }] },
    exitCode: 1,
    line: failed(String.raw`HTTP 502 Bad Gateway from ${where}, and the body is not JSON: "<html> .+</html>"\. ${unknown}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: '503 with an empty body',
    setup: { faults: [{ kind: 'empty-503' }] },
    exitCode: 1,
    line: failed(String.raw`HTTP 503 Service Unavailable from ${where}, and the body is not JSON: \(empty body\)\. ${unknown}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: 'truncated JSON',
    setup: { faults: [{ kind: 'truncated-json' }] },
    exitCode: 1,
    line: failed(String.raw`HTTP 200 OK from ${where}, and the body is not JSON: "\{"errcode":0"\. ${unknown}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: 'JSON that is not an object',
    setup: { faults: [{ kind: 'not-object' }] },
    exitCode: 1,
    line: failed(String.raw`HTTP 200 OK from ${where}, and the body is not a WeChat answer \(it is not a JSON object\): "\["errcode", 0\]"\. ${unknown}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: 'errcode as a string',
    setup: { faults: [{ kind: 'errcode-string' }] },
    exitCode: 1,
    line: failed(String.raw`HTTP 200 OK from ${where}, and the body is not a WeChat answer \(errcode is not a number\): .+\. ${unknown}`),
    requests: 1,
    attempts: 1,
  },
  {
    fault: '-1 twice, then success',
    setup: { faults: [{ kind: 'busy' }, { kind: 'busy' }] },
    exitCode: 0,
    line: undefined,
    requests: 3,
    attempts: 3,
  },
  {
    fault: '-1 forever',
    setup: { always: { kind: 'busy' } },
    exitCode: 1,
    line: failed(String.raw`errcode -1 \(system error\): WeChat was busy on every attempt: run the job again in a few minutes \[3 attempts\] rid: [0-9a-f-]+$`),
    requests: 3,
    attempts: 3,
  },
];

it.each(matrix.map((row) => [row.fault, row] as const))('%s', async (_, row) => {
  const { setup } = row;
  if ('faults' in setup) fake.failNext(...setup.faults);
  if ('always' in setup) fake.failAlways(setup.always);
  const run = await runAction({
    inputs: {
      access_token: TOKEN,
      env_id: 'prod-2g59lad002c864a6',
      service_name: 'pr-42',
      is_public: 'true',
      api_base_url: 'url' in setup ? setup.url() : fake.url,
      timeout_seconds: String(TIMEOUT_SECONDS),
      max_attempts: String(MAX_ATTEMPTS),
    },
  });
  runs.push(run);

  expect(run.exitCode).toBe(row.exitCode);
  if (row.line === undefined) expect(errors(run)).toEqual([]);
  else {
    expect(errors(run)).toHaveLength(1);
    expect(errors(run)[0]).toMatch(row.line);
  }
  expect(fake.requests).toHaveLength(row.requests);
  expect(infos(run).filter((line) => line.startsWith('POST '))).toHaveLength(row.attempts);
  expect(fake.created).toHaveLength(row.exitCode === 0 ? 1 : 0);
  expect(run.outputs['created']).toBe(String(row.exitCode === 0));
  expect(run.durationMs).toBeLessThan(BUDGET_MS);
});

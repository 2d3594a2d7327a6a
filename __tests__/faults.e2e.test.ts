/**
 * The fault matrix: the bundled create action against the fake WeChat API misbehaving in
 * every way the network and WeChat can, at the lookup and at the create. For each fault:
 * the exit code, the kind of failure line, the exact calls WeChat saw (a create is sent
 * again only after a lookup showed it had not happened, never after one it may have
 * processed), that the step ends within timeout_seconds × max_attempts plus backoff, that
 * the service exists exactly when the step says it created it, and no leak.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { closedPort, CREATE_PATH, LIST_SERVICES_PATH, startFakeWeChat, type Fault, type FakeWeChat } from '../tools/fake-wechat.ts';
import { runAction, type ActionRun } from '../tools/run-action.ts';
import { calls, errors, expectCleanRun, infos } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const TIMEOUT_SECONDS = 1;
const MAX_ATTEMPTS = 3;
// Each call may take every attempt; backoff before attempts 2 and 3 is at most 1 s and 2 s.
const ATTEMPT_MS = (TIMEOUT_SECONDS * MAX_ATTEMPTS + 1 + 2) * 1000;

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

const L = 'getcslist';
const C = 'establishcloudbaserunserver';
const onCreate = (fault: Fault): Fault => ({ ...fault, path: CREATE_PATH });
const onLookup = (fault: Fault): Fault => ({ ...fault, path: LIST_SERVICES_PATH });
const lost = (fault: Fault): Fault => ({ kind: 'act-then', fault: fault as never, path: CREATE_PATH });

interface Row {
  fault: string;
  /** What the fake does, or where the action is sent instead of the fake. */
  setup: { faults: Fault[] } | { always: Fault; faults?: Fault[] } | { url: () => string };
  exitCode: 0 | 1;
  /** The failure line, with URL, excerpt and rid reduced to the kind of failure. */
  line: RegExp | undefined;
  /** The calls WeChat saw, in order. */
  calls: string[];
  /** Calls a step may take in all, each with its own attempts, for the time budget. */
  budget: number;
}

const where = (path: string) => String.raw`\S+${path}`;
const network = `: check api_base_url, the runner's network and HTTPS_PROXY$`;
const failed = (call: string, rest: string) => new RegExp(`^${call} failed: ${rest}`);
const createFailed = (rest: string) => failed('createCloudbaseService', rest);

const matrix: Row[] = [
  {
    fault: 'connection refused: the lookup never leaves',
    setup: { url: () => refusedUrl },
    exitCode: 1,
    line: failed(
      L,
      String.raw`could not reach ${where(LIST_SERVICES_PATH)} \(connect ECONNREFUSED 127\.0\.0\.1:\d+\) on 3 attempts${network}`,
    ),
    calls: [],
    budget: 1,
  },
  {
    fault: 'DNS failure',
    setup: { url: () => 'https://wechat.invalid' },
    exitCode: 1,
    line: failed(
      L,
      String.raw`could not reach ${where(LIST_SERVICES_PATH)} \(DNS lookup of wechat\.invalid failed \((ENOTFOUND|EAI_AGAIN)\)\) on 3 attempts${network}`,
    ),
    calls: [],
    budget: 1,
  },
  {
    fault: 'the lookup reset, then answered: a read is repeated',
    setup: { faults: [onLookup({ kind: 'reset' })] },
    exitCode: 0,
    line: undefined,
    calls: [L, L, C],
    budget: 2,
  },
  {
    fault: 'the lookup answered by a gateway page, then by WeChat',
    setup: { faults: [onLookup({ kind: 'html-502' })] },
    exitCode: 0,
    line: undefined,
    calls: [L, L, C],
    budget: 2,
  },
  {
    fault: 'the lookup answered too late, then in time',
    setup: { faults: [onLookup({ kind: 'delay', ms: 3000 })] },
    exitCode: 0,
    line: undefined,
    calls: [L, L, C],
    budget: 2,
  },
  // A create that got no WeChat answer: the lookup tells. Not acted on: sent again.
  ...(
    [
      ['reset before the response', { kind: 'reset' }],
      ['reset mid-body', { kind: 'reset-mid-body' }],
      ['slow headers beyond timeout_seconds', { kind: 'delay', ms: 3000 }],
      ['HTML 502', { kind: 'html-502' }],
      ['503 with an empty body', { kind: 'empty-503' }],
      ['truncated JSON', { kind: 'truncated-json' }],
      ['JSON that is not an object', { kind: 'not-object' }],
      ['errcode as a string', { kind: 'errcode-string' }],
      ['an answer over the 1 MiB cap', { kind: 'raw', status: 200, body: `{"errcode":0,"errmsg":"${'x'.repeat(1_100_000)}"}` }],
    ] as [string, Fault][]
  ).flatMap(([name, fault]): Row[] => [
    {
      fault: `create: ${name}, not acted on: looked up, sent again`,
      setup: { faults: [onCreate(fault)] },
      exitCode: 0,
      line: undefined,
      calls: [L, C, L, C],
      budget: 4,
    },
    {
      fault: `create: ${name} after it landed: looked up, found, not sent again`,
      setup: { faults: [lost(fault)] },
      exitCode: 0,
      line: undefined,
      calls: [L, C, L],
      budget: 3,
    },
  ]),
  {
    fault: 'create: no answer on every attempt, and never acted on',
    setup: { always: onCreate({ kind: 'reset' }) },
    exitCode: 1,
    line: createFailed(
      String.raw`no answer on 3 attempts \(the last: the request was sent to ${where(CREATE_PATH)}, then the connection was reset before an answer arrived\); ` +
        `a read after each showed it had not happened, so nothing changed: run the job again$`,
    ),
    calls: [L, C, L, C, L, C, L],
    budget: 7,
  },
  {
    fault: 'create: no answer, and the lookup that would tell fails too',
    // The first lookup answers (an empty list); every later one is a gateway page.
    setup: {
      faults: [
        onLookup({ kind: 'raw', status: 200, body: '{"errcode":0,"errmsg":"ok","total":0,"cslist":[]}' }),
        onCreate({ kind: 'reset' }),
      ],
      always: onLookup({ kind: 'html-502' }),
    },
    exitCode: 1,
    line: createFailed(
      `outcome unknown: the request was sent to ${where(CREATE_PATH)}, then the connection was reset before an answer arrived; ` +
        String.raw`the read that would tell what happened failed too \(getcslist failed: HTTP 502 Bad Gateway .*\[3 attempts\]\): check the CloudBase console before running again$`,
    ),
    calls: [L, C, L, L, L],
    budget: 3,
  },
  {
    fault: 'create: -1 twice, then success',
    setup: { faults: [onCreate({ kind: 'busy' }), onCreate({ kind: 'busy' })] },
    exitCode: 0,
    line: undefined,
    calls: [L, C, C, C],
    budget: 2,
  },
  {
    fault: 'create: -1 forever',
    setup: { always: onCreate({ kind: 'busy' }) },
    exitCode: 1,
    line: createFailed(
      String.raw`errcode -1 \(system error\): WeChat was busy on every attempt: run the job again in a few minutes \[3 attempts\] rid: [0-9a-f-]+$`,
    ),
    calls: [L, C, C, C],
    budget: 2,
  },
];

it.each(matrix.map((row) => [row.fault, row] as const))('%s', async (_, row) => {
  const { setup } = row;
  if ('faults' in setup && setup.faults !== undefined) fake.failNext(...setup.faults);
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
  expect(calls(fake.requests)).toEqual(row.calls);
  // Writes are logged: one POST line per create attempt.
  expect(infos(run).filter((line) => line.startsWith('POST '))).toHaveLength(row.calls.filter((call) => call === C).length);
  // The service exists exactly when the step says this run created it.
  expect(fake.services('prod-2g59lad002c864a6')).toEqual(row.exitCode === 0 ? ['pr-42'] : []);
  expect(run.outputs['created']).toBe(String(row.exitCode === 0));
  expect(run.durationMs).toBeLessThan(row.budget * ATTEMPT_MS + 3000);
});

/** What every end-to-end test file shares: the fake and its reset, running an action, the checks every run must pass. */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { startFakeWeChat, type FakeWeChat, type ReceivedRequest } from '../tools/fake-wechat.ts';
import { leaks, parseCommands, runAction, type ActionName, type ActionRun, type RunOptions } from '../tools/run-action.ts';

/**
 * No secret anywhere the run left text, in any form (tools/run-action.ts `leakForms`);
 * each input secret masked, and before anything else was printed; nothing on stderr; no
 * stack trace. `inputs` are the secrets the run was given, `others` those it met later.
 */
export function expectCleanRun(run: ActionRun, secrets: { inputs: string[]; others?: string[] }): void {
  for (const secret of [...secrets.inputs, ...(secrets.others ?? [])]) {
    expect(leaks(run, secret), `secret leaked`).toEqual([]);
  }
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  const masks = lines.map((line) => parseCommands(line).find((c) => c.command === 'add-mask')?.value);
  const firstOther = masks.indexOf(undefined);
  for (const secret of secrets.inputs) {
    const masked = masks.indexOf(secret);
    expect(masked, 'an input secret was never masked').toBeGreaterThanOrEqual(0);
    expect(masked, 'an input secret was masked only after something else was printed').toBeLessThan(
      firstOther === -1 ? Infinity : firstOther,
    );
  }
  expect(run.stderr).toBe('');
  expect(run.stdout).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

export const errors = (run: ActionRun) => run.commands.filter((c) => c.command === 'error').map((c) => c.value);
export const warnings = (run: ActionRun) => run.commands.filter((c) => c.command === 'warning').map((c) => c.value);
/** The plain log lines: everything but workflow commands. */
export const infos = (run: ActionRun) => run.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('::'));
/** The values the run asked the runner to mask, in order. */
export const masks = (run: ActionRun) => run.commands.filter((c) => c.command === 'add-mask').map((c) => c.value);
/** The paths of the requests WeChat received, in order, without the common /componenttcb/ prefix. */
export const calls = (requests: { path: string }[]) => requests.map((request) => request.path.replace('/componenttcb/', ''));

/** What a test may add to a run beyond its inputs and environment. */
export type ExtraRunOptions = Omit<RunOptions, 'action' | 'inputs' | 'env'>;

/** A request as a test writes it: the path and its exact JSON body. */
export type Sent = [path: string, body: Record<string, unknown>];

/**
 * WeChat received exactly these requests, in this order: each a POST of exactly this JSON
 * with Content-Type application/json, the token in the query and nowhere else (SPEC §1).
 */
export function expectSent(requests: ReceivedRequest[], expected: Sent[], token: string): void {
  expect(requests.map((r) => r.path)).toEqual(expected.map(([path]) => path));
  for (const [index, [, body]] of expected.entries()) {
    const request = requests[index] as ReceivedRequest;
    expect(request.method, `request ${index + 1}`).toBe('POST');
    expect(request.query, `request ${index + 1}`).toStrictEqual({ access_token: token });
    expect(request.json, `request ${index + 1}`).toStrictEqual(body);
    expect(request.headers['content-type'], `request ${index + 1}`).toMatch(/^application\/json\b/);
    expect(request.body, `request ${index + 1}`).not.toContain(token);
    const { host: _, ...headers } = request.headers;
    expect(JSON.stringify(headers), `request ${index + 1}`).not.toContain(token);
  }
}

/** The rid ending the errmsg the fake answered to a request (after act-then: would have answered). */
export const ridOf = (request: ReceivedRequest | undefined) => /rid: (\S+)$/.exec(String(request?.answer?.['errmsg']))?.[1] ?? '';
export const RID = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

export interface Suite {
  /** The fake WeChat API, started before the file's tests and reset before each. */
  fake: FakeWeChat;
  /** Runs the action's bundle with these inputs (and `options`, e.g. a signal to send); the run is checked clean after the test. */
  act(inputs: Record<string, string>, env?: Record<string, string>, options?: ExtraRunOptions): Promise<ActionRun>;
  /** The fake platform's credentials as the three component_* inputs, access_token left empty. */
  platformInputs(): Record<string, string>;
}

/**
 * The fixture of an end-to-end file: a fake with a platform of random credentials that
 * accepts `token`, reset before each test; and after each test, every run checked clean:
 * the secrets it was given (as an input, or as a string inside a JSON input) masked before
 * anything else, and none of `secrets`, the platform's or the tokens the fake issued anywhere.
 */
export function e2eSuite(action: ActionName, token: string, secrets: string[] = []): Suite {
  const runs: { run: ActionRun; given: Record<string, string> }[] = [];
  const suite: Suite = {
    fake: undefined as unknown as FakeWeChat,
    async act(inputs, env, options) {
      const run = await runAction({ ...options, action, inputs, ...(env !== undefined && { env }) });
      runs.push({ run, given: inputs });
      return run;
    },
    platformInputs() {
      const { appid, appsecret, verifyTicket } = suite.fake.platform;
      return { access_token: '', component_appid: appid, component_appsecret: appsecret, component_verify_ticket: verifyTicket };
    },
  };
  beforeAll(async () => {
    suite.fake = await startFakeWeChat();
    suite.fake.platform = { appid: 'wx-e2e-platform', appsecret: `appsecret-${randomUUID()}`, verifyTicket: `ticket@@@${randomUUID()}` };
  });
  afterAll(() => suite.fake.close());
  beforeEach(() => {
    suite.fake.reset();
    suite.fake.tokens.add(token);
    runs.length = 0;
  });
  afterEach(() => {
    const { fake } = suite;
    const issued = [...fake.tokens].filter((issuedToken) => issuedToken.startsWith('issued-'));
    const all = [token, ...secrets, fake.platform.appsecret, fake.platform.verifyTicket];
    for (const { run, given } of runs) {
      const inputs = all.filter((secret) =>
        Object.values(given).some((value) => value === secret || value.includes(JSON.stringify(secret))),
      );
      expectCleanRun(run, { inputs, others: [...all.filter((secret) => !inputs.includes(secret)), ...issued] });
    }
  });
  return suite;
}

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backoffMs, createCloudbaseService, excerpt, obtainComponentToken, type CallOptions } from '../src/client.ts';
import { CallFailed } from '../src/errors.ts';
import { parseInputs, readRawInputs, type Inputs } from '../src/inputs.ts';
import { closedPort, CREATE_PATH, TOKEN_PATH, startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';

let fake: FakeWeChat;
beforeAll(async () => {
  fake = await startFakeWeChat();
});
afterAll(() => fake.close());

const TOKEN = 'test-component-access-token';
let log: string[];
let sleeps: number[];
beforeEach(() => {
  fake.reset();
  log = [];
  sleeps = [];
});

function inputs(overrides: Record<string, string> = {}): Inputs {
  const values: Record<string, string> = {
    access_token: TOKEN,
    env_id: 'env-1',
    service_name: 'svc',
    is_public: 'true',
    api_base_url: fake.url,
    ...overrides,
  };
  const parsed = parseInputs(readRawInputs((name) => values[name] ?? ''));
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.inputs;
}

function options(overrides: Partial<CallOptions> = {}): CallOptions {
  return {
    timeoutSeconds: 5,
    maxAttempts: 3,
    log: (line) => log.push(line),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallFailed);
  return (error as CallFailed).message;
}


describe('createCloudbaseService', () => {
  it('sends exactly the body and the token WeChat expects', async () => {
    const result = await createCloudbaseService(
      inputs({ remark: 'r', log_type: 'es', public_access: '1' }),
      TOKEN,
      options(),
    );
    expect(result.outcome).toMatchObject({ errcode: 0, rid: expect.stringMatching(/^[0-9a-f-]{26}$/) });
    const [request] = fake.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(CREATE_PATH);
    expect(request?.query).toEqual({ access_token: TOKEN });
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.body).toBe(
      '{"env_id":"env-1","service_name":"svc","is_public":true,"remark":"r","log_type":"es","public_access":1}',
    );
    expect(log).toEqual([`POST ${fake.url}${CREATE_PATH} (attempt 1 of 3)`]);
  });

  it('retries -1 with backoff, then succeeds', async () => {
    fake.failNext({ kind: 'busy' }, { kind: 'busy' });
    const result = await createCloudbaseService(inputs(), TOKEN, options());
    expect(result).toMatchObject({ outcome: { errcode: 0 }, attempts: 3 });
    expect(fake.requestsTo(CREATE_PATH)).toHaveLength(3);
    expect(sleeps).toEqual([750, 1500]);
    expect(log[1]).toBe('WeChat is busy (errcode -1); retrying in 0.8 s (attempt 2 of 3)');
  });

  it('stops after max_attempts when WeChat stays busy, and returns the -1 answer', async () => {
    fake.failAlways({ kind: 'busy' });
    const result = await createCloudbaseService(inputs(), TOKEN, options({ maxAttempts: 2 }));
    expect(result).toMatchObject({ outcome: { errcode: -1 }, attempts: 2 });
    expect(fake.requestsTo(CREATE_PATH)).toHaveLength(2);
  });

  it('does not retry any other errcode', async () => {
    fake.failNext({ kind: 'errcode', errcode: -1000, errmsg: 'system error' });
    const result = await createCloudbaseService(inputs(), TOKEN, options());
    expect(result).toMatchObject({ outcome: { errcode: -1000 }, attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a refused connection, which never reached WeChat', async () => {
    const port = await closedPort();
    const message = await failure(
      createCloudbaseService(inputs({ api_base_url: `http://127.0.0.1:${port}` }), TOKEN, options()),
    );
    expect(message).toBe(
      `createCloudbaseService failed: could not reach http://127.0.0.1:${port}${CREATE_PATH} ` +
        `(connect ECONNREFUSED 127.0.0.1:${port}) on 3 attempts: check api_base_url, the runner's network and HTTPS_PROXY`,
    );
    expect(sleeps).toHaveLength(2);
  });

  it('retries a DNS failure', async () => {
    const message = await failure(
      createCloudbaseService(inputs({ api_base_url: 'http://no-such-host.invalid' }), TOKEN, options({ maxAttempts: 2 })),
    );
    expect(message).toMatch(/^createCloudbaseService failed: could not reach http:\/\/no-such-host\.invalid\/\S+ \(DNS lookup of no-such-host\.invalid failed \((ENOTFOUND|EAI_AGAIN)\)\) on 2 attempts/);
    expect(sleeps).toHaveLength(1);
  });

  it('reports a reset after sending as outcome unknown, without a second create', async () => {
    fake.failNext({ kind: 'reset' });
    const message = await failure(createCloudbaseService(inputs(), TOKEN, options()));
    expect(message).toBe(
      `createCloudbaseService failed: outcome unknown: the request was sent to ${fake.url}${CREATE_PATH}, then the connection ` +
        'was reset before an answer arrived. It was not retried, so as not to create the service twice: check the ' +
        'CloudBase console before running again.',
    );
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a reset in the middle of the answer as outcome unknown', async () => {
    fake.failNext({ kind: 'reset-mid-body' });
    const message = await failure(createCloudbaseService(inputs(), TOKEN, options()));
    expect(message).toMatch(/^createCloudbaseService failed: outcome unknown: .* then the connection broke after HTTP 200, while the answer was being read/);
    expect(fake.requests).toHaveLength(1);
  });

  it('reports slow headers beyond the timeout as outcome unknown, without a retry', async () => {
    fake.failNext({ kind: 'delay', ms: 3000 });
    const started = Date.now();
    const message = await failure(createCloudbaseService(inputs(), TOKEN, options({ timeoutSeconds: 1 })));
    expect(Date.now() - started).toBeLessThan(2500);
    expect(message).toBe(
      `createCloudbaseService failed: outcome unknown: the request was sent to ${fake.url}${CREATE_PATH}, then no answer ` +
        'within 1 s. It was not retried, so as not to create the service twice: check the CloudBase console before running again.',
    );
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    [{ kind: 'html-502' } as const, 'HTTP 502 Bad Gateway', 'and the body is not JSON: "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> </body> </html>"'],
    [{ kind: 'empty-503' } as const, 'HTTP 503 Service Unavailable', 'and the body is not JSON: (empty body)'],
    [{ kind: 'truncated-json' } as const, 'HTTP 200 OK', 'and the body is not JSON: "{"errcode":0"'],
    [{ kind: 'not-object' } as const, 'HTTP 200 OK', 'and the body is not a WeChat answer (it is not a JSON object): "["errcode", 0]"'],
    [{ kind: 'errcode-string' } as const, 'HTTP 200 OK', 'and the body is not a WeChat answer (errcode is not a number)'],
  ])('fails on %o with the status and an excerpt, once', async (fault, status, detail) => {
    fake.failNext(fault);
    const message = await failure(createCloudbaseService(inputs(), TOKEN, options()));
    expect(message).toContain(`createCloudbaseService failed: ${status} from ${fake.url}${CREATE_PATH}, ${detail}`);
    expect(message).toMatch(/The outcome is unknown: check the CloudBase console before running again\.$/);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('obtainComponentToken', () => {
  const credentials = () => ({
    appid: fake.platform.appid,
    appsecret: fake.platform.appsecret,
    verifyTicket: fake.platform.verifyTicket,
  });

  it('posts the three credentials in the body, not the URL, and returns the token', async () => {
    const token = await obtainComponentToken(credentials(), new URL(fake.url), options());
    expect(fake.tokens.has(token)).toBe(true);
    const [request] = fake.requestsTo(TOKEN_PATH);
    expect(request?.query).toEqual({});
    expect(JSON.parse(request?.body ?? '')).toEqual({
      component_appid: fake.platform.appid,
      component_appsecret: fake.platform.appsecret,
      component_verify_ticket: fake.platform.verifyTicket,
    });
  });

  it('fails with the token step’s own mapped message', async () => {
    const message = await failure(
      obtainComponentToken({ ...credentials(), verifyTicket: 'ticket@@@expired' }, new URL(fake.url), options()),
    );
    expect(message).toMatch(
      /^api_component_token failed \(the token step: no service was created\): errcode 61005 \(component ticket is expired\): the component_verify_ticket has expired .* rid: [0-9a-f-]+$/,
    );
  });
});

describe('backoffMs', () => {
  it('doubles from 0.5–1 s and never exceeds 10 s', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 0))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 1))).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });
});

describe('excerpt', () => {
  it('flattens control characters and cuts long bodies', () => {
    expect(excerpt('a\r\n\tb\u0000c')).toBe('"a b c"');
    expect(excerpt('x'.repeat(200))).toBe(`"${'x'.repeat(160)}…"`);
    expect(excerpt(' \n ')).toBe('(empty body)');
  });
});

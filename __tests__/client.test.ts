import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, callWeChat, showRequest, writeOnce } from '../src/client.ts';
import { CallFailed, messageOf, OutcomeUnknown } from '../src/errors.ts';
import { findService, listVersions } from '../src/services.ts';
import { obtainComponentToken } from '../src/token.ts';
import { describeNetworkError, postJson } from '../src/http.ts';
import { COMPONENT_TOKEN, CREATE_SERVICE, CREATE_VERSION, DELETE_VERSION, LIST_SERVICES, LIST_VERSIONS } from '../src/wechat.ts';
import { closedPort, CREATE_PATH, LIST_SERVICES_PATH, startFakeWeChat, TOKEN_PATH, type FakeWeChat } from '../tools/fake-wechat.ts';
import { apiOn, recordingLog, TOKEN } from './fixtures.ts';

let fake: FakeWeChat;
beforeAll(async () => {
  fake = await startFakeWeChat();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const createBody = { env_id: 'env-1', service_name: 'svc', is_public: true };
const listBody = { env: 'env-1', offset: 0, limit: 20 };

async function failure(promise: Promise<unknown>): Promise<CallFailed> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallFailed);
  return error as CallFailed;
}

describe('callWeChat', () => {
  it('sends exactly the body, the token in the query only, and JSON headers', async () => {
    const api = apiOn(fake);
    const { outcome, attempts } = await callWeChat(api, CREATE_SERVICE, createBody);
    expect(outcome).toMatchObject({ errcode: 0, rid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/) });
    expect(attempts).toBe(1);
    const [request] = fake.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(CREATE_PATH);
    expect(request?.query).toEqual({ access_token: TOKEN });
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('create-cloudbase-service');
    // One connection per call, closed with its answer: nothing keeps the action's process alive.
    expect(request?.headers.connection).toBe('close');
    expect(request?.body).toBe('{"env_id":"env-1","service_name":"svc","is_public":true}');
    expect(api.log.lines).toEqual([
      `POST ${fake.url}${CREATE_PATH} (attempt 1 of 3)`,
      'debug: establishcloudbaserunserver request body: {"env_id":"env-1","service_name":"svc","is_public":true}',
      expect.stringMatching(/^debug: establishcloudbaserunserver answer: HTTP 200 "\{"errcode":0,"errmsg":"ok rid: [0-9a-f-]+"\}"$/),
    ]);
  });

  it('counts Content-Length in bytes: a remark in Chinese arrives whole', async () => {
    const remark = '预览环境：拉取请求 42 的服务';
    await callWeChat(apiOn(fake), CREATE_SERVICE, { ...createBody, remark });
    expect(fake.requests[0]?.json).toEqual({ ...createBody, remark });
    expect(Number(fake.requests[0]?.headers['content-length'])).toBe(Buffer.byteLength(fake.requests[0]?.body ?? ''));
    expect(fake.created).toEqual(['env-1/svc']);
  });

  it('retries -1 with backoff, then returns the answer', async () => {
    fake.failNext({ kind: 'busy' }, { kind: 'busy' });
    const api = apiOn(fake);
    const result = await callWeChat(api, CREATE_SERVICE, createBody);
    expect(result).toMatchObject({ outcome: { errcode: 0 }, attempts: 3 });
    expect(fake.requestsTo(CREATE_PATH)).toHaveLength(3);
    expect(api.sleeps).toEqual([750, 1500]);
    expect(api.log.lines).toContain('WeChat is busy (errcode -1); retrying in 0.8 s (attempt 2 of 3)');
  });

  it('really waits between attempts when no sleep is injected', async () => {
    fake.failNext({ kind: 'busy' });
    const started = performance.now();
    const { sleep: _, ...api } = apiOn(fake, { random: () => 0 });
    await callWeChat(api, CREATE_SERVICE, createBody);
    // backoffMs(1, () => 0) is 500 ms; a retry that did not wait would take a few ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
  });

  it('returns the -1 answer after max_attempts, and any other errcode at once', async () => {
    fake.failAlways({ kind: 'busy' });
    expect(await callWeChat(apiOn(fake, { maxAttempts: 2 }), CREATE_SERVICE, createBody)).toMatchObject({
      outcome: { errcode: -1 },
      attempts: 2,
    });
    expect(fake.requests).toHaveLength(2);
    fake.reset();
    fake.failNext({ kind: 'errcode', errcode: -1000, errmsg: 'system error' });
    expect(await callWeChat(apiOn(fake), CREATE_SERVICE, createBody)).toMatchObject({ outcome: { errcode: -1000 }, attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a refused connection, which never reached WeChat, then says so', async () => {
    const port = await closedPort();
    const api = apiOn(fake, { base: new URL(`http://127.0.0.1:${port}`) });
    const error = await failure(callWeChat(api, CREATE_SERVICE, createBody));
    expect(error.message).toBe(
      `createCloudbaseService failed: could not reach http://127.0.0.1:${port}${CREATE_PATH} ` +
        `(connect ECONNREFUSED 127.0.0.1:${port}) on 3 attempts: check api_base_url, the runner's network and HTTPS_PROXY`,
    );
    expect(api.sleeps).toHaveLength(2);
    expect(api.log.lines.filter((line) => line.includes('retrying'))).toEqual([
      `Could not reach 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); retrying in 0.8 s (attempt 2 of 3)`,
      `Could not reach 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); retrying in 1.5 s (attempt 3 of 3)`,
    ]);
  });

  it('a write that never left is not an unknown outcome: no read, it fails saying the host could not be reached', async () => {
    const port = await closedPort();
    let reads = 0;
    const api = apiOn(fake, { base: new URL(`http://127.0.0.1:${port}`), maxAttempts: 1 });
    const error = await failure(writeOnce(api, CREATE_SERVICE, createBody, async () => (reads++, false)));
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    expect(error.message).toBe(
      `createCloudbaseService failed: could not reach http://127.0.0.1:${port}${CREATE_PATH} (connect ECONNREFUSED 127.0.0.1:${port}): ` +
        "check api_base_url, the runner's network and HTTPS_PROXY",
    );
    expect(reads).toBe(0);
  });

  it('passes on an error that is not the network’s as it is', async () => {
    const bug = new TypeError('not the network');
    const api = apiOn(fake, { post: () => Promise.reject(bug) });
    await expect(callWeChat(api, LIST_SERVICES, listBody)).rejects.toBe(bug);
  });

  it('retries a DNS failure', async () => {
    const api = apiOn(fake, { base: new URL('http://no-such-host.invalid'), maxAttempts: 2 });
    const error = await failure(callWeChat(api, CREATE_SERVICE, createBody));
    expect(error.message).toMatch(
      /^createCloudbaseService failed: could not reach http:\/\/no-such-host\.invalid\/\S+ \(DNS lookup of no-such-host\.invalid failed \((ENOTFOUND|EAI_AGAIN)\)\) on 2 attempts/,
    );
    expect(api.sleeps).toHaveLength(1);
  });

  it.each([
    [{ kind: 'reset' } as const, 'the request was sent to URL, then the connection was reset before an answer arrived'],
    [
      { kind: 'reset-mid-body' } as const,
      'the request was sent to URL, then the connection broke after HTTP 200, while the answer was being read',
    ],
    [{ kind: 'delay', ms: 3000 } as const, 'the request was sent to URL, then no answer within 0.2 s'],
    [
      { kind: 'html-502' } as const,
      'HTTP 502 Bad Gateway from URL, and the body is not JSON (it does not parse): "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> </body> </html>"',
    ],
    [{ kind: 'empty-503' } as const, 'HTTP 503 Service Unavailable from URL, and the body is not JSON (it is empty): (empty body)'],
    [{ kind: 'truncated-json' } as const, 'HTTP 200 OK from URL, and the body is not JSON (it does not parse): "{"errcode":0"'],
    [
      { kind: 'not-object' } as const,
      'HTTP 200 OK from URL, and the body is not a WeChat answer (it is not a JSON object): "["errcode", 0]"',
    ],
    [
      { kind: 'raw', status: 200, body: '{"message":"ok"}' } as const,
      'HTTP 200 OK from URL, and the body is not a WeChat answer (it has none of errcode, errmsg): "{"message":"ok"}"',
    ],
  ])('a write that was sent and got no WeChat answer (%o) has an unknown outcome, and is not repeated', async (fault, why) => {
    fake.failNext(fault);
    // A fifth of a second, so that the test is quick (the inputs take whole seconds).
    const error = await failure(callWeChat(apiOn(fake, { timeoutSeconds: 0.2 }), CREATE_SERVICE, createBody));
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as OutcomeUnknown).why).toBe(why.replace('URL', `${fake.url}${CREATE_PATH}`));
    expect(error.message).toBe(`createCloudbaseService failed: outcome unknown: ${why.replace('URL', `${fake.url}${CREATE_PATH}`)}`);
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    [{ kind: 'reset' } as const],
    [{ kind: 'html-502' } as const],
    [{ kind: 'delay', ms: 3000 } as const],
    [{ kind: 'errcode-string' } as const],
  ])('a read is repeated after %o: it changes nothing', async (fault) => {
    fake.failNext({ ...fault, path: LIST_SERVICES_PATH });
    const api = apiOn(fake, { timeoutSeconds: 0.2 });
    const { outcome, attempts } = await callWeChat(api, LIST_SERVICES, listBody);
    expect(outcome.errcode).toBe(0);
    expect(attempts).toBe(2);
    expect(fake.requestsTo(LIST_SERVICES_PATH)).toHaveLength(2);
  });

  it.each([
    ['null', 'it is not a JSON object'],
    ['"ok"', 'it is not a JSON object'],
    ['{"errcode":"0","errmsg":"ok"}', 'errcode is not a number'],
    ['{"errcode":0,"cslist":[{"status":"succ"}]}', 'cslist.0.server_name is not a string'],
    ['{"errcode":0,"total":true}', 'total is not valid'],
  ])('says which part of an answer is not WeChat’s (%s)', async (body, problem) => {
    fake.failNext({ kind: 'raw', status: 200, body, headers: { 'content-type': 'application/json' } });
    const error = await failure(callWeChat(apiOn(fake, { maxAttempts: 1 }), LIST_SERVICES, listBody));
    expect(error.message).toBe(
      `getcslist failed: HTTP 200 OK from ${fake.url}${LIST_SERVICES_PATH}, and the body is not a WeChat answer (${problem}): "${body}"`,
    );
  });

  it.each([
    [{ 'content-encoding': 'identity' }, 'it does not parse'],
    [
      { 'content-encoding': ' GZIP ' },
      'it is compressed (Content-Encoding: gzip), which the action did not ask for: a gateway between the runner and WeChat changed it',
    ],
    // A header of any length is quoted to 40 characters.
    [
      { 'content-encoding': `x-${'long-'.repeat(20)}` },
      'it is compressed (Content-Encoding: x-long-long-long-long-long-long-long-lon), which the action did not ask for: a gateway between the runner and WeChat changed it',
    ],
  ])('reads Content-Encoding as sent, in any case, identity being none (%o)', async (headers, why) => {
    fake.failNext({ kind: 'raw', status: 200, body: 'not json', headers });
    const error = await failure(callWeChat(apiOn(fake, { maxAttempts: 1 }), LIST_SERVICES, listBody));
    expect(error.message).toBe(
      `getcslist failed: HTTP 200 OK from ${fake.url}${LIST_SERVICES_PATH}, and the body is not JSON (${why}): "not json"`,
    );
  });

  it('says why it reads again: no answer, or not WeChat’s', async () => {
    fake.failNext({ kind: 'reset', path: LIST_SERVICES_PATH }, { kind: 'html-502', path: LIST_SERVICES_PATH });
    const api = apiOn(fake);
    await callWeChat(api, LIST_SERVICES, listBody);
    expect(api.log.lines.filter((line) => line.includes('retrying'))).toEqual([
      `No answer from ${new URL(fake.url).host} (the connection was reset before an answer arrived); retrying in 0.8 s (attempt 2 of 3)`,
      `No WeChat answer from ${new URL(fake.url).host} (HTTP 502); retrying in 1.5 s (attempt 3 of 3)`,
    ]);
  });

  it('quotes an HTTP status that came without a reason phrase as the number alone', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 502 \r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const error = await failure(
        callWeChat(apiOn(fake, { base: new URL(`http://127.0.0.1:${port}`), maxAttempts: 1 }), LIST_SERVICES, listBody),
      );
      expect(error.message).toBe(
        `getcslist failed: HTTP 502 from http://127.0.0.1:${port}${LIST_SERVICES_PATH}, and the body is not JSON (it does not parse): "bad"`,
      );
    } finally {
      server.close();
    }
  });

  it('a total that is not a number says nothing: paging goes on until a page comes back empty', async () => {
    const page = (name: string) => ({
      kind: 'raw' as const,
      status: 200,
      path: LIST_SERVICES_PATH,
      body: JSON.stringify({ errcode: 0, errmsg: 'ok', total: '', cslist: [{ server_name: name }] }),
    });
    fake.failNext(page('other'), page('svc'));
    expect((await findService(apiOn(fake), 'env-1', 'svc')).exists).toBe(true);
    expect(fake.requests.map((request) => (request.json as { offset: number }).offset)).toEqual([0, 1]);
  });

  describe('a page that is not WeChat’s answer to a read (SPEC §3)', () => {
    const page = (status: number) => ({ kind: 'raw' as const, status, body: '<html>no such page</html>', path: LIST_SERVICES_PATH });
    it.each([
      [404, 'Not Found', ', and a 404 usually means a wrong path in it'],
      [401, 'Unauthorized', ''],
      [403, 'Forbidden', ''],
      [302, 'Found', ''],
    ])(
      'HTTP %i fails at once, naming the status and the URL without its query, and says to check api_base_url',
      async (status, text, more) => {
        fake.failAlways(page(status));
        const api = apiOn(fake);
        const error = await failure(callWeChat(api, LIST_SERVICES, listBody));
        expect(fake.requests).toHaveLength(1);
        expect(api.sleeps).toEqual([]);
        expect(error.message).toBe(
          `getcslist failed: HTTP ${status} ${text} from ${fake.url}${LIST_SERVICES_PATH}, and the body is not JSON (it does not parse): ` +
            `"<html>no such page</html>": check api_base_url: it must be the API's base (e.g. https://api.weixin.qq.com)${more}`,
        );
      },
    );

    it.each([429, 500, 502, 503, 504, 200])('HTTP %i is retried: a gateway’s passing fault, or an answer cut short', async (status) => {
      fake.failNext(page(status));
      const api = apiOn(fake);
      const { outcome, attempts } = await callWeChat(api, LIST_SERVICES, listBody);
      expect(outcome.errcode).toBe(0);
      expect(attempts).toBe(2);
      expect(fake.requests).toHaveLength(2);
    });
  });

  it('a body of white space only is empty', async () => {
    fake.failNext({ kind: 'raw', status: 502, body: ' \r\n ' });
    const error = await failure(callWeChat(apiOn(fake, { maxAttempts: 1 }), LIST_SERVICES, listBody));
    expect(error.message).toBe(
      `getcslist failed: HTTP 502 Bad Gateway from ${fake.url}${LIST_SERVICES_PATH}, and the body is not JSON (it is empty): (empty body)`,
    );
  });

  it.each([
    [LIST_VERSIONS.name, '{"errcode":0,"items":[{"status":"normal"}]}', LIST_VERSIONS, 'items.0.version_name is not a string'],
    [LIST_VERSIONS.name, '{"errcode":0,"total":[]}', LIST_VERSIONS, 'total is not valid'],
    [CREATE_VERSION.name, '{"errcode":0,"version_name":5}', CREATE_VERSION, 'version_name is not a string'],
    [CREATE_VERSION.name, '{"errcode":0,"run_id":5}', CREATE_VERSION, 'run_id is not a string'],
    [DELETE_VERSION.name, '{"errcode":0,"result":1}', DELETE_VERSION, 'result is not a string'],
    [DELETE_VERSION.name, '{"status":"ok"}', DELETE_VERSION, 'it has none of errcode, errmsg, result'],
  ])('checks every field of %s’s answer that the action reads (%s)', async (_, body, call, problem) => {
    fake.failNext({ kind: 'raw', status: 200, body, headers: { 'content-type': 'application/json' } });
    const error = await failure(callWeChat(apiOn(fake, { maxAttempts: 1 }), call, {}));
    expect(error.message).toBe(
      `${call.failed}: ${call.writes ? 'outcome unknown: ' : ''}HTTP 200 OK from ${fake.url}${call.path}, and the body is not a WeChat answer (${problem}): "${body}"`,
    );
  });

  it('takes an answer of exactly 1 MiB', async () => {
    const head = '{"errcode":0,"errmsg":"';
    fake.failNext({ kind: 'raw', status: 200, body: `${head}${'x'.repeat(1024 * 1024 - head.length - 2)}"}` });
    const { outcome } = await callWeChat(apiOn(fake, { maxAttempts: 1 }), LIST_SERVICES, listBody);
    expect(outcome.errcode).toBe(0);
  });

  it.each([
    ['an answer', () => undefined, true],
    ['a connection reset', async () => void fake.failNext({ kind: 'reset' }), false],
    ['an answer cut short', async () => void fake.failNext({ kind: 'reset-mid-body' }), false],
    ['an answer too large', async () => void fake.failNext({ kind: 'raw', status: 200, body: 'x'.repeat(2 * 1024 * 1024) }), false],
  ])('leaves no timer behind after %s: the action exits as soon as it is done', async (_, setup, answered) => {
    await setup();
    // Timers the test can count; they run on the real clock, so the fake's own pauses still end.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    try {
      const settled = await postJson(new URL(`${fake.url}${LIST_SERVICES_PATH}`), JSON.stringify(listBody), 60_000).then(
        () => true,
        () => false,
      );
      expect(settled).toBe(answered);
      // The fake's own pause after a body cut short ends; a timer of the call's 60 s would not.
      await vi.advanceTimersByTimeAsync(100);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a certificate the runner does not trust: the error says a TLS-inspecting proxy needs its CA in NODE_EXTRA_CA_CERTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
        ],
        { stdio: 'pipe' },
      );
      const tls = await startFakeWeChat({ tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) } });
      try {
        const error = await failure(callWeChat(apiOn(tls, { maxAttempts: 1 }), LIST_SERVICES, listBody));
        // Node's own message, then the action's hint.
        expect(error.message.startsWith(`getcslist failed: could not reach ${tls.url}${LIST_SERVICES_PATH} (self-signed certificate`)).toBe(
          true,
        );
        expect(
          error.message.endsWith(
            "; a proxy that inspects TLS needs its CA certificate in NODE_EXTRA_CA_CERTS): check api_base_url, the runner's network and HTTPS_PROXY",
          ),
        ).toBe(true);
        expect(tls.requests).toEqual([]);
      } finally {
        await tls.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a read that never gets an answer fails after max_attempts with the last reason', async () => {
    fake.failAlways({ kind: 'html-502' });
    const error = await failure(callWeChat(apiOn(fake), LIST_SERVICES, listBody));
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    expect(error.message).toMatch(
      /^getcslist failed: HTTP 502 Bad Gateway from \S+, and the body is not JSON \(it does not parse\): "<html>.*" \[3 attempts\]$/,
    );
    expect(fake.requests).toHaveLength(3);
  });

  it('cuts off an answer larger than 1 MiB', async () => {
    fake.failAlways({ kind: 'raw', status: 200, body: `{"errcode":0,"errmsg":"${'x'.repeat(2 * 1024 * 1024)}"}` });
    const error = await failure(callWeChat(apiOn(fake, { maxAttempts: 1 }), LIST_SERVICES, listBody));
    expect(error.message).toBe(
      `getcslist failed: the request was sent to ${fake.url}${LIST_SERVICES_PATH}, then the answer is larger than 1048576 bytes: ` +
        "check the runner's network and api_base_url, then run the job again",
    );
  });

  it.each([
    [
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      gzipSync('{"errcode":0,"errmsg":"ok"}'),
      'it is compressed (Content-Encoding: gzip), which the action did not ask for: a gateway between the runner and WeChat changed it',
    ],
    [
      { 'content-type': 'application/json' },
      gzipSync('{"errcode":0,"errmsg":"ok"}'),
      'it looks gzip-compressed, without a Content-Encoding header',
    ],
    [
      { 'content-type': 'application/json' },
      '\ufeff{"errcode":0,"errmsg":"ok"}',
      'it starts with a byte-order mark (U+FEFF), which JSON does not allow',
    ],
  ])('says why a body is not JSON when its excerpt may look like JSON (%o)', async (headers, body, why) => {
    fake.failNext({ kind: 'raw', status: 200, body, headers });
    const error = await failure(callWeChat(apiOn(fake), CREATE_SERVICE, createBody));
    expect(error.message).toContain(`and the body is not JSON (${why}): `);
  });
});

describe('writeOnce', () => {
  it('after a lost answer, a read that finds the write done ends it: one request, no repeat', async () => {
    fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: CREATE_PATH });
    const api = apiOn(fake);
    let reads = 0;
    const written = await writeOnce(api, CREATE_SERVICE, createBody, async () => (reads++, fake.services('env-1').includes('svc')));
    expect(written).toEqual({
      answered: undefined,
      attempts: 1,
      lost: `the request was sent to ${fake.url}${CREATE_PATH}, then the connection was reset before an answer arrived`,
    });
    expect(reads).toBe(1);
    expect(fake.requestsTo(CREATE_PATH)).toHaveLength(1);
  });

  it('repeats a write that a read shows did not happen, within max_attempts', async () => {
    fake.failNext({ kind: 'reset', path: CREATE_PATH });
    const api = apiOn(fake);
    const written = await writeOnce(api, CREATE_SERVICE, createBody, async () => fake.services('env-1').includes('svc'));
    expect(written.answered?.outcome.errcode).toBe(0);
    expect(written.attempts).toBe(2);
    expect(fake.requestsTo(CREATE_PATH)).toHaveLength(2);
    expect(fake.created).toEqual(['env-1/svc']);
    expect(api.sleeps).toEqual([750]);
  });

  it('counts -1 answers and repeats together toward max_attempts', async () => {
    fake.failNext({ kind: 'busy' }, { kind: 'reset' }, { kind: 'reset' });
    const api = apiOn(fake);
    const error = await failure(writeOnce(api, CREATE_SERVICE, createBody, async () => false));
    expect(error.message).toBe(
      `createCloudbaseService failed: no answer on 3 attempts (the last: the request was sent to ${fake.url}${CREATE_PATH}, ` +
        'then the connection was reset before an answer arrived); a read after each showed it had not happened, so nothing changed: run the job again',
    );
    expect(fake.requests).toHaveLength(3);
  });

  it('fails saying the outcome is unknown when the read fails too', async () => {
    fake.failNext({ kind: 'reset' });
    const error = await failure(
      writeOnce(apiOn(fake), CREATE_SERVICE, createBody, () => Promise.reject(new Error('getcslist failed: errcode 40014'))),
    );
    expect(error.message).toBe(
      `createCloudbaseService failed: outcome unknown: the request was sent to ${fake.url}${CREATE_PATH}, then the connection was reset ` +
        'before an answer arrived; the read that would tell what happened failed too (getcslist failed: errcode 40014): ' +
        'check the CloudBase console before running again',
    );
  });
});

describe('obtainComponentToken', () => {
  const credentials = () => ({
    kind: 'component' as const,
    appid: fake.platform.appid,
    appsecret: fake.platform.appsecret,
    verifyTicket: fake.platform.verifyTicket,
  });

  it('posts the three credentials in the body, not the URL; returns the token, masked first and announced once', async () => {
    const api = apiOn(fake, { token: undefined });
    const token = await obtainComponentToken(api, credentials(), 'no service was created');
    expect(fake.tokens.has(token)).toBe(true);
    const [request] = fake.requestsTo(TOKEN_PATH);
    expect(request?.query).toEqual({});
    expect(request?.json).toEqual({
      component_appid: fake.platform.appid,
      component_appsecret: fake.platform.appsecret,
      component_verify_ticket: fake.platform.verifyTicket,
    });
    expect(api.log.hidden).toContain(token);
    expect(api.log.lines.filter((line) => line.startsWith('notice: '))).toEqual([
      "notice: Obtained a new component_access_token (masked). WeChat may end the previous token about 5 minutes later: if the platform's own backend uses it, pass access_token from the platform's token service instead.",
    ]);
    expect(api.log.lines.join('\n')).not.toContain(token);
  });

  it('fails with the token step’s own line', async () => {
    const api = apiOn(fake, { token: undefined });
    const error = await failure(obtainComponentToken(api, { ...credentials(), verifyTicket: 'ticket@@@expired' }, 'nothing was deleted'));
    expect(error.message).toMatch(
      /^api_component_token failed \(the token step: nothing was deleted\): errcode 61005 \(component ticket is expired\): the component_verify_ticket has expired .* rid: [0-9a-f-]+$/,
    );
  });

  it.each([
    ['a token of the wrong type', '{"component_access_token": 123456789012345, "expires_in": 7200}', '123456789012345'],
    ['JSON cut short', '{"component_access_token":"live-token-cut-short-0123', 'live-token-cut-short-0123'],
    ['errcode of the wrong type', '{"errcode":"0","component_access_token":"live-token-errcode-string"}', 'live-token-errcode-string'],
    ['a token under another key', '{"access_token":"live-token-other-key-4567"}', 'live-token-other-key-4567'],
    ['a token in a JSON array, under no key', '["live-token-in-a-json-array-0123456789"]', 'live-token-in-a-json-array-0123456789'],
  ])('masks a token in a malformed answer (%s) before anything about it is printed', async (_, body, token) => {
    fake.failNext({ kind: 'raw', status: 200, body, headers: { 'content-type': 'application/json' } });
    const api = apiOn(fake, { token: undefined, maxAttempts: 1 });
    const error = await failure(obtainComponentToken(api, credentials(), 'no service was created'));
    expect(api.log.hidden).toContain(token);
    expect(api.log.clean(error.message)).not.toContain(token);
    expect(api.log.lines.join('\n')).not.toContain(token);
  });

  it.each(['{"component_access_token":"","expires_in":7200}', '{"expires_in":7200}'])(
    'fails when WeChat answers without a token (%s)',
    async (body) => {
      fake.failNext({ kind: 'raw', status: 200, body, headers: { 'content-type': 'application/json' } });
      const error = await failure(obtainComponentToken(apiOn(fake, { token: undefined }), credentials(), 'no service was created'));
      expect(error.message).toBe(
        'api_component_token failed (the token step: no service was created): WeChat answered without a component_access_token',
      );
    },
  );

  it('the token call is the one whose answers are scanned for tokens', () => {
    expect(COMPONENT_TOKEN.secretsInAnswer).toBeDefined();
    expect('secretsInAnswer' in CREATE_SERVICE).toBe(false);
  });
});

describe('findService: paging (SPEC §1.2)', () => {
  it('gives up a list that never ends (no total, never an empty page) after 1000 pages', async () => {
    // In memory: a thousand pages through the fake would take seconds.
    const offsets: number[] = [];
    const post = async (_url: URL, body: string) => {
      offsets.push((JSON.parse(body) as { offset: number }).offset);
      return { status: 200, statusText: 'OK', contentEncoding: '', text: '{"errcode":0,"errmsg":"ok","cslist":[{"server_name":"other"}]}' };
    };
    const error = await failure(findService(apiOn(fake, { post }), 'env-1', 'svc'));
    expect(error.message).toBe(
      'getcslist failed: still listing after 1000 pages (1000 items): the answers do not end, so the action stopped',
    );
    expect(offsets).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('takes a version list answered without items as no versions', async () => {
    const post = async () => ({ status: 200, statusText: 'OK', contentEncoding: '', text: '{"errcode":0,"errmsg":"ok"}' });
    expect(await listVersions(apiOn(fake, { post }), 'env-1', 'svc')).toEqual([]);
  });
});

describe('describeNetworkError', () => {
  const failure = (message: string, more: Record<string, string>) => Object.assign(new Error(message), more);

  it.each([
    [
      failure('getaddrinfo ENOTFOUND api.weixin.qq.com', { code: 'ENOTFOUND', hostname: 'api.weixin.qq.com' }),
      'DNS lookup of api.weixin.qq.com failed (ENOTFOUND)',
    ],
    // The runner's resolver did not answer in time: the failure a retry may cure.
    [
      failure('getaddrinfo EAI_AGAIN api.weixin.qq.com', { code: 'EAI_AGAIN', hostname: 'api.weixin.qq.com' }),
      'DNS lookup of api.weixin.qq.com failed (EAI_AGAIN)',
    ],
    [failure('getaddrinfo ENOTFOUND', { code: 'ENOTFOUND' }), 'DNS lookup of the host failed (ENOTFOUND)'],
    [failure('read ECONNRESET', { code: 'ECONNRESET' }), 'the connection was reset before an answer arrived'],
    [new Error('socket hang up'), 'the connection was reset before an answer arrived'],
    [
      failure('unable to get local issuer certificate', { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }),
      'unable to get local issuer certificate; a proxy that inspects TLS needs its CA certificate in NODE_EXTRA_CA_CERTS',
    ],
    [failure('connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' }), 'connect ECONNREFUSED 127.0.0.1:9'],
    [new Error('the answer is larger than 1048576 bytes'), 'the answer is larger than 1048576 bytes'],
    ['a string thrown', 'a string thrown'],
  ])('says what went wrong (%s)', (error, description) => {
    expect(describeNetworkError(error)).toBe(description);
  });
});

describe('showRequest', () => {
  it('shows the request as it would be sent, every password and platform secret as ***, the token as ***', () => {
    const log = recordingLog();
    showRequest(log, new URL('https://api.weixin.qq.com'), CREATE_SERVICE, { env_id: 'e', es_info: { password: 'pw-1', port: 9200 } });
    showRequest(log, new URL('https://api.weixin.qq.com'), COMPONENT_TOKEN, {
      component_appid: 'wx1',
      component_appsecret: 'sec',
      component_verify_ticket: 'tic',
    });
    expect(log.lines).toEqual([
      'Would POST https://api.weixin.qq.com/componenttcb/establishcloudbaserunserver?access_token=*** with:',
      '{',
      '  "env_id": "e",',
      '  "es_info": {',
      '    "password": "***",',
      '    "port": 9200',
      '  }',
      '}',
      'Would POST https://api.weixin.qq.com/cgi-bin/component/api_component_token with:',
      '{',
      '  "component_appid": "wx1",',
      '  "component_appsecret": "***",',
      '  "component_verify_ticket": "***"',
      '}',
    ]);
  });

  it('shows a field named password that holds no text as it is', () => {
    const log = recordingLog();
    showRequest(log, new URL('https://api.weixin.qq.com'), CREATE_SERVICE, { password: 12345 });
    expect(log.lines.slice(1)).toEqual(['{', '  "password": 12345', '}']);
  });
});

describe('messageOf', () => {
  it('is the failure line of a CallFailed, and names the action for anything else, without a stack trace', () => {
    expect(messageOf(new CallFailed('getcslist failed: errcode 48001'), 'create-cloudbase-service')).toBe(
      'getcslist failed: errcode 48001',
    );
    expect(messageOf(new TypeError('x is not a function'), 'create-cloudbase-service/delete')).toBe(
      'create-cloudbase-service/delete failed unexpectedly: x is not a function',
    );
    expect(messageOf('a string', 'create-cloudbase-service')).toBe('create-cloudbase-service failed unexpectedly: a string');
  });
});

describe('backoffMs', () => {
  it('doubles from 0.5–1 s and never exceeds 10 s', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 0))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 1))).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });
});

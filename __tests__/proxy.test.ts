import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { callWeChat } from '../src/client.ts';
import { postJson, TransportError } from '../src/http.ts';
import { proxyFor, proxySecrets } from '../src/proxy.ts';
import { LIST_SERVICES } from '../src/wechat.ts';
import { closedPort, LIST_SERVICES_PATH, startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';
import { apiOn, type Connect, type ConnectProxy, makeCertificates, startConnectProxy, TOKEN } from './fixtures.ts';

describe('proxySecrets', () => {
  it('finds the password of every proxy variable, as written and decoded', () => {
    expect(
      proxySecrets({
        HTTPS_PROXY: 'http://user:p%40ss@proxy.internal:3128',
        https_proxy: 'http://user:lower@proxy.internal:3128',
        HTTP_PROXY: 'proxy.internal:3128',
        http_proxy: 'u:no-scheme@proxy.internal:3128',
      }),
    ).toEqual(['lower', 'p%40ss', 'p@ss', 'no-scheme']);
  });

  it('finds nothing without a password, and skips what is not a URL', () => {
    expect(proxySecrets({ HTTPS_PROXY: 'http://user@proxy:3128', HTTP_PROXY: 'http://[bad', NO_PROXY: 'x' })).toEqual([]);
  });

  it('reads HTTP_PROXY too, and takes a value without a scheme as http:// even when it holds :// further on', () => {
    expect(proxySecrets({ HTTP_PROXY: 'http://user:upper-case@proxy.internal:3128' })).toEqual(['upper-case']);
    expect(proxySecrets({ HTTPS_PROXY: 'user:pw-1@proxy.internal:3128/?next=http://x' })).toEqual(['pw-1']);
  });

  it('keeps a password that is not valid percent-encoding as written', () => {
    expect(proxySecrets({ HTTPS_PROXY: 'http://user:100%@proxy:3128' })).toEqual(['100%']);
  });
});

describe('proxyFor', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads HTTPS_PROXY for https and HTTP_PROXY for http, and honours NO_PROXY', () => {
    for (const name of ['https_proxy', 'http_proxy', 'no_proxy']) vi.stubEnv(name, ''); // these win over upper case
    vi.stubEnv('HTTPS_PROXY', 'http://proxy.internal:3128');
    vi.stubEnv('HTTP_PROXY', 'http://plain.internal:8080');
    vi.stubEnv('NO_PROXY', '.corp.example');
    expect(proxyFor(new URL('https://api.weixin.qq.com/x'))?.host).toBe('proxy.internal:3128');
    expect(proxyFor(new URL('http://api.weixin.qq.com/x'))?.host).toBe('plain.internal:8080');
    expect(proxyFor(new URL('https://wechat.corp.example/x'))).toBeUndefined();
    expect(proxyFor(new URL('https://127.0.0.1:8443/x'))).toBeUndefined();
  });

  it('takes a proxy variable that names no host as no proxy', () => {
    for (const name of ['https_proxy', 'no_proxy', 'NO_PROXY']) vi.stubEnv(name, '');
    vi.stubEnv('HTTPS_PROXY', 'file:///var/run/proxy');
    expect(proxyFor(new URL('https://api.weixin.qq.com/x'))).toBeUndefined();
  });
});

/**
 * agentFor through a CONNECT proxy on 127.0.0.1 that tunnels every target to the fake WeChat
 * API (plain HTTP, so the request inside the tunnel can be read). The target's name is not a
 * loopback one: @actions/http-client never sends those through a proxy.
 */
describe('agentFor, through a proxy', () => {
  const USER = 'ci-runner';
  const PASSWORD = 'p@ss:word';
  const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  let fake: FakeWeChat;
  let proxy: ConnectProxy;
  let proxyPort: number;
  let connects: Connect[];
  /** How the proxy answers CONNECT: tunnel to the fake (or to port `to`), refuse with a status, or answer the request itself. */
  let mode: { kind: 'tunnel'; to?: number } | { kind: 'refuse'; status: string } | { kind: 'answer-at-once'; answer: string };

  beforeAll(async () => {
    fake = await startFakeWeChat();
    proxy = await startConnectProxy(() => {
      if (mode.kind === 'refuse') return { refuse: mode.status };
      // The answer in the same packet as the tunnel's: the client must read it as the first bytes from the target.
      if (mode.kind === 'answer-at-once') return { raw: `HTTP/1.1 200 Connection Established\r\n\r\n${mode.answer}` };
      return { tunnelTo: mode.to ?? Number(new URL(fake.url).port) };
    });
    proxyPort = proxy.port;
    connects = proxy.connects;
  });
  afterAll(async () => {
    await proxy.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    connects.length = 0;
    mode = { kind: 'tunnel' };
    for (const name of ['https_proxy', 'http_proxy', 'no_proxy', 'NO_PROXY', 'HTTPS_PROXY']) vi.stubEnv(name, '');
    vi.stubEnv('HTTP_PROXY', `http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${proxyPort}`);
  });
  afterEach(() => vi.unstubAllEnvs());

  const BODY = '{"env":"env-1","offset":0,"limit":20}';
  const target = (host = 'wechat.internal') =>
    new URL(`http://${host}:${new URL(fake.url).port}${LIST_SERVICES_PATH}?access_token=${TOKEN}`);
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected the request to fail'),
      (error: unknown) => error as TransportError,
    );

  it('opens a tunnel to host:port with the decoded basic credentials, then sends the request inside it, without them', async () => {
    const answer = await postJson(target(), BODY, 5000);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ errcode: 0, total: 0, cslist: [] });
    const where = `wechat.internal:${new URL(fake.url).port}`;
    expect(connects).toEqual([{ target: where, host: where, authorization: BASIC }]);
    const [request] = fake.requests;
    expect(request?.path).toBe(LIST_SERVICES_PATH);
    expect(request?.query).toEqual({ access_token: TOKEN });
    expect(request?.headers.host).toBe(where);
    expect(request?.headers['proxy-authorization']).toBeUndefined();
    expect(request?.body).toBe(BODY);
  });

  it('callWeChat names the proxy that carries a call, never its credentials', async () => {
    const api = apiOn(fake, { base: new URL(`http://wechat.internal:${new URL(fake.url).port}`) });
    const { outcome } = await callWeChat(api, LIST_SERVICES, JSON.parse(BODY));
    expect(outcome.errcode).toBe(0);
    expect(api.log.lines[0]).toBe(
      `debug: POST http://wechat.internal:${new URL(fake.url).port}${LIST_SERVICES_PATH} via proxy 127.0.0.1:${proxyPort} (attempt 1 of 3)`,
    );
    expect(api.log.lines.join('\n')).not.toContain(USER);
  });

  it('sends no credentials to a proxy whose URL has none', async () => {
    vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${proxyPort}`);
    await postJson(target(), BODY, 5000);
    expect(connects.map((c) => c.authorization)).toEqual([undefined]);
  });

  it.each([
    ['a user without a password', `${USER}@`, `${USER}:`],
    ['a password without a user', `:${encodeURIComponent(PASSWORD)}@`, `:${PASSWORD}`],
  ])('sends the credentials of a proxy URL with %s', async (_, credentials, basic) => {
    vi.stubEnv('HTTP_PROXY', `http://${credentials}127.0.0.1:${proxyPort}`);
    await postJson(target(), BODY, 5000);
    expect(connects.map((c) => c.authorization)).toEqual([`Basic ${Buffer.from(basic).toString('base64')}`]);
  });

  it('names the default port of a target URL that gives none', async () => {
    // The proxy tunnels every target to the fake, wherever it points.
    await postJson(new URL(`http://wechat.internal${LIST_SERVICES_PATH}?access_token=${TOKEN}`), BODY, 5000);
    expect(connects.map((c) => c.target)).toEqual(['wechat.internal:80']);
  });

  describe('to an https target', () => {
    const seen: { servername: string | false | null; connection: string | undefined }[] = [];
    let dir: string;
    let server: https.Server;
    let port: number;
    let trusted: string[];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'proxy-tls-'));
      const { caFile, key, cert } = makeCertificates(dir, 'DNS:wechat.internal,IP:10.0.0.1');
      server = https.createServer({ key, cert }, (request, response) => {
        seen.push({ servername: (request.socket as tls.TLSSocket).servername, connection: request.headers.connection });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
      // The test CA, trusted by this process as NODE_EXTRA_CA_CERTS makes a runner trust a proxy's.
      trusted = tls.getCACertificates('default');
      tls.setDefaultCACertificates([...trusted, readFileSync(caFile, 'utf8')]);
    });
    afterAll(async () => {
      tls.setDefaultCACertificates(trusted);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      seen.length = 0;
      mode = { kind: 'tunnel', to: port };
      vi.stubEnv('HTTPS_PROXY', process.env['HTTP_PROXY']);
    });
    const secure = (host: string) => new URL(`https://${host}:${port}${LIST_SERVICES_PATH}?access_token=${TOKEN}`);

    it.each([
      ['a name, sent as the TLS server name', 'wechat.internal', 'wechat.internal'],
      ['an IP address, which is no TLS server name (RFC 6066)', '10.0.0.1', false],
    ])('speaks TLS with the target itself inside the tunnel, its certificate checked: %s', async (_, host, servername) => {
      const answer = await postJson(secure(host), BODY, 5000);
      expect(answer).toMatchObject({ status: 200, text: '{"errcode":0,"errmsg":"ok"}' });
      expect(connects.map((c) => c.target)).toEqual([`${host}:${port}`]);
      expect(seen).toEqual([{ servername, connection: 'close' }]);
    });

    it('refuses a target whose certificate names another host, and sends it nothing', async () => {
      const error = await failure(postJson(secure('other.internal'), BODY, 5000));
      expect(error.message).toMatch(/^Hostname\/IP does not match certificate's altnames: Host: other\.internal\. /);
      expect(error.sent).toBe(false);
      expect(seen).toEqual([]);
    });
  });

  it('writes an IPv6 target in brackets', async () => {
    mode = { kind: 'refuse', status: '403 Forbidden' };
    await failure(postJson(target('[2001:db8::1]'), BODY, 5000));
    expect(connects.map((c) => c.target)).toEqual([`[2001:db8::1]:${new URL(fake.url).port}`]);
  });

  it('reads an answer that came in the same packet as the proxy’s 200', async () => {
    const text = '{"errcode":0,"errmsg":"ok"}';
    mode = {
      kind: 'answer-at-once',
      answer: `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
    };
    const answer = await postJson(target(), BODY, 2000);
    expect(answer).toMatchObject({ status: 200, text });
  });

  it.each([
    ['407 Proxy Authentication Required', 'the proxy answered HTTP 407 to CONNECT: check the user and password in HTTPS_PROXY'],
    ['403 Forbidden', 'the proxy answered HTTP 403 to CONNECT'],
  ])('a CONNECT answered %s: the request never left, and the error says why', async (status, message) => {
    mode = { kind: 'refuse', status };
    const error = await failure(postJson(target(), BODY, 5000));
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toBe(message);
    expect(error.sent).toBe(false);
    expect(fake.requests).toEqual([]);
  });

  it('a proxy that cannot be reached: says so', async () => {
    const port = await closedPort();
    vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${port}`);
    const error = await failure(postJson(target(), BODY, 5000));
    expect(error.message).toBe(`could not reach the proxy: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.sent).toBe(false);
  });

  it('a proxy that never answers CONNECT: the timeout ends the attempt and closes the connection to the proxy', async () => {
    const silent = net.createServer();
    // It reads what it is sent (so that it sees the connection end), and never answers.
    const closed = new Promise<void>((resolve) => silent.on('connection', (socket) => socket.resume().on('close', () => resolve())));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
    try {
      const error = await failure(postJson(target(), BODY, 300));
      expect(error.message).toBe('no answer within 0.3 s');
      await expect(
        Promise.race([closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still open'), 2000))]),
      ).resolves.toBe('closed');
    } finally {
      silent.close();
    }
  });
});

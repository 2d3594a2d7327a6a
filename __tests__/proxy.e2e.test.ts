/**
 * Proxies, end to end, with the production URL unchanged: a test CA signs a certificate
 * for api.weixin.qq.com, a local HTTPS fake WeChat serves it, and a local CONNECT proxy
 * sends every tunnel for api.weixin.qq.com:443 to that fake. The bundled action runs with
 * the default api_base_url, HTTPS_PROXY pointing at the proxy and the CA in
 * NODE_EXTRA_CA_CERTS. The proxy never dials out: nothing leaves the machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_PATH, LIST_SERVICES_PATH, TOKEN_PATH, startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';
import { runAction, type ActionRun } from '../tools/run-action.ts';
import { errors, expectCleanRun, infos, masks } from './e2e.ts';
import { type ConnectProxy, makeCertificates, startConnectProxy } from './fixtures.ts';

const WECHAT = 'api.weixin.qq.com';
const TOKEN = `tok-${randomUUID()}`;
const PROXY_USER = 'ci-runner';
const PROXY_PASSWORD = `p@ss:${randomUUID()}`; // '@' and ':' must be percent-encoded in the URL
const PROXY_PASSWORD_IN_URL = encodeURIComponent(PROXY_PASSWORD);
/** The Proxy-Authorization header the proxy accepts: basic auth with the decoded user and password. */
const CREDENTIALS = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`;

let dir: string;
let caFile: string;
let fake: FakeWeChat;
let proxy: ConnectProxy;
let runs: { run: ActionRun; given: Record<string, string>; proxyPasswords: string[] }[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'proxy-e2e-'));
  const certificates = makeCertificates(dir, `DNS:${WECHAT}`);
  caFile = certificates.caFile;
  fake = await startFakeWeChat({ tls: { key: certificates.key, cert: certificates.cert } });
  fake.platform = { appid: 'wx-proxy-platform', appsecret: `appsecret-${randomUUID()}`, verifyTicket: `ticket@@@${randomUUID()}` };
  // Basic auth, and api.weixin.qq.com:443 alone is tunnelled (to the fake).
  proxy = await startConnectProxy(({ target, authorization }) => {
    if (authorization !== CREDENTIALS) return { refuse: '407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"' };
    if (target !== `${WECHAT}:443`) return { refuse: '403 Forbidden' };
    return { tunnelTo: Number(new URL(fake.url).port) };
  });
});
afterAll(async () => {
  await proxy.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  fake.tokens.add(TOKEN);
  proxy.connects.length = 0;
  runs = [];
});
afterEach(() => {
  const issued = [...fake.tokens].filter((token) => token.startsWith('issued-'));
  const secrets = [TOKEN, fake.platform.appsecret, fake.platform.verifyTicket];
  for (const { run, given, proxyPasswords } of runs) {
    // Every run has the proxy password in its environment; the input secrets it was given are masked first too.
    const inputs = [...secrets.filter((secret) => Object.values(given).includes(secret)), ...proxyPasswords];
    expectCleanRun(run, { inputs, others: [...secrets, ...issued, PROXY_PASSWORD, PROXY_PASSWORD_IN_URL] });
  }
});

// No api_base_url: the action calls https://api.weixin.qq.com, as in production.
const inputs = { access_token: TOKEN, env_id: 'prod-2g59lad002c864a6', service_name: 'pr-7', is_public: 'false' };
const proxyUrl = (password = PROXY_PASSWORD_IN_URL, port = proxy.port) => `http://${PROXY_USER}:${password}@127.0.0.1:${port}`;

async function act(given: Record<string, string>, env: Record<string, string>): Promise<ActionRun> {
  const run = await runAction({ inputs: given, env: { NODE_EXTRA_CA_CERTS: caFile, ...env } });
  const proxy = env['HTTPS_PROXY'] ?? env['https_proxy'];
  const password = proxy === undefined ? '' : new URL(proxy).password;
  runs.push({ run, given, proxyPasswords: password === '' ? [] : [...new Set([password, decodeURIComponent(password)])] });
  return run;
}

describe('HTTPS_PROXY', () => {
  it.each(['HTTPS_PROXY', 'https_proxy'])('%s carries the call to api.weixin.qq.com, with the proxy credentials', async (name) => {
    const run = await act(inputs, { [name]: proxyUrl() });
    expect(run.exitCode).toBe(0);
    const tunnel = { target: `${WECHAT}:443`, host: `${WECHAT}:443`, authorization: CREDENTIALS };
    expect(proxy.connects).toEqual([tunnel, tunnel]);
    expect(fake.requests.map((r) => r.path)).toEqual([LIST_SERVICES_PATH, CREATE_PATH]);
    for (const request of fake.requests) {
      expect(request.headers.host).toBe(WECHAT);
      expect(request.query).toEqual({ access_token: TOKEN });
    }
    expect(infos(run).filter((line) => line.startsWith('POST '))).toEqual([
      `POST https://${WECHAT}${CREATE_PATH} via proxy 127.0.0.1:${proxy.port} (attempt 1 of 3)`,
    ]);
    expect(run.outputs['created']).toBe('true');
  });

  it('keeps the proxy credentials to the CONNECT: the request inside the tunnel carries none of them', async () => {
    const run = await act(inputs, { HTTPS_PROXY: proxyUrl() });
    expect(run.exitCode).toBe(0);
    expect(fake.requests).toHaveLength(2);
    for (const request of fake.requests) {
      expect(request.headers['proxy-authorization']).toBeUndefined();
      const seen = JSON.stringify([request.headers, request.query, request.body]);
      for (const secret of [PROXY_PASSWORD, PROXY_PASSWORD_IN_URL, CREDENTIALS, CREDENTIALS.slice('Basic '.length), PROXY_USER]) {
        expect(seen).not.toContain(secret);
      }
    }
  });

  it('carries the token exchange too: every call goes through the proxy', async () => {
    const run = await act(
      {
        ...inputs,
        access_token: '',
        component_appid: fake.platform.appid,
        component_appsecret: fake.platform.appsecret,
        component_verify_ticket: fake.platform.verifyTicket,
      },
      { HTTPS_PROXY: proxyUrl() },
    );
    expect(run.exitCode).toBe(0);
    expect(fake.requests.map((r) => r.path)).toEqual([TOKEN_PATH, LIST_SERVICES_PATH, CREATE_PATH]);
    const tunnel = { target: `${WECHAT}:443`, host: `${WECHAT}:443`, authorization: CREDENTIALS };
    expect(proxy.connects).toEqual([tunnel, tunnel, tunnel]);
  });

  it('masks the proxy password before anything else is printed', async () => {
    const run = await act({ ...inputs, dry_run: 'true' }, { HTTPS_PROXY: proxyUrl() });
    expect(run.exitCode).toBe(0);
    expect(masks(run)).toEqual([TOKEN, PROXY_PASSWORD_IN_URL, PROXY_PASSWORD]);
    expect(
      run.stdout
        .split('\n')
        .slice(0, 3)
        .every((line) => line.startsWith('::add-mask::')),
    ).toBe(true);
  });

  it('says so when the proxy refuses the credentials, and sends nothing to WeChat', async () => {
    const run = await act({ ...inputs, max_attempts: '1' }, { HTTPS_PROXY: proxyUrl('wrong-password') });
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(proxy.connects).toHaveLength(1);
    expect(errors(run)).toEqual([
      `getcslist failed: could not reach https://${WECHAT}${LIST_SERVICES_PATH} (the proxy answered HTTP 407 ` +
        "to CONNECT: check the user and password in HTTPS_PROXY): check api_base_url, the runner's network and HTTPS_PROXY",
    ]);
  });

  it('fails on a certificate it does not trust: the proxy cannot read the call', async () => {
    const given = { ...inputs, max_attempts: '1' };
    const run = await runAction({ inputs: given, env: { HTTPS_PROXY: proxyUrl() } });
    runs.push({ run, given, proxyPasswords: [PROXY_PASSWORD_IN_URL, PROXY_PASSWORD] });
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)[0]).toMatch(
      /^getcslist failed: could not reach https:\/\/api\.weixin\.qq\.com\/\S+ \(unable to verify the first certificate; .+; a proxy that inspects TLS needs its CA certificate in NODE_EXTRA_CA_CERTS\): /,
    );
  });

  it('gives up on a proxy that never answers CONNECT within timeout_seconds, and exits', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const run = await act({ ...inputs, timeout_seconds: '1', max_attempts: '1' }, { HTTPS_PROXY: proxyUrl(PROXY_PASSWORD_IN_URL, port) });
      expect(run.exitCode).toBe(1);
      expect(run.durationMs).toBeLessThan(5000);
      expect(errors(run)).toEqual([
        `getcslist failed: could not reach https://${WECHAT}${LIST_SERVICES_PATH} (no answer within 1 s): ` +
          "check api_base_url, the runner's network and HTTPS_PROXY",
      ]);
    } finally {
      silent.close();
    }
  });
});

describe('NO_PROXY', () => {
  // A name under .invalid never resolves: the error says whether the proxy or the runner tried.
  const unresolvable = { ...inputs, api_base_url: 'https://wechat.invalid', max_attempts: '1' };

  it('sends a host it does not list through the proxy', async () => {
    const run = await act(unresolvable, { HTTPS_PROXY: proxyUrl(), NO_PROXY: 'example.com,.internal' });
    expect(proxy.connects.map((t) => t.target)).toEqual(['wechat.invalid:443']);
    expect(errors(run)[0]).toContain('(the proxy answered HTTP 403 to CONNECT)');
  });

  it.each(['NO_PROXY', 'no_proxy'])('%s sends a listed host around the proxy', async (name) => {
    const run = await act(unresolvable, { HTTPS_PROXY: proxyUrl(), [name]: 'example.com,.invalid' });
    expect(proxy.connects).toEqual([]);
    expect(run.commands.filter((c) => c.command === 'debug' && c.value.startsWith('POST ')).map((c) => c.value)).toEqual([
      `POST https://wechat.invalid${LIST_SERVICES_PATH}`,
    ]);
    expect(errors(run)[0]).toContain('(DNS lookup of wechat.invalid failed (ENOTFOUND))');
  });
});

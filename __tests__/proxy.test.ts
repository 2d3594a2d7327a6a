import { afterEach, describe, expect, it, vi } from 'vitest';
import { proxyFor, proxySecrets } from '../src/proxy.ts';

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
});

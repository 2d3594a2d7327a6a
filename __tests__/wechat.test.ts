import { describe, expect, it } from 'vitest';
import { redact } from '../src/errors.ts';
import type { ServiceParams } from '../src/inputs.ts';
import {
  COMPONENT_TOKEN,
  CREATE_SERVICE,
  createServiceBody,
  describeFailure,
  endpoint,
  ridOf,
  withAccessToken,
} from '../src/wechat.ts';

describe('endpoint', () => {
  it('puts the call path under api_base_url, keeping a gateway prefix and no query', () => {
    expect(endpoint(new URL('https://api.weixin.qq.com'), CREATE_SERVICE).href).toBe(
      'https://api.weixin.qq.com/componenttcb/establishcloudbaserunserver',
    );
    expect(endpoint(new URL('http://127.0.0.1:9000/wx/'), COMPONENT_TOKEN).href).toBe(
      'http://127.0.0.1:9000/wx/cgi-bin/component/api_component_token',
    );
  });

  it('sends the token only as the access_token query parameter', () => {
    const url = withAccessToken(endpoint(new URL('https://api.weixin.qq.com'), CREATE_SERVICE), 'a b&c');
    expect(url.search).toBe('?access_token=a+b%26c');
    expect(url.searchParams.get('access_token')).toBe('a b&c');
  });
});

describe('createServiceBody', () => {
  it('keeps only the given fields, log_type and public_access at top level', () => {
    const service: ServiceParams = {
      public_access: 1,
      vpc_info: { vpc_id: 'vpc-abc', subnet_ids: ['subnet-1'], create_type: 2 },
      log_type: 'es',
      es_info: { port: 9200 },
      is_public: false,
      service_name: 'svc',
      env_id: 'env',
    };
    expect(JSON.stringify(createServiceBody(service))).toBe(
      '{"env_id":"env","service_name":"svc","is_public":false,"es_info":{"port":9200},"log_type":"es",' +
        '"vpc_info":{"vpc_id":"vpc-abc","subnet_ids":["subnet-1"],"create_type":2},"public_access":1}',
    );
    expect(JSON.stringify(createServiceBody({ env_id: 'e', service_name: 's', is_public: true }))).toBe(
      '{"env_id":"e","service_name":"s","is_public":true}',
    );
  });
});

describe('ridOf', () => {
  it('finds the request id at the end of errmsg', () => {
    expect(ridOf('invalid access_token rid: 6489b1c2-3c1c4a9d-5e3f2b1a')).toBe('6489b1c2-3c1c4a9d-5e3f2b1a');
    expect(ridOf('invalid credential, more details at https://mmbizurl.cn/s/JtxxFh33r rid: 64a1-2b3c')).toBe('64a1-2b3c');
    expect(ridOf('ok')).toBe('');
  });
});

describe('describeFailure', () => {
  const outcome = (errcode: number, errmsg: string) => ({ errcode, errmsg, rid: ridOf(errmsg) });

  it.each([
    [-1, 'system error', 'WeChat was busy on every attempt'],
    [-1000, 'system error', 'internal error on WeChat’s side'],
    [40001, 'invalid credential', 'check component_appsecret'],
    [40014, 'invalid access_token', 'pass a current component_access_token of this third-party platform'],
    [40097, 'invalid args', 'WeChat rejected a parameter'],
    [40101, 'missing parameter', 'a required parameter is missing'],
    [41001, 'access_token missing', 'no access_token reached WeChat'],
    [42001, 'access_token expired', 'refresh the component_access_token (it lives 7200 s)'],
    [43002, 'require POST method', 'the call must be POST'],
    [44002, 'empty post data', 'WeChat received an empty body'],
    [45009, 'reach max api daily quota limit', 'the daily API quota is used up'],
    [47001, 'data format error', 'WeChat could not read the body as JSON'],
    [61004, 'access clientip is not registered requestIP: 203.0.113.7', "the runner's IP 203.0.113.7 is not on the third-party platform's IP whitelist"],
    [85088, 'no qbase privilege', 'this app has not enabled CloudBase'],
  ])('maps errcode %i to its meaning and remedy', (errcode, errmsg, remedy) => {
    const line = describeFailure(CREATE_SERVICE, outcome(errcode, `${errmsg} rid: 6489-abc`));
    expect(line.startsWith(`createCloudbaseService failed: errcode ${errcode} (${errmsg}): `)).toBe(true);
    expect(line).toContain(remedy);
    expect(line.endsWith(' rid: 6489-abc')).toBe(true);
  });

  it('reads exactly as SPEC §3 shows it', () => {
    expect(describeFailure(CREATE_SERVICE, outcome(42001, 'access_token expired rid: 6489-1a2b'))).toBe(
      'createCloudbaseService failed: errcode 42001 (access_token expired): refresh the component_access_token ' +
        '(it lives 7200 s), or give component_appid, component_appsecret and component_verify_ticket so the action ' +
        'obtains a fresh one rid: 6489-1a2b',
    );
  });

  it('passes unknown codes through with WeChat’s errmsg, and counts attempts', () => {
    expect(describeFailure(CREATE_SERVICE, outcome(99999, 'something new'))).toBe(
      'createCloudbaseService failed: errcode 99999 (something new)',
    );
    expect(describeFailure(CREATE_SERVICE, outcome(-1, 'system error rid: r1'), 3)).toBe(
      'createCloudbaseService failed: errcode -1 (system error): WeChat was busy on every attempt: ' +
        'run the job again in a few minutes [3 attempts] rid: r1',
    );
  });

  it('names the token step when the exchange fails', () => {
    expect(describeFailure(COMPONENT_TOKEN, outcome(61005, 'component ticket is expired rid: r2'))).toMatch(
      /^api_component_token failed \(the token step: no service was created\): errcode 61005 \(component ticket is expired\): the component_verify_ticket has expired/,
    );
  });
});

describe('redact', () => {
  it('removes secrets in raw, URL-encoded and form-encoded forms', () => {
    const secret = 'a+b/c d';
    expect(redact(`x ${secret} y a%2Bb%2Fc%20d z a%2Bb%2Fc+d`, [secret])).toBe('x *** y *** z ***');
  });

  it('blanks any access_token query parameter, even for a token it was not told about', () => {
    expect(redact('Request timeout: /componenttcb/establishcloudbaserunserver?access_token=unknown-token&x=1', [])).toBe(
      'Request timeout: /componenttcb/establishcloudbaserunserver?access_token=***&x=1',
    );
  });

  it('replaces a longer secret before a shorter one it contains', () => {
    expect(redact('token-123456', ['123', 'token-123456'])).toBe('***');
  });
});

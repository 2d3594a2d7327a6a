import { describe, expect, it } from 'vitest';
import type { CreateInputs, DeployInputs } from '../src/inputs.ts';
import {
  COMPONENT_TOKEN,
  CREATE_SERVICE,
  createServiceBody,
  createVersionBody,
  deleteServiceBody,
  deleteVersionBody,
  describeFailure,
  endpoint,
  listServicesBody,
  listVersionsBody,
  ridOf,
  stopsEveryCall,
  tcbCodeOf,
  withAccessToken,
  withoutRid,
} from '../src/wechat.ts';

describe('endpoint', () => {
  it('puts the call path under api_base_url, keeping a gateway prefix and no query', () => {
    expect(endpoint(new URL('https://api.weixin.qq.com'), CREATE_SERVICE).href).toBe(
      'https://api.weixin.qq.com/componenttcb/establishcloudbaserunserver',
    );
    expect(endpoint(new URL('http://127.0.0.1:9000/wx/'), COMPONENT_TOKEN).href).toBe(
      'http://127.0.0.1:9000/wx/cgi-bin/component/api_component_token',
    );
    expect(endpoint(new URL('http://127.0.0.1:9000/wx//'), CREATE_SERVICE).href).toBe(
      'http://127.0.0.1:9000/wx/componenttcb/establishcloudbaserunserver',
    );
  });

  it('sends the token only as the access_token query parameter', () => {
    const url = withAccessToken(endpoint(new URL('https://api.weixin.qq.com'), CREATE_SERVICE), 'a b&c');
    expect(url.search).toBe('?access_token=a+b%26c');
    expect(url.searchParams.get('access_token')).toBe('a b&c');
  });
});

describe('createServiceBody', () => {
  it('keeps only the given fields, in the documented order, log_type and public_access at top level', () => {
    const own: CreateInputs['own'] = {
      if_exists: 'skip',
      public_access: 1,
      vpc_info: { vpc_id: 'vpc-abc', subnet_ids: ['subnet-1'], create_type: 2 },
      log_type: 'es',
      es_info: { port: 9200 },
      is_public: false,
    };
    expect(JSON.stringify(createServiceBody('env', 'svc', own))).toBe(
      '{"env_id":"env","service_name":"svc","is_public":false,"es_info":{"port":9200},"log_type":"es",' +
        '"vpc_info":{"vpc_id":"vpc-abc","subnet_ids":["subnet-1"],"create_type":2},"public_access":1}',
    );
    expect(JSON.stringify(createServiceBody('e', 's', { is_public: true, if_exists: 'fail' }))).toBe(
      '{"env_id":"e","service_name":"s","is_public":true}',
    );
  });
});

describe('the bodies of the other calls, each with its generation’s field names (SPEC §1.2–1.4)', () => {
  it('getcslist and getcsversionlist say env (and service_name), with offset and a page of 20', () => {
    expect(listServicesBody('env', 40)).toEqual({ env: 'env', offset: 40, limit: 20 });
    expect(listVersionsBody('env', 'svc', 0)).toEqual({ env: 'env', service_name: 'svc', offset: 0, limit: 20 });
  });

  it('delcontainerservice says env and service_name', () => {
    expect(deleteServiceBody('env', 'svc')).toEqual({ env: 'env', service_name: 'svc' });
  });

  it('deletecloudbaserunserverversion says env_id and server_name; is_delete_server only with the last, is_delete_image never', () => {
    expect(JSON.stringify(deleteVersionBody('env', 'svc', 'svc-001', false))).toBe(
      '{"env_id":"env","server_name":"svc","version_name":"svc-001"}',
    );
    expect(JSON.stringify(deleteVersionBody('env', 'svc', 'svc-002', true))).toBe(
      '{"env_id":"env","server_name":"svc","version_name":"svc-002","is_delete_server":true}',
    );
  });

  it('createcloudbaserunserverversion: env_id and server_name, the numbers as numbers, env_params as a JSON string', () => {
    const own: DeployInputs['own'] = {
      image_url: 'ccr.ccs.tencentyun.com/ns/app:1',
      container_port: 8080,
      cpu: 0.25,
      mem: 0.5,
      min_num: 0,
      max_num: 5,
      policy_type: 'cpu',
      policy_threshold: 60,
      flow_ratio: 100,
      env_params: { NODE_ENV: 'preview' },
      version_remark: 'pr 42',
      image_secret_info: { registry_server: 'ccr.ccs.tencentyun.com', user_name: 'u', password: 'p' },
      wait: true,
      wait_timeout_seconds: 900,
      keep_versions: 0,
    };
    expect(JSON.stringify(createVersionBody('env', 'svc', own))).toBe(
      '{"env_id":"env","server_name":"svc","upload_type":"image","flow_ratio":100,"cpu":0.25,"mem":0.5,"min_num":0,"max_num":5,' +
        '"policy_type":"cpu","policy_threshold":60,"container_port":8080,"image_info":{"image_url":"ccr.ccs.tencentyun.com/ns/app:1"},' +
        '"env_params":"{\\"NODE_ENV\\":\\"preview\\"}","version_remark":"pr 42",' +
        '"image_secret_info":{"registry_server":"ccr.ccs.tencentyun.com","user_name":"u","password":"p"}}',
    );
  });
});

describe('ridOf', () => {
  it('finds the request id at the end of errmsg', () => {
    expect(ridOf('invalid access_token rid: 6489b1c2-3c1c4a9d-5e3f2b1a')).toBe('6489b1c2-3c1c4a9d-5e3f2b1a');
    expect(ridOf('invalid credential, more details at https://mmbizurl.cn/s/JtxxFh33r rid: 64a1-2b3c')).toBe('64a1-2b3c');
    expect(ridOf('ok')).toBe('');
    expect(ridOf('rid:')).toBe('');
  });

  it('reads a rid at the very start, and none glued to a word or without an id', () => {
    expect(ridOf('rid: 6489-1a2b')).toBe('6489-1a2b');
    expect(ridOf('invalid args grid: 6489-1a2b')).toBe('');
    expect(ridOf('invalid args rid: !')).toBe('');
  });

  it('takes the last rid: WeChat’s own comes after anything an errmsg quotes', () => {
    expect(ridOf('name "x rid: fake" is taken rid: 6489-real')).toBe('6489-real');
  });
});

describe('withoutRid', () => {
  it('drops the rid that ends errmsg, and the comma or space before it', () => {
    expect(withoutRid('access_token expired rid: 6489-1a2b')).toBe('access_token expired');
    expect(withoutRid('invalid args, rid: 6489-1a2b')).toBe('invalid args');
    expect(withoutRid('a rid: 1 then more')).toBe('a rid: 1 then more');
    expect(withoutRid('  no rid here  ')).toBe('no rid here');
  });

  it('trims what is left, and keeps a rid: that names no id', () => {
    expect(withoutRid('  invalid args rid: 6489-1a2b \n')).toBe('invalid args');
    expect(withoutRid('invalid args rid: ')).toBe('invalid args rid:');
  });
});

describe('tcbCodeOf', () => {
  it('reads the Tencent Cloud code WeChat passes through', () => {
    expect(tcbCodeOf('tcb api error TcbCode: [ResourceInUse] TcbMessage: [service already exists] rid: 1')).toBe('ResourceInUse');
    expect(tcbCodeOf('TcbCode: [ResourceNotFound.ServiceNotExist]')).toBe('ResourceNotFound.ServiceNotExist');
    expect(tcbCodeOf('TcbCode: nothing here')).toBe('');
    expect(tcbCodeOf('no code')).toBe('');
  });

  it('reads the code in the brackets right after TcbCode: only, and only a well-formed one', () => {
    expect(tcbCodeOf('no code, but [Bracketed]')).toBe('');
    expect(tcbCodeOf('TcbCode: [ResourceInUse')).toBe('');
    expect(tcbCodeOf(`TcbCode: ${' '.repeat(8)}[ResourceInUse]`)).toBe('ResourceInUse');
    expect(tcbCodeOf(`TcbCode: ${' '.repeat(9)}[ResourceInUse]`)).toBe('');
    expect(tcbCodeOf('TcbCode: something else [ResourceInUse]')).toBe('');
    expect(tcbCodeOf('TcbCode: [bad code]')).toBe('');
    expect(tcbCodeOf('TcbCode: [Code!]')).toBe('');
    expect(tcbCodeOf(`TcbCode: [${'A'.repeat(101)}]`)).toBe('');
    // A bracket before TcbCode: is not its code.
    expect(tcbCodeOf('Code] TcbCode: none')).toBe('');
  });
});

describe('stopsEveryCall', () => {
  it('is exactly the refusals SPEC §2 lists: token, credential, quota, IP whitelist, CloudBase', () => {
    const codes = [-1, -1000, 40001, 40014, 40097, 40101, 41001, 42001, 43002, 44002, 45009, 47001, 48001, 61004, 85088, -501000];
    expect(codes.filter(stopsEveryCall)).toEqual([40001, 40014, 41001, 42001, 45009, 61004, 85088]);
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
    [48001, 'api unauthorized', 'the third-party platform has no permission for this call'],
    [40101, 'missing parameter', 'a required parameter is missing'],
    [41001, 'access_token missing', 'no access_token reached WeChat'],
    [42001, 'access_token expired', 'refresh the component_access_token (it lives 7200 s)'],
    [43002, 'require POST method', 'the call must be POST'],
    [44002, 'empty post data', 'WeChat received an empty body'],
    [45009, 'reach max api daily quota limit', 'the daily API quota is used up'],
    [47001, 'data format error', 'WeChat could not read the body as JSON'],
    [
      61004,
      'access clientip is not registered requestIP: 203.0.113.7',
      "the runner's IP 203.0.113.7 is not on the third-party platform's IP whitelist",
    ],
    [61004, 'access clientip is not registered requestIP: 203.0.113.7', 'GitHub-hosted runners change IP from job to job'],
    [61005, 'component ticket is expired', 'the component_verify_ticket has expired (it is valid 12 hours)'],
    [61006, 'component ticket is invalid', 'pass the latest ticket WeChat pushed to your platform, unaltered'],
    [85088, 'no qbase privilege', 'this app has not enabled CloudBase'],
  ])('maps errcode %i to its meaning and remedy', (errcode, errmsg, remedy) => {
    const line = describeFailure(CREATE_SERVICE, outcome(errcode, `${errmsg} rid: 6489-abc`));
    expect(line.startsWith(`createCloudbaseService failed: errcode ${errcode} (${errmsg}): `)).toBe(true);
    expect(line).toContain(remedy);
    expect(line.endsWith(' rid: 6489-abc')).toBe(true);
  });

  it.each([
    [-1, 'system error'],
    [-1000, 'system error'],
    [40001, 'invalid credential'],
    [40014, 'invalid access_token'],
    [40097, 'invalid args'],
    [40101, 'missing parameter'],
    [41001, 'access_token missing'],
    [42001, 'access_token expired'],
    [43002, 'require POST method'],
    [44002, 'empty post data'],
    [45009, 'reach max api daily quota limit'],
    [47001, 'data format error'],
    [48001, 'api unauthorized'],
    [61004, 'access clientip is not registered'],
    [61005, 'component ticket is expired'],
    [61006, 'component ticket is invalid'],
    [85088, 'no qbase privilege'],
  ])('gives errcode %i its documented meaning when WeChat sends no errmsg', (errcode, meaning) => {
    expect(describeFailure(CREATE_SERVICE, { errcode, errmsg: '', rid: '' })).toMatch(
      new RegExp(`^createCloudbaseService failed: errcode ${errcode} \\(${meaning}\\): \\S`),
    );
  });

  // SPEC §1.5: a refusal for a quota says the environment is full and points at prune.
  const QUOTA =
    ': the environment has reached a quota (CloudBase documents 15 services per environment): delete the services no longer needed, ' +
    'e.g. with the prune action (prefix: pr-) for the previews of closed pull requests, then run again';
  it.each([
    ['a LimitExceeded TcbCode', 'tcb api error TcbCode: [LimitExceeded] TcbMessage: [too many]'],
    ['a LimitExceeded sub-code', 'tcb api error TcbCode: [LimitExceeded.Service] TcbMessage: [the env is full]'],
    ['an errmsg about a quota', 'tcb api error TcbCode: [FailedOperation] TcbMessage: [service quota used up]'],
    ['an errmsg about a limit', 'tcb api error TcbCode: [FailedOperation] TcbMessage: [Service count Limit reached]'],
    ['an errmsg that says exceeded', 'the number of services exceeded'],
  ])('an undocumented errcode with %s gets the quota remedy', (_, errmsg) => {
    expect(describeFailure(CREATE_SERVICE, outcome(-501000, `${errmsg} rid: 6489-abc`))).toBe(
      `createCloudbaseService failed: errcode -501000 (${errmsg})${QUOTA} rid: 6489-abc`,
    );
  });

  it.each([
    ['another TcbCode', 'tcb api error TcbCode: [ResourceNotFound] TcbMessage: [service not found]'],
    ['a word that only contains limit', 'tcb api error TcbCode: [InvalidParameter] TcbMessage: [unlimited is not a value]'],
  ])('an undocumented errcode with %s gets no remedy', (_, errmsg) => {
    expect(describeFailure(CREATE_SERVICE, outcome(-501000, `${errmsg} rid: 6489-abc`))).toBe(
      `createCloudbaseService failed: errcode -501000 (${errmsg}) rid: 6489-abc`,
    );
  });

  it('a documented errcode keeps its own remedy though its errmsg speaks of a quota (45009)', () => {
    expect(describeFailure(CREATE_SERVICE, outcome(45009, 'reach max api daily quota limit'))).not.toContain(QUOTA);
  });

  it('says so when an unknown errcode comes without an errmsg', () => {
    expect(describeFailure(CREATE_SERVICE, { errcode: 99999, errmsg: '', rid: '' })).toBe(
      'createCloudbaseService failed: errcode 99999 (no errmsg)',
    );
  });

  it.each([
    ['an IPv6 address', 'access clientip is not registered requestIP: 2001:db8::7 rid: 6489-abc', '2001:db8::7'],
    ['no space after requestIP:', 'access clientip is not registered requestIP:203.0.113.7', '203.0.113.7'],
    ['punctuation after it', 'access clientip is not registered requestIP: 203.0.113.7.: rid: 6489-abc', '203.0.113.7'],
    ['an IPv4 address elsewhere in errmsg', 'invalid ip 203.0.113.9, not in whitelist rid: 6489-abc', '203.0.113.9'],
    ['at most 45 characters', `access clientip is not registered requestIP: ${'a'.repeat(60)}`, 'a'.repeat(45)],
  ])('quotes the caller IP of a 61004 (%s)', (_, errmsg, ip) => {
    expect(describeFailure(CREATE_SERVICE, outcome(61004, errmsg))).toContain(
      `: the runner's IP ${ip} is not on the third-party platform's IP whitelist: `,
    );
  });

  it('reads no IP from an errmsg without requestIP: that merely holds hex digits', () => {
    expect(describeFailure(CREATE_SERVICE, outcome(61004, '0123456789abcdef not registered'))).toContain(
      ": the runner's IP is not on the third-party platform's IP whitelist: ",
    );
  });

  it('says the runner’s IP without one when errmsg gives none', () => {
    expect(describeFailure(CREATE_SERVICE, outcome(61004, 'access clientip is not registered'))).toContain(
      ": the runner's IP is not on the third-party platform's IP whitelist: ",
    );
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

  it('cuts a long errmsg in the line (the errmsg output keeps it whole)', () => {
    const line = describeFailure(CREATE_SERVICE, outcome(89999, `${'long '.repeat(20_000)}rid: r3`));
    expect(line).toBe(`createCloudbaseService failed: errcode 89999 (${'long '.repeat(60)}… (99699 more characters)) rid: r3`);
  });

  it("starts with the call's own name", () => {
    expect(describeFailure(COMPONENT_TOKEN, outcome(61005, 'component ticket is expired rid: r2'))).toMatch(
      /^api_component_token failed: errcode 61005 \(component ticket is expired\): the component_verify_ticket has expired/,
    );
  });
});

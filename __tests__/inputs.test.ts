import { describe, expect, it } from 'vitest';
import { parseInputs, readRawInputs, secretsIn, type RawInputs } from '../src/inputs.ts';

const valid = {
  access_token: 'TOKEN',
  env_id: 'prod-2g59lad002c864a6',
  service_name: 'pr-42',
  is_public: 'true',
};

function raw(values: Record<string, string>): RawInputs {
  return readRawInputs((name) => values[name] ?? '');
}

function problems(values: Record<string, string>): string[] {
  const parsed = parseInputs(raw(values));
  if (parsed.ok) throw new Error('expected invalid inputs');
  return parsed.problems;
}

describe('parseInputs', () => {
  it('turns valid inputs into one typed config with the defaults', () => {
    const parsed = parseInputs(raw(valid));
    expect(parsed).toEqual({
      ok: true,
      inputs: {
        credentials: { kind: 'token', accessToken: 'TOKEN' },
        service: { env_id: 'prod-2g59lad002c864a6', service_name: 'pr-42', is_public: true },
        apiBaseUrl: new URL('https://api.weixin.qq.com'),
        timeoutSeconds: 30,
        maxAttempts: 3,
        dryRun: false,
      },
    });
  });

  it('reads every optional field into its type', () => {
    const parsed = parseInputs(
      raw({
        ...valid,
        image_repo: 'ccr.ccs.tencentyun.com/ns/app',
        remark: 'preview',
        es_info: '{"id":1,"secret_name":"s","ip":"10.0.0.1","port":9200,"index":"i","account":"a","password":"p"}',
        log_type: 'cls',
        vpc_info: '{"vpc_id":"vpc-abc","subnet_ids":["subnet-1","subnet-2"],"create_type":2}',
        public_access: '0',
        api_base_url: 'http://127.0.0.1:8080/gateway/',
        timeout_seconds: '5',
        max_attempts: '1',
        dry_run: 'TRUE',
      }),
    );
    expect(parsed.ok && parsed.inputs).toMatchObject({
      service: {
        image_repo: 'ccr.ccs.tencentyun.com/ns/app',
        remark: 'preview',
        es_info: { id: 1, secret_name: 's', ip: '10.0.0.1', port: 9200, index: 'i', account: 'a', password: 'p' },
        log_type: 'cls',
        vpc_info: { vpc_id: 'vpc-abc', subnet_ids: ['subnet-1', 'subnet-2'], create_type: 2 },
        public_access: 0,
      },
      apiBaseUrl: new URL('http://127.0.0.1:8080/gateway/'),
      timeoutSeconds: 5,
      maxAttempts: 1,
      dryRun: true,
    });
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('reads is_public %s as the YAML 1.2 boolean %s', (text, value) => {
    const parsed = parseInputs(raw({ ...valid, is_public: text }));
    expect(parsed.ok && parsed.inputs.service.is_public).toBe(value);
  });

  it.each(['yes', 'no', 'on', '1', 'tRUE', 'y'])('rejects %s as is_public (YAML 1.1 words are not booleans)', (text) => {
    expect(problems({ ...valid, is_public: text })).toEqual([
      'is_public: must be a YAML 1.2 boolean: true or false (True/TRUE/False/FALSE also work)',
    ]);
  });

  it('reports every missing required input at once', () => {
    expect(problems({})).toEqual([
      'access_token: is required: give a component_access_token from a secret, or give component_appid, component_appsecret, component_verify_ticket to have the action obtain one',
      'env_id: is required',
      'service_name: is required',
      'is_public: is required',
    ]);
  });

  it('treats a value of only white space as not given', () => {
    expect(problems({ ...valid, env_id: '   ' })).toEqual(['env_id: is required']);
  });

  it('reports all problems together, each naming the input and the path inside JSON', () => {
    expect(
      problems({
        ...valid,
        es_info: '{"port":"9200","id":1}',
        log_type: 'ES',
        vpc_info: '{"vpc_id":"vpc-abc","subnet_ids":[1],"create_type":2}',
        public_access: '2',
        timeout_seconds: '0',
        max_attempts: '1.5',
        api_base_url: 'ftp://example.com',
        dry_run: 'maybe',
      }),
    ).toEqual([
      'es_info.port: expected a number',
      'log_type: must be "es" or "cls"',
      'vpc_info.subnet_ids.0: expected a string',
      'public_access: must be 0 or 1',
      'api_base_url: must be an http(s) URL, e.g. https://api.weixin.qq.com',
      'timeout_seconds: must be a whole number from 1 to 3600',
      'max_attempts: must be a whole number from 1 to 10',
      'dry_run: must be a YAML 1.2 boolean: true or false (True/TRUE/False/FALSE also work)',
    ]);
  });

  it('names unknown keys in JSON inputs and suggests the documented one', () => {
    expect(problems({ ...valid, vpc_info: '{"vpc_id":"v","subnetIds":["s"],"region":"x"}' })).toEqual([
      'vpc_info: unknown key "subnetIds" (did you mean "subnet_ids"?); allowed keys: vpc_id, subnet_ids, create_type',
      'vpc_info: unknown key "region"; allowed keys: vpc_id, subnet_ids, create_type',
    ]);
    expect(problems({ ...valid, es_info: '{"pasword":"x","log_type":"es"}' })).toEqual([
      'es_info: unknown key "pasword" (did you mean "password"?); allowed keys: id, secret_name, ip, port, index, account, password',
      'es_info: unknown key "log_type"; allowed keys: id, secret_name, ip, port, index, account, password',
    ]);
  });

  it('says where log_type and public_access belong when they are nested by mistake', () => {
    // The English doc indents them under es_info / vpc_info; they are top-level inputs.
    expect(problems({ ...valid, vpc_info: '{"public_access":1}' })[0]).toMatch(/^vpc_info: unknown key "public_access"/);
  });

  it('rejects JSON that is not an object, without echoing the text', () => {
    expect(problems({ ...valid, es_info: '[1,2]', vpc_info: '"vpc"' })).toEqual([
      'es_info: expected a JSON object',
      'vpc_info: expected a JSON object',
    ]);
    const [problem] = problems({ ...valid, es_info: '{"password":"hunter2",' });
    expect(problem).toBe('es_info: is not valid JSON: give a JSON object, e.g. {"key": "value"}');
  });

  it('rejects an api_base_url with credentials, a query or a fragment', () => {
    for (const url of ['https://user:pw@api.example.com', 'https://api.example.com/?access_token=x', 'https://a.example.com/#x']) {
      expect(problems({ ...valid, api_base_url: url })).toEqual([
        'api_base_url: must not contain credentials, a query or a fragment (a proxy goes in HTTPS_PROXY)',
      ]);
    }
  });

  it('takes the three component inputs instead of access_token', () => {
    const parsed = parseInputs(
      raw({ ...valid, access_token: '', component_appid: 'wx1', component_appsecret: 'sec', component_verify_ticket: 'tic' }),
    );
    expect(parsed.ok && parsed.inputs.credentials).toEqual({
      kind: 'component',
      appid: 'wx1',
      appsecret: 'sec',
      verifyTicket: 'tic',
    });
  });

  it('says which credential inputs are missing or given twice', () => {
    expect(problems({ ...valid, access_token: '', component_appid: 'wx1' })).toEqual([
      'component_appsecret: is required when component_appid is given (or give access_token instead)',
      'component_verify_ticket: is required when component_appid is given (or give access_token instead)',
    ]);
    expect(problems({ ...valid, component_appsecret: 'sec' })).toEqual([
      'access_token: give either access_token or component_appid + component_appsecret + component_verify_ticket, not both (also given: component_appsecret)',
    ]);
  });
});

describe('secretsIn', () => {
  it('lists the token, the platform secrets and es_info.password, raw and JSON-escaped', () => {
    expect(
      secretsIn(
        raw({
          access_token: 'tok',
          component_appsecret: 'sec',
          component_verify_ticket: 'tic',
          es_info: '{"password":"p\\"w"}',
        }),
      ),
    ).toEqual(['tok', 'sec', 'tic', 'p"w', 'p\\"w']);
  });

  it('finds no password in es_info that is not JSON, and lists nothing for empty inputs', () => {
    expect(secretsIn(raw({ es_info: '{"password":' }))).toEqual([]);
  });
});

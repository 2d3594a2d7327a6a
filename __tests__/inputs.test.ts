import { describe, expect, it } from 'vitest';
import {
  CREATE_INPUTS,
  DELETE_INPUTS,
  DEPLOY_INPUTS,
  jsonErrorAt,
  readRawInputs,
  validServiceName,
  type RawInputs,
} from '../src/inputs.ts';

const parseInputs = (values: RawInputs, given?: readonly string[]) => CREATE_INPUTS.parse(values, given);
const secretsIn = (values: RawInputs) => CREATE_INPUTS.secretsIn(values);

const valid = {
  access_token: 'TOKEN',
  env_id: 'prod-2g59lad002c864a6',
  service_name: 'pr-42',
  is_public: 'true',
};

function raw(values: Record<string, string>, names: readonly string[] = CREATE_INPUTS.names): RawInputs {
  return readRawInputs(names, (name) => values[name] ?? '');
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
        envId: 'prod-2g59lad002c864a6',
        serviceName: 'pr-42',
        own: { is_public: true, if_exists: 'skip' },
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
      own: {
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
    // Accepted first: `parsed.ok && …` would be false for a rejected "false".
    expect(parsed.ok).toBe(true);
    expect(parsed.ok ? parsed.inputs.own.is_public : undefined).toBe(value);
  });

  it.each(['yes', 'no', 'on', '1', 'tRUE', 'y'])('rejects %s as is_public (YAML 1.1 words are not booleans)', (text) => {
    // SPEC §3: a value that is not secret is quoted.
    expect(problems({ ...valid, is_public: text })).toEqual([
      `is_public: "${text}" is not a YAML 1.2 boolean: give true or false (True/TRUE/False/FALSE also work)`,
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
      'log_type: "ES" is not es or cls',
      'vpc_info.subnet_ids.0: expected a string',
      'public_access: "2" is not 0 or 1',
      'api_base_url: must be an http(s) URL, e.g. https://api.weixin.qq.com',
      'timeout_seconds: "0" is not a whole number from 1 to 3600',
      'max_attempts: "1.5" is not a whole number from 1 to 10',
      'dry_run: "maybe" is not a YAML 1.2 boolean: give true or false (True/TRUE/False/FALSE also work)',
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

  it('suggests the key a typo most likely meant: same letters in any case first, else one edit away, else none', () => {
    const allowed = 'allowed keys: id, secret_name, ip, port, index, account, password';
    expect(problems({ ...valid, es_info: '{"IP":"10.0.0.1"}' })).toEqual([`es_info: unknown key "IP" (did you mean "ip"?); ${allowed}`]);
    expect(problems({ ...valid, es_info: '{"add":1}' })).toEqual([`es_info: unknown key "add"; ${allowed}`]);
    expect(problems({ ...valid, es_info: '{"acount":"a"}' })).toEqual([
      `es_info: unknown key "acount" (did you mean "account"?); ${allowed}`,
    ]);
  });

  it('names the type a value inside JSON should have, with its article', () => {
    expect(problems({ ...valid, vpc_info: '{"subnet_ids":"subnet-1"}', es_info: '{"index":1}' })).toEqual([
      'es_info.index: expected a string',
      'vpc_info.subnet_ids: expected an array',
    ]);
  });

  it('says where log_type and public_access belong when they are nested by mistake', () => {
    // The English doc indents them under es_info / vpc_info; they are top-level inputs.
    expect(problems({ ...valid, vpc_info: '{"public_access":1}' })[0]).toMatch(/^vpc_info: unknown key "public_access"/);
  });

  it('rejects null as a JSON input, and finds no password in it', () => {
    expect(problems({ ...valid, es_info: 'null', vpc_info: 'null' })).toEqual([
      'es_info: expected a JSON object',
      'vpc_info: expected a JSON object',
    ]);
    expect(secretsIn(raw({ access_token: 'tok', es_info: 'null' }))).toEqual(['tok']);
    expect(secretsIn(raw({ access_token: 'tok', es_info: '"password"' }))).toEqual(['tok']);
  });

  it('rejects JSON that is not an object, without echoing the text', () => {
    expect(problems({ ...valid, es_info: '[1,2]', vpc_info: '"vpc"' })).toEqual([
      'es_info: expected a JSON object',
      'vpc_info: expected a JSON object',
    ]);
    const [problem] = problems({ ...valid, es_info: '{"password":"hunter2",' });
    // Where it stops being JSON, never the text (it holds a password).
    expect(problem).toBe('es_info: is not valid JSON (it ends before the JSON does): give a JSON object, e.g. {"key": "value"}');
  });

  it('rejects an api_base_url with credentials, a query or a fragment', () => {
    for (const url of [
      'https://user:pw@api.example.com',
      'https://user@api.example.com',
      'https://:pw@api.example.com',
      'https://api.example.com/?access_token=x',
      'https://a.example.com/#x',
    ]) {
      expect(problems({ ...valid, api_base_url: url })).toEqual([
        'api_base_url: must not contain credentials, a query or a fragment (a proxy goes in HTTPS_PROXY)',
      ]);
    }
  });

  it('takes only http and https as the scheme of api_base_url', () => {
    for (const url of ['xhttps://api.example.com', 'httpsx://api.example.com', 'ws://api.example.com']) {
      expect(problems({ ...valid, api_base_url: url })).toEqual(['api_base_url: must be an http(s) URL, e.g. https://api.weixin.qq.com']);
    }
  });

  it('hands over only the action’s own inputs that were given or have a default', () => {
    const parsed = parseInputs(raw({ ...valid, remark: 'preview' }));
    expect(parsed.ok && Object.keys(parsed.inputs.own).sort()).toEqual(['if_exists', 'is_public', 'remark']);
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
    expect(problems({ ...valid, component_appid: 'wx1', component_appsecret: 'sec' })).toEqual([
      'access_token: give either access_token or component_appid + component_appsecret + component_verify_ticket, not both (also given: component_appid, component_appsecret)',
    ]);
    expect(problems({ ...valid, access_token: '', component_appid: 'wx1', component_appsecret: 'sec' })).toEqual([
      'component_verify_ticket: is required when component_appid, component_appsecret are given (or give access_token instead)',
    ]);
  });
});

describe('secretsIn', () => {
  it('lists the token, the platform secrets and es_info.password', () => {
    expect(
      secretsIn(
        raw({
          access_token: 'tok',
          component_appsecret: 'sec',
          component_verify_ticket: 'tic',
          es_info: '{"password":"p\\"w"}',
        }),
      ),
    ).toEqual(['tok', 'sec', 'tic', 'p"w']);
  });

  it('finds no password in es_info that is not JSON, and lists nothing for empty inputs', () => {
    expect(secretsIn(raw({ es_info: '{"password":' }))).toEqual([]);
  });

  it('for deploy: image_secret_info.password', () => {
    expect(
      DEPLOY_INPUTS.secretsIn(
        raw({ access_token: 'tok', image_secret_info: '{"user_name":"u","password":"registry-pw"}' }, DEPLOY_INPUTS.names),
      ),
    ).toEqual(['tok', 'registry-pw']);
  });
});

describe('service_name (SPEC §1.1)', () => {
  it.each(['a', 'pr-42', 'release-v1-2-3', 'a1234567890123456789', 'x-'])('accepts %s', (name) => {
    expect(parseInputs(raw({ ...valid, service_name: name })).ok).toBe(true);
  });

  it.each([
    ['release-v1.2.3', 'release-v1-2-3'],
    ['PR-42', 'pr-42'],
    ['42', 'service'],
    ['pr_42', 'pr-42'],
    ['-pr-42', 'pr-42'],
    ['a12345678901234567890', 'a1234567890123456789'],
    ['my service!', 'my-service'],
  ])('rejects %s before anything is sent, showing %s', (name, valid) => {
    expect(problems({ ...validInputs(), service_name: name })).toEqual([
      `service_name: ${JSON.stringify(name)} is not a valid service name: use lowercase letters, digits and -, starting with a letter, at most 20 characters, e.g. "${valid}"`,
    ]);
  });

  it('quotes at most 40 characters of a long name', () => {
    const [problem] = problems({ ...validInputs(), service_name: 'x'.repeat(300) });
    expect(problem).toBe(
      `service_name: "${'x'.repeat(40)}…" is not a valid service name: use lowercase letters, digits and -, starting with a letter, at most 20 characters, e.g. "${'x'.repeat(20)}"`,
    );
  });

  it('quotes a name of exactly 40 characters whole', () => {
    const name = 'X'.repeat(40);
    expect(problems({ ...validInputs(), service_name: name })[0]).toMatch(
      new RegExp(`^service_name: "${name}" is not a valid service name: `),
    );
  });

  it('suggests a name with one - where the given one has several', () => {
    expect(validServiceName('pr--42')).toBe('pr-42');
    expect(validServiceName('Release / v1')).toBe('release-v1');
  });

  it('derives a name that is itself valid', () => {
    for (const name of ['release-v1.2.3', '---', 'Ünïcödé', '9lives', 'a--b', `${'z'.repeat(40)}-x`]) {
      expect(validServiceName(name)).toMatch(/^[a-z][a-z0-9-]{0,19}$/);
    }
  });

  it('applies to delete and deploy too', () => {
    const bad = { ...validInputs(), service_name: 'Bad_Name', image_url: 'i' };
    expect(DELETE_INPUTS.parse(raw(bad, DELETE_INPUTS.names)).ok).toBe(false);
    expect(DEPLOY_INPUTS.parse(raw(bad, DEPLOY_INPUTS.names)).ok).toBe(false);
  });
});

describe('if_exists and if_missing', () => {
  it('default to skip and take fail', () => {
    const create = parseInputs(raw({ ...valid, if_exists: 'fail' }));
    expect(create.ok && create.inputs.own.if_exists).toBe('fail');
    const remove = DELETE_INPUTS.parse(raw(validInputs(), DELETE_INPUTS.names));
    expect(remove.ok && remove.inputs.own).toEqual({ if_missing: 'skip' });
  });

  it('reject anything else', () => {
    expect(problems({ ...valid, if_exists: 'ignore' })).toEqual([
      'if_exists: "ignore" is not skip (succeed when the service is already there) or fail',
    ]);
    const remove = DELETE_INPUTS.parse(raw({ ...validInputs(), if_missing: 'true' }, DELETE_INPUTS.names));
    expect(remove.ok ? [] : remove.problems).toEqual(['if_missing: "true" is not skip (succeed when the service is already gone) or fail']);
  });
});

describe('deploy inputs (SPEC §2)', () => {
  const deploy = (values: Record<string, string>) =>
    DEPLOY_INPUTS.parse(raw({ ...validInputs(), image_url: 'ccr.ccs.tencentyun.com/ns/app:1', ...values }, DEPLOY_INPUTS.names));
  const deployProblems = (values: Record<string, string>) => {
    const parsed = deploy(values);
    return parsed.ok ? [] : parsed.problems;
  };

  it('has the documented defaults', () => {
    const parsed = deploy({});
    expect(parsed.ok && parsed.inputs.own).toEqual({
      image_url: 'ccr.ccs.tencentyun.com/ns/app:1',
      container_port: 80,
      cpu: 0.25,
      mem: 0.5,
      min_num: 0,
      max_num: 5,
      policy_type: 'cpu',
      policy_threshold: 60,
      flow_ratio: 100,
      wait: true,
      wait_timeout_seconds: 900,
      keep_versions: 0,
    });
  });

  it('reads every input into its type', () => {
    const parsed = deploy({
      container_port: '8080',
      cpu: '2',
      mem: '4.5',
      min_num: '1',
      max_num: '50',
      policy_type: 'mem',
      policy_threshold: '75.5',
      flow_ratio: '0',
      env_params: '{"NODE_ENV":"preview","EMPTY":""}',
      version_remark: 'pr 42',
      image_secret_info: '{"registry_server":"r","user_name":"u","password":"p","email":"e@example.com"}',
      wait: 'False',
      wait_timeout_seconds: '21600',
      keep_versions: '3',
    });
    expect(parsed.ok && parsed.inputs.own).toEqual({
      image_url: 'ccr.ccs.tencentyun.com/ns/app:1',
      container_port: 8080,
      cpu: 2,
      mem: 4.5,
      min_num: 1,
      max_num: 50,
      policy_type: 'mem',
      policy_threshold: 75.5,
      flow_ratio: 0,
      env_params: { NODE_ENV: 'preview', EMPTY: '' },
      version_remark: 'pr 42',
      image_secret_info: { registry_server: 'r', user_name: 'u', password: 'p', email: 'e@example.com' },
      wait: false,
      wait_timeout_seconds: 21600,
      keep_versions: 3,
    });
  });

  it('reports every value outside WeChat’s bounds at once, naming each input', () => {
    expect(
      deployProblems({
        image_url: '',
        container_port: '0',
        cpu: '0',
        mem: '-1',
        min_num: '-1',
        max_num: '51',
        policy_type: 'gpu',
        policy_threshold: '0',
        flow_ratio: '101',
        env_params: '{"PORT":8080}',
        image_secret_info: '{"username":"u"}',
        wait: 'yes',
        wait_timeout_seconds: '0',
      }),
    ).toEqual([
      'image_url: is required',
      'container_port: "0" is not a whole number from 1 to 65535',
      'cpu: "0" is not a number greater than 0, e.g. 0.25 or 2',
      'mem: "-1" is not a number greater than 0, e.g. 0.25 or 2',
      'min_num: "-1" is not a whole number from 0 to 50',
      'max_num: "51" is not a whole number from 0 to 50',
      'policy_type: "gpu" is not cpu or mem',
      'policy_threshold: "0" is not a number greater than 0, e.g. 0.25 or 2',
      'flow_ratio: "101" is not a whole number from 0 to 100',
      'env_params.PORT: expected a string',
      'image_secret_info: unknown key "username" (did you mean "user_name"?); allowed keys: registry_server, user_name, password, email',
      'wait: "yes" is not a YAML 1.2 boolean: give true or false (True/TRUE/False/FALSE also work)',
      'wait_timeout_seconds: "0" is not a whole number from 1 to 21600',
    ]);
  });

  it('takes numbers written plainly only: no sign, exponent or trailing text', () => {
    expect(deployProblems({ cpu: '+0.5', mem: '0.5x', policy_threshold: '1e3', container_port: '+80', flow_ratio: '50%' })).toEqual([
      'container_port: "+80" is not a whole number from 1 to 65535',
      'cpu: "+0.5" is not a number greater than 0, e.g. 0.25 or 2',
      'mem: "0.5x" is not a number greater than 0, e.g. 0.25 or 2',
      'policy_threshold: "1e3" is not a number greater than 0, e.g. 0.25 or 2',
      'flow_ratio: "50%" is not a whole number from 0 to 100',
    ]);
  });

  it('checks min_num against max_num, given or by default', () => {
    expect(deployProblems({ min_num: '6', max_num: '5' })).toEqual(['min_num: must not be more than max_num (min_num 6, max_num 5)']);
    expect(deployProblems({ min_num: '6' })).toEqual(['min_num: must not be more than max_num (min_num 6, max_num 5)']);
    expect(deployProblems({ min_num: '5', max_num: '5' })).toEqual([]);
  });

  it('wants env_params as a JSON object', () => {
    expect(deployProblems({ env_params: '["A=1"]' })).toEqual(['env_params: expected a JSON object']);
    expect(deployProblems({ env_params: 'A=1' })).toEqual([
      'env_params: is not valid JSON (at line 1, column 1): give a JSON object, e.g. {"key": "value"}',
    ]);
  });
});

describe('messages that point at the cause (SPEC §3)', () => {
  it.each([
    ['{"port": 9200,\n "index" "logs"}', 'at line 2, column 10'],
    ['{x: 1}', 'at line 1, column 2'],
    ['{"password": "p"', 'it ends before the JSON does'],
  ])('a JSON input that does not parse says where (%j), never the text', (text, where) => {
    expect(problems({ ...valid, es_info: text })).toEqual([
      `es_info: is not valid JSON (${where}): give a JSON object, e.g. {"key": "value"}`,
    ]);
  });

  it.each([
    ['A=1', 0],
    ['{"a":1,}', 7],
    ['{"a" 1}', 5],
    ['[1,2', undefined],
    ['{"a":"b\\q"}', 8],
    ['{"a":"\u0001"}', 6],
    ['{"a":01}', 6],
    ['{"a":-}', 6],
    ['{"a":1.}', 7],
    ['{"a":1e}', 7],
    ['{"a":tru}', 5],
    ['{"a":"\\u12G4"}', 10],
    ['{} x', 3],
    ['', undefined],
    ['  ', undefined],
    [`${'['.repeat(100_000)}x`, 256],
  ])('finds where %j stops being JSON: %s', (text, at) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorAt(text)).toBe(at);
  });

  it('finds nothing wrong in JSON that parses', () => {
    for (const text of ['{"a":[1,-2.5e+3,true,false,null,{"b":"\\u00e9\\n"}]}', ' [ ] ', '"x"', '0']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(jsonErrorAt(text)).toBeUndefined();
    }
  });

  it('quotes at most 40 characters of a long value', () => {
    expect(problems({ ...valid, is_public: 'y'.repeat(100) })).toEqual([
      `is_public: "${'y'.repeat(40)}…" is not a YAML 1.2 boolean: give true or false (True/TRUE/False/FALSE also work)`,
    ]);
  });

  it.each([
    ['service-name', 'service_name'],
    ['servce_name', 'service_name'],
    ['env-id', 'env_id'],
  ])('an input given under a near name (%s) is named in the error about the missing one', (near, name) => {
    const given = { ...valid, [name]: '' };
    const parsed = parseInputs(raw(given), [near.toLowerCase(), 'is_public']);
    expect(parsed.ok ? [] : parsed.problems).toEqual([
      `${name}: is required (the step gives "${near.toLowerCase()}": the input is named ${name})`,
    ]);
  });

  it('a name far from every input is not mentioned', () => {
    const parsed = parseInputs(raw({ ...valid, service_name: '' }), ['image']);
    expect(parsed.ok ? [] : parsed.problems).toEqual(['service_name: is required']);
  });

  it('access_token given as access-token', () => {
    const parsed = parseInputs(raw({ ...valid, access_token: '' }), ['access-token']);
    expect(parsed.ok ? [] : parsed.problems).toEqual([
      'access_token: is required: give a component_access_token from a secret, or give component_appid, component_appsecret, ' +
        'component_verify_ticket to have the action obtain one (the step gives "access-token": the input is named access_token)',
    ]);
  });
});

describe('timeout_seconds and max_attempts above their maximum', () => {
  it('are rejected: a larger timeout would overflow setTimeout', () => {
    expect(problems({ ...valid, timeout_seconds: '3601', max_attempts: '11' })).toEqual([
      'timeout_seconds: "3601" is not a whole number from 1 to 3600',
      'max_attempts: "11" is not a whole number from 1 to 10',
    ]);
    expect(problems({ ...valid, timeout_seconds: '99999999999' })).toEqual([
      'timeout_seconds: "99999999999" is not a whole number from 1 to 3600',
    ]);
    const parsed = parseInputs(raw({ ...valid, timeout_seconds: '3600', max_attempts: '10' }));
    expect(parsed.ok && [parsed.inputs.timeoutSeconds, parsed.inputs.maxAttempts]).toEqual([3600, 10]);
  });
});

function validInputs(): Record<string, string> {
  return { ...valid };
}

describe('hostile JSON keys and values', () => {
  const deployProblems = (values: Record<string, string>) => {
    const parsed = DEPLOY_INPUTS.parse(raw({ ...validInputs(), image_url: 'i', ...values }, DEPLOY_INPUTS.names));
    return parsed.ok ? { inputs: parsed.inputs.own, problems: [] } : { inputs: undefined, problems: parsed.problems };
  };

  it('keeps a key named __proto__ in env_params, and checks its value like any other', () => {
    expect(deployProblems({ env_params: '{"__proto__":{"polluted":true}}' }).problems).toEqual(['env_params.__proto__: expected a string']);
    const { inputs } = deployProblems({ env_params: '{"__proto__":"x","A":"1"}' });
    expect(JSON.stringify(inputs?.env_params)).toBe('{"__proto__":"x","A":"1"}');
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('reports an invalid min_num or max_num once, without comparing it', () => {
    expect(deployProblems({ min_num: '6', max_num: '05' }).problems).toEqual(['max_num: "05" is not a whole number from 0 to 50']);
    expect(deployProblems({ min_num: '51' }).problems).toEqual(['min_num: "51" is not a whole number from 0 to 50']);
  });

  it('masks a password that is not a string as nothing, and one in JSON that does not parse as written', () => {
    expect(secretsIn(raw({ access_token: 'tok', es_info: '{"password":null}' }))).toEqual(['tok']);
    expect(secretsIn(raw({ access_token: 'tok', es_info: '{"password":"pa\\"ss-word",' }))).toEqual(['tok', 'pa\\"ss-word', 'pa"ss-word']);
  });
});

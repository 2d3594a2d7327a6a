/**
 * End to end, the create action: the committed dist/create/index.js, run as the runner
 * runs it (Node 24 child process, INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
 * files), against the fake WeChat API. Each test asserts the exact requests WeChat
 * received; after every test, no secret may appear anywhere the run left text.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CREATE_PATH, LIST_SERVICES_PATH, TOKEN_PATH, type Fault } from '../tools/fake-wechat.ts';
import { NODE24 } from '../tools/run-action.ts';
import { calls, e2eSuite, errors, infos, warnings } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const ES_PASSWORD = `es-pw-${randomUUID()}`;
const ENV = 'prod-2g59lad002c864a6';
const suite = e2eSuite('create', TOKEN, [ES_PASSWORD]);

const base = () => ({
  access_token: TOKEN,
  env_id: ENV,
  service_name: 'pr-42',
  is_public: 'true',
  api_base_url: suite.fake.url,
});

const act = suite.act;

/** The outputs of a run that WeChat answered with an error. */
const failedOutputs = (errcode: number, errmsg: string, rid: string, existed = 'false') => ({
  errcode: String(errcode),
  errmsg: `${errmsg} rid: ${rid}`,
  rid,
  env_id: ENV,
  service_name: 'pr-42',
  created: 'false',
  existed,
});
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ridIn = (request: { answer?: Record<string, unknown> } | undefined) =>
  /rid: (\S+)$/.exec(String(request?.answer?.['errmsg']))?.[1] ?? '';
const ridOfAnswer = (index = 0) => ridIn(suite.fake.requestsTo(CREATE_PATH)[index]);
const LOOKUP = `{"env":"${ENV}","offset":0,"limit":20}`;
const CREATE = `{"env_id":"${ENV}","service_name":"pr-42","is_public":true}`;

it('runs under Node 24, the runtime action.yml declares', () => {
  expect(execFileSync(NODE24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
});

describe('success', () => {
  it('looks the service up, creates it, sets every output and writes the summary', async () => {
    const run = await act({
      ...base(),
      remark: 'preview',
      vpc_info: '{"vpc_id":"vpc-abc","subnet_ids":["subnet-1"],"create_type":2}',
      public_access: '1',
      log_type: 'cls',
      es_info: `{"port":9200,"password":"${ES_PASSWORD}"}`,
    });
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);

    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver']);
    const [lookup, request] = suite.fake.requests;
    expect(lookup?.body).toBe(LOOKUP);
    expect(request?.method).toBe('POST');
    expect(request?.query).toEqual({ access_token: TOKEN });
    expect(request?.body).toBe(
      `{"env_id":"${ENV}","service_name":"pr-42","is_public":true,"remark":"preview",` +
        `"es_info":{"port":9200,"password":"${ES_PASSWORD}"},"log_type":"cls",` +
        `"vpc_info":{"vpc_id":"vpc-abc","subnet_ids":["subnet-1"],"create_type":2},"public_access":1}`,
    );
    expect(suite.fake.services(ENV)).toEqual(['pr-42']);

    const rid = ridOfAnswer();
    expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect(run.outputs).toEqual({
      errcode: '0',
      errmsg: `ok rid: ${rid}`,
      rid,
      env_id: ENV,
      service_name: 'pr-42',
      created: 'true',
      existed: 'false',
    });
    expect(run.summary).toContain('<h3>CloudBase Run service</h3>');
    expect(run.summary).toContain(`<tr><td>Environment</td><td><code>${ENV}</code></td></tr>`);
    expect(run.summary).toContain('<tr><td>Service</td><td><code>pr-42</code></td></tr>');
    expect(run.summary).toContain('<tr><td>Public access</td><td>true</td></tr>');
    expect(run.summary).toContain('<tr><td>Existed before</td><td>false</td></tr>');
    expect(run.summary).toContain('<tr><td>Result</td><td>created</td></tr>');
    expect(run.summary).toContain('<tr><td>errcode</td><td>0</td></tr>');
    expect(run.summary).toContain(`<tr><td>rid</td><td><code>${rid}</code></td></tr>`);
    expect(infos(run)).toEqual([
      `CloudBase Run service "pr-42" in environment "${ENV}" (public access: true)`,
      `Service "pr-42" is not in environment "${ENV}": creating it.`,
      `POST ${suite.fake.url}${CREATE_PATH} (attempt 1 of 3)`,
      `Created service "pr-42" (rid: ${rid}).`,
    ]);
  });

  it('masks the token and the es_info password before anything else is printed', async () => {
    const run = await act({ ...base(), es_info: `{"password":"${ES_PASSWORD}"}` });
    expect(run.stdout.split('\n').slice(0, 2)).toEqual([`::add-mask::${TOKEN}`, `::add-mask::${ES_PASSWORD}`]);
  });

  it('escapes user values in the summary, line breaks too', async () => {
    const run = await act({ ...base(), remark: 'x', service_name: 'pr-42' }, {});
    expect(run.exitCode).toBe(0);
    const bad = await act({ ...base(), env_id: '<b>x</b>&\n\n# heading' });
    expect(bad.summary).toContain('<code>&#60;b&#62;x&#60;/b&#62;&#38;&#10;&#10;# heading</code>');
    expect(bad.summary).not.toContain('\n\n# heading');
  });

  it('obtains a component_access_token from the platform credentials, masks it, says so once, and uses it', async () => {
    const run = await act({
      ...base(),
      ...suite.platformInputs(),
    });
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(['/cgi-bin/component/api_component_token', 'getcslist', 'establishcloudbaserunserver']);
    const issued = suite.fake.requestsTo(CREATE_PATH)[0]?.query['access_token'] ?? '';
    expect(issued).toMatch(/^issued-component-access-token-/);
    expect(suite.fake.requestsTo(LIST_SERVICES_PATH)[0]?.query['access_token']).toBe(issued);
    const maskedAt = run.stdout.indexOf(`::add-mask::${issued}`);
    expect(maskedAt).toBeGreaterThan(0);
    expect(run.stdout.indexOf(`POST ${suite.fake.url}${CREATE_PATH}`)).toBeGreaterThan(maskedAt);
    expect(run.commands.filter((c) => c.command === 'notice').map((c) => c.value)).toEqual([
      "Obtained a new component_access_token (masked). WeChat may end the previous token about 5 minutes later: if the platform's own backend uses it, pass access_token from the platform's token service instead.",
      // SPEC §3: how a mini program reaches the service.
      "A mini program reaches the service with wx.cloud.callContainer({ config: { env: 'prod-2g59lad002c864a6' }, path: '/', header: { 'X-WX-SERVICE': 'pr-42' } }). " +
        'Its public domain, when it has one, is in the CloudBase console (Cloud Run → the service → details): WeChat’s API gives none.',
    ]);
    expect(run.outputs['created']).toBe('true');
  });
});

describe('safe to run again (SPEC §2: look the service up before and after)', () => {
  it('finds the service already there: success, nothing created, existed=true', async () => {
    suite.fake.addService(ENV, 'pr-42');
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(['getcslist']);
    const rid = ridIn(suite.fake.requests[0]);
    expect(run.outputs).toEqual({
      errcode: '0',
      errmsg: `ok rid: ${rid}`,
      rid,
      env_id: ENV,
      service_name: 'pr-42',
      created: 'false',
      existed: 'true',
    });
    expect(infos(run).at(-1)).toBe(`Service "pr-42" already exists in environment "${ENV}": nothing to create (if_exists: skip).`);
    expect(run.summary).toContain('<tr><td>Result</td><td>already there: nothing created (if_exists: skip)</td></tr>');
    expect(run.summary).toContain('<tr><td>Existed before</td><td>true</td></tr>');
  });

  it('pages through getcslist, advancing by what each page returned, to find it on a later page', async () => {
    suite.fake.pageCap = 7;
    for (let i = 0; i < 30; i++) suite.fake.addService(ENV, `svc-${i}`);
    suite.fake.addService(ENV, 'pr-42');
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests.map((r) => r.json)).toEqual([0, 7, 14, 21, 28].map((offset) => ({ env: ENV, offset, limit: 20 })));
    expect(run.outputs['existed']).toBe('true');
    expect(run.outputs['created']).toBe('false');
  });

  it('stops paging at total, and creates a service no page listed', async () => {
    suite.fake.pageCap = 20;
    for (let i = 0; i < 25; i++) suite.fake.addService(ENV, `svc-${i}`);
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'getcslist', 'establishcloudbaserunserver']);
    expect(suite.fake.requests.map((r) => (r.json as { offset?: number }).offset)).toEqual([0, 20, undefined]);
    expect(run.outputs['created']).toBe('true');
  });

  it('with if_exists: fail, fails naming the service and the environment, and creates nothing', async () => {
    suite.fake.addService(ENV, 'pr-42');
    const run = await act({ ...base(), if_exists: 'fail' });
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(['getcslist']);
    // A failure the action decides on from what it read starts with its own name, not a call it never made (SPEC §2).
    expect(errors(run)).toEqual([
      `create: service "pr-42" already exists in environment "${ENV}" and if_exists is fail: ` +
        'delete it first, choose another service_name, or set if_exists: skip',
    ]);
    // The step fails on what the lookup showed: errcode, errmsg and rid of that lookup (SPEC §2).
    const rid = ridIn(suite.fake.requests[0]);
    expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect(run.outputs).toEqual({
      errcode: '0',
      errmsg: `ok rid: ${rid}`,
      rid,
      env_id: ENV,
      service_name: 'pr-42',
      created: 'false',
      existed: 'true',
    });
  });

  it('a create that landed but whose answer was lost: one create, then a lookup finds it: success, created=true', async () => {
    suite.fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: CREATE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver', 'getcslist']);
    expect(suite.fake.created).toEqual([`${ENV}/pr-42`]);
    expect(run.outputs).toEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: ENV,
      service_name: 'pr-42',
      created: 'true',
      existed: 'false',
    });
    expect(infos(run)).toContain(
      `The answer was lost (the request was sent to ${suite.fake.url}${CREATE_PATH}, then the connection was reset before an answer arrived), ` +
        'but service "pr-42" is there now: this run created it.',
    );
  });

  it('a create that never arrived: a lookup shows it absent, so it is sent again: two creates, success', async () => {
    suite.fake.failNext({ kind: 'reset', path: CREATE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver', 'getcslist', 'establishcloudbaserunserver']);
    expect(suite.fake.requestsTo(CREATE_PATH).map((r) => r.body)).toEqual([CREATE, CREATE]);
    expect(suite.fake.created).toEqual([`${ENV}/pr-42`]);
    expect(run.outputs).toMatchObject({ errcode: '0', created: 'true', existed: 'false' });
  });

  it('a name clash (another run created it meanwhile): -501000 ResourceInUse, a lookup finds it: as if_exists says', async () => {
    suite.fake.addService(ENV, 'pr-42');
    // The first lookup misses it, as it would just before a concurrent run creates it.
    suite.fake.failNext({
      kind: 'raw',
      status: 200,
      path: LIST_SERVICES_PATH,
      body: '{"errcode":0,"errmsg":"ok rid: 1","total":0,"cslist":[]}',
    });
    const skip = await act(base());
    expect(skip.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver', 'getcslist']);
    expect(suite.fake.requestsTo(CREATE_PATH)[0]?.answer?.['errcode']).toBe(-501000);
    expect(skip.outputs).toMatchObject({ errcode: '0', created: 'false', existed: 'true' });

    suite.fake.failNext({
      kind: 'raw',
      status: 200,
      path: LIST_SERVICES_PATH,
      body: '{"errcode":0,"errmsg":"ok rid: 1","total":0,"cslist":[]}',
    });
    const fail = await act({ ...base(), if_exists: 'fail' });
    expect(fail.exitCode).toBe(1);
    expect(errors(fail)[0]).toMatch(/already exists in environment .* and if_exists is fail/);
  });

  it('an undocumented refusal with the service still absent fails with that errcode', async () => {
    suite.fake.failNext({
      kind: 'errcode',
      errcode: -501000,
      errmsg: 'tcb api error TcbCode: [LimitExceeded] TcbMessage: [quota]',
      path: CREATE_PATH,
    });
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver', 'getcslist']);
    // A TcbCode that starts with LimitExceeded adds the quota remedy (SPEC §1.5).
    expect(errors(run)).toEqual([
      'createCloudbaseService failed: errcode -501000 (tcb api error TcbCode: [LimitExceeded] TcbMessage: [quota]): ' +
        'the environment has reached a quota (CloudBase documents 15 services per environment): delete the services no longer needed, ' +
        'e.g. with the prune action (prefix: pr-) for the previews of closed pull requests, then run again ' +
        `rid: ${ridOfAnswer()}`,
    ]);
  });

  it.each([
    [40014, 'invalid access_token'],
    [42001, 'access_token expired'],
    [45009, 'reach max api daily quota limit'],
    [61004, 'access clientip is not registered requestIP: 127.0.0.1'],
    [85088, 'no qbase privilege'],
  ])('a lookup refused with %i (it would stop the create too) fails the step at once', async (errcode, errmsg) => {
    suite.fake.failNext({ kind: 'errcode', errcode, errmsg, path: LIST_SERVICES_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(['getcslist']);
    const rid = ridIn(suite.fake.requests[0]);
    expect(errors(run)[0]).toMatch(new RegExp(`^getcslist failed: errcode ${errcode} \\(${escapeRegExp(errmsg)}\\): .* rid: ${rid}$`));
    expect(run.outputs).toEqual(failedOutputs(errcode, errmsg, rid));
  });

  it('a lookup refused for another reason (48001: not available to this platform) is one warning, and the create goes ahead', async () => {
    suite.fake.failAlways({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver']);
    const rid = ridIn(suite.fake.requests[0]);
    expect(warnings(run)).toEqual([
      `getcslist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: check its permission sets ` +
        `in the WeChat Open Platform console rid: ${rid}. The action cannot tell whether service "pr-42" exists, so it creates it; ` +
        'if the answer to the create is lost, it cannot look either',
    ]);
    expect(run.outputs).toMatchObject({ errcode: '0', created: 'true', existed: 'false' });
  });

  it('then an unknown outcome stays unknown, and says why', async () => {
    suite.fake.failAlways({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH });
    suite.fake.failNext({ kind: 'reset', path: CREATE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver']);
    expect(errors(run)).toEqual([
      `createCloudbaseService failed: outcome unknown: the request was sent to ${suite.fake.url}${CREATE_PATH}, then the connection was reset before an answer arrived; ` +
        'the read that would tell what happened failed too (getcslist is not available to this platform): check the CloudBase console before running again',
    ]);
  });

  it('a lookup that gets no WeChat answer after its retries fails the step, and creates nothing', async () => {
    suite.fake.failAlways({ kind: 'html-502', path: LIST_SERVICES_PATH });
    const run = await act({ ...base(), max_attempts: '2' });
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'getcslist']);
    expect(errors(run)[0]).toMatch(
      /^getcslist failed: HTTP 502 Bad Gateway from \S+, and the body is not JSON \(it does not parse\): ".*" \[2 attempts\]$/,
    );
  });
});

describe('WeChat errcodes from the create', () => {
  const answer = (errcode: number, errmsg: string): Fault => ({ kind: 'errcode', errcode, errmsg, path: CREATE_PATH });
  type Setup = (inputs: Record<string, string>) => Record<string, string>;
  const cases: [number, string, Setup][] = [
    [-1000, 'system error', (i) => (suite.fake.failNext(answer(-1000, 'system error')), i)],
    [40001, 'invalid credential', (i) => (suite.fake.failNext(answer(40001, 'invalid credential')), i)],
    [40014, 'invalid access_token', (i) => (suite.fake.failNext(answer(40014, 'invalid access_token')), i)],
    [40097, 'invalid args', (i) => (suite.fake.failNext(answer(40097, 'invalid args')), i)],
    [40101, 'missing parameter', (i) => (suite.fake.failNext(answer(40101, 'missing parameter')), i)],
    [41001, 'access_token missing', (i) => (suite.fake.failNext(answer(41001, 'access_token missing')), i)],
    [42001, 'access_token expired', (i) => (suite.fake.failNext(answer(42001, 'access_token expired')), i)],
    [43002, 'require POST method', (i) => (suite.fake.failNext(answer(43002, 'require POST method')), i)],
    [44002, 'empty post data', (i) => (suite.fake.failNext(answer(44002, 'empty post data')), i)],
    [45009, 'reach max api daily quota limit', (i) => (suite.fake.failNext(answer(45009, 'reach max api daily quota limit')), i)],
    [47001, 'data format error', (i) => (suite.fake.failNext(answer(47001, 'data format error')), i)],
    [48001, 'api unauthorized', (i) => (suite.fake.failNext(answer(48001, 'api unauthorized')), i)],
    [
      61004,
      'access clientip is not registered requestIP: 127.0.0.1',
      (i) => (suite.fake.failNext(answer(61004, 'access clientip is not registered requestIP: 127.0.0.1')), i),
    ],
    [85088, 'no qbase privilege', (i) => (suite.fake.failNext(answer(85088, 'no qbase privilege')), i)],
  ];

  it.each(cases)(
    'fails on errcode %i with one line: call, errcode, errmsg, remedy, rid; no second lookup',
    async (errcode, errmsg, setup) => {
      const run = await act(setup(base()));
      expect(run.exitCode).toBe(1);
      expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver']);
      const rid = ridOfAnswer();
      const [line, ...more] = errors(run);
      expect(more).toEqual([]);
      expect(line?.startsWith(`createCloudbaseService failed: errcode ${errcode} (${errmsg}): `)).toBe(true);
      expect(line?.endsWith(` rid: ${rid}`)).toBe(true);
      expect(line).not.toContain('\n');
      expect(run.outputs).toEqual(failedOutputs(errcode, errmsg, rid));
      expect(run.summary).toContain(`<tr><td>errcode</td><td>${errcode}</td></tr>`);
    },
  );

  it('the fake’s own checks answer as WeChat does: a token it does not know is 40014 at the lookup', async () => {
    const run = await act({ ...base(), access_token: 'not-a-token-the-fake-knows' });
    expect(run.exitCode).toBe(1);
    expect(errors(run)[0]).toMatch(/^getcslist failed: errcode 40014 \(invalid access_token\): /);
  });

  it('says exactly what to do about an expired token', async () => {
    const run = await act({ ...base(), access_token: 'expired-component-access-token' });
    expect(errors(run)).toEqual([
      'getcslist failed: errcode 42001 (access_token expired): refresh the component_access_token ' +
        '(it lives 7200 s), or give component_appid, component_appsecret and component_verify_ticket so the action ' +
        `obtains a fresh one rid: ${ridIn(suite.fake.requests[0])}`,
    ]);
  });

  it('names the caller IP and the fix for 61004', async () => {
    suite.fake.ipWhitelist = ['203.0.113.7'];
    const run = await act(base());
    expect(errors(run)[0]).toContain(
      "the runner's IP 127.0.0.1 is not on the third-party platform's IP whitelist: add it in the WeChat Open Platform console; " +
        'GitHub-hosted runners change IP from job to job, so run on a self-hosted runner or through a proxy with a fixed egress IP (HTTPS_PROXY)',
    );
  });

  it('keeps a whole errmsg of 100 kB in the errmsg output, and a bounded one in the failure line', async () => {
    const long = `quota ${'x'.repeat(100_000)}`;
    suite.fake.failNext({ kind: 'errcode', errcode: 89999, errmsg: long, path: CREATE_PATH });
    const run = await act(base());
    const rid = ridOfAnswer();
    expect(run.outputs['errmsg']).toBe(`${long} rid: ${rid}`);
    // An errmsg that speaks of a quota adds the quota remedy (SPEC §1.5).
    expect(errors(run)).toEqual([
      `createCloudbaseService failed: errcode 89999 (${long.slice(0, 300)}… (${long.length - 300} more characters)): ` +
        'the environment has reached a quota (CloudBase documents 15 services per environment): delete the services no longer needed, ' +
        'e.g. with the prune action (prefix: pr-) for the previews of closed pull requests, then run again ' +
        `rid: ${rid}`,
    ]);
  });

  describe('the token step', () => {
    const platform = () => ({
      ...base(),
      ...suite.platformInputs(),
    });
    const cases: [number, string, string, Setup][] = [
      [
        61004,
        'access clientip is not registered requestIP: 127.0.0.1',
        "the runner's IP 127.0.0.1 is not on the third-party platform's IP whitelist",
        (i) => {
          suite.fake.ipWhitelist = ['203.0.113.7'];
          return i;
        },
      ],
      [
        61005,
        'component ticket is expired',
        'the component_verify_ticket has expired',
        (i) => ({ ...i, component_verify_ticket: 'ticket@@@expired' }),
      ],
      [
        61006,
        'component ticket is invalid',
        'the component_verify_ticket is not valid',
        (i) => ({ ...i, component_verify_ticket: 'ticket@@@forged' }),
      ],
      [
        40001,
        'invalid credential, access_token is invalid or not latest',
        'WeChat rejected the credential: check component_appsecret',
        (i) => ({ ...i, component_appsecret: 'wrong-appsecret' }),
      ],
      [
        45009,
        'reach max api daily quota limit',
        'the daily API quota is used up',
        (i) => (suite.fake.failNext({ kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit' }), i),
      ],
    ];

    it.each(cases)('fails on errcode %i with its own line, and never looks up or creates', async (errcode, errmsg, remedy, setup) => {
      const run = await act(setup(platform()));
      expect(run.exitCode).toBe(1);
      expect(suite.fake.requests.map((r) => r.path)).toEqual([TOKEN_PATH]);
      const rid = ridIn(suite.fake.requests[0]);
      expect(errors(run)).toHaveLength(1);
      const prefix = `api_component_token failed (the token step: no service was created): errcode ${errcode} (${errmsg}): ${remedy}`;
      expect(errors(run)[0]).toMatch(new RegExp(`^${escapeRegExp(prefix)}.* rid: ${rid}$`));
      // The outputs carry WeChat's answer from the call that failed, so a later step can branch on errcode.
      expect(run.outputs).toEqual(failedOutputs(errcode, errmsg, rid));
    });
  });
});

describe('secrets', () => {
  it('keeps the token out of a gateway page that quotes the request URL', async () => {
    suite.fake.failAlways({ kind: 'echo-url-502', path: LIST_SERVICES_PATH });
    const run = await act({ ...base(), max_attempts: '1' });
    expect(errors(run)[0]).toContain(`"<html><body>upstream failed for ${LIST_SERVICES_PATH}?access_token=***</body></html>"`);
  });
});

describe('invalid inputs', () => {
  it('reports every problem, names each input, sends nothing', async () => {
    const run = await act({
      ...base(),
      env_id: '',
      is_public: 'yes',
      es_info: `{"port":"9200","password":"${ES_PASSWORD}"}`,
      vpc_info: '{"subnetIds":["s"]}',
      log_type: 'elastic',
      if_exists: 'replace',
    });
    expect(run.exitCode).toBe(1);
    expect(suite.fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'env_id: is required',
      'is_public: "yes" is not a YAML 1.2 boolean: give true or false (True/TRUE/False/FALSE also work)',
      'es_info.port: expected a number',
      'log_type: "elastic" is not es or cls',
      'vpc_info: unknown key "subnetIds" (did you mean "subnet_ids"?); allowed keys: vpc_id, subnet_ids, create_type',
      'if_exists: "replace" is not skip (succeed when the service is already there) or fail',
      '6 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
    expect(run.outputs).toEqual({ errcode: '', errmsg: '', rid: '', env_id: '', service_name: '', created: 'false', existed: 'false' });
  });

  it('rejects an invalid service name before anything is sent, showing a valid one', async () => {
    const run = await act({ ...base(), service_name: 'release-v1.2.3' });
    expect(run.exitCode).toBe(1);
    expect(suite.fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'service_name: "release-v1.2.3" is not a valid service name: use lowercase letters, digits and -, starting with a letter, at most 20 characters, e.g. "release-v1-2-3"',
      '1 invalid input (see the errors above); nothing was sent to WeChat',
    ]);
  });

  it('rejects missing credentials before anything is sent', async () => {
    const run = await act({ ...base(), access_token: '' });
    expect(run.exitCode).toBe(1);
    expect(suite.fake.requests).toEqual([]);
    expect(errors(run)[0]).toMatch(/^access_token: is required: give a component_access_token from a secret/);
  });

  it('does not echo a secret from JSON it cannot parse', async () => {
    const run = await act({ ...base(), es_info: `{"password":"${ES_PASSWORD}"` });
    expect(errors(run)[0]).toBe('es_info: is not valid JSON (it ends before the JSON does): give a JSON object, e.g. {"key": "value"}');
  });
});

describe('dry run', () => {
  it('validates, prints both requests (lookup and create) with secrets redacted, and calls nothing, not even the lookup', async () => {
    const run = await act({ ...base(), dry_run: 'true', es_info: `{"port":9200,"password":"${ES_PASSWORD}"}` });
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests).toEqual([]);
    expect(infos(run)).toEqual([
      `CloudBase Run service "pr-42" in environment "${ENV}" (public access: true)`,
      'Dry run: the inputs are valid; nothing is sent to WeChat.',
      `Would POST ${suite.fake.url}${LIST_SERVICES_PATH}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      '  "offset": 0,',
      '  "limit": 20',
      '}',
      'and, when the service is not listed:',
      `Would POST ${suite.fake.url}${CREATE_PATH}?access_token=*** with:`,
      '{',
      `  "env_id": "${ENV}",`,
      '  "service_name": "pr-42",',
      '  "is_public": true,',
      '  "es_info": {',
      '    "port": 9200,',
      '    "password": "***"',
      '  }',
      '}',
    ]);
    expect(run.outputs).toEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: ENV,
      service_name: 'pr-42',
      created: 'false',
      existed: 'false',
    });
    expect(run.summary).toContain('<tr><td>Result</td><td>dry run: validated, nothing sent</td></tr>');
  });

  it('shows the token request too, with the secrets redacted, when it would obtain a token', async () => {
    const run = await act({
      ...base(),
      ...suite.platformInputs(),
      dry_run: 'True',
    });
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests).toEqual([]);
    expect(infos(run).slice(2, 8)).toEqual([
      `Would POST ${suite.fake.url}${TOKEN_PATH} with:`,
      '{',
      `  "component_appid": "${suite.fake.platform.appid}",`,
      '  "component_appsecret": "***",',
      '  "component_verify_ticket": "***"',
      '}',
    ]);
  });

  it('still fails on invalid inputs', async () => {
    const run = await act({ ...base(), dry_run: 'true', public_access: 'yes' });
    expect(run.exitCode).toBe(1);
    expect(errors(run)[0]).toBe('public_access: "yes" is not 0 or 1');
  });
});

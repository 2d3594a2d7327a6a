/**
 * End to end: the committed dist/index.js, run as the runner runs it (Node 24 child
 * process, INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files), against the
 * fake WeChat API. After every test, no secret may appear anywhere the run left text.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_PATH, TOKEN_PATH, startFakeWeChat, type Fault, type FakeWeChat } from '../tools/fake-wechat.ts';
import { NODE24, runAction, type ActionRun } from '../tools/run-action.ts';
import { errors, expectCleanRun, infos } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const ES_PASSWORD = `es-pw-${randomUUID()}`;
let fake: FakeWeChat;
let runs: ActionRun[];

beforeAll(async () => {
  fake = await startFakeWeChat();
  fake.platform = {
    appid: 'wx-e2e-platform',
    appsecret: `appsecret-${randomUUID()}`,
    verifyTicket: `ticket@@@${randomUUID()}`,
  };
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.tokens.add(TOKEN);
  runs = [];
});

afterEach(() => {
  const issued = [...fake.tokens].filter((token) => token.startsWith('issued-'));
  const inputs = [TOKEN, ES_PASSWORD, fake.platform.appsecret, fake.platform.verifyTicket];
  for (const run of runs) expectCleanRun(run, { inputs, others: issued });
});

const base = () => ({
  access_token: TOKEN,
  env_id: 'prod-2g59lad002c864a6',
  service_name: 'pr-42',
  is_public: 'true',
  api_base_url: fake.url,
});

async function act(inputs: Record<string, string>, env?: Record<string, string>): Promise<ActionRun> {
  const run = await runAction({ inputs, ...(env !== undefined && { env }) });
  runs.push(run);
  return run;
}

/** The outputs of a run that WeChat answered with an error. */
const failedOutputs = (errcode: number, errmsg: string, rid: string) => ({
  errcode: String(errcode),
  errmsg: `${errmsg} rid: ${rid}`,
  rid,
  env_id: 'prod-2g59lad002c864a6',
  service_name: 'pr-42',
  created: 'false',
});
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ridOfAnswer = (index = 0) => /rid: (\S+)$/.exec(String(fake.requestsTo(CREATE_PATH)[index]?.answer?.['errmsg']))?.[1] ?? '';

it('runs under Node 24, the runtime action.yml declares', () => {
  expect(execFileSync(NODE24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
});

describe('success', () => {
  it('creates the service, sets every output and writes the summary', async () => {
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

    const [request] = fake.requestsTo(CREATE_PATH);
    expect(fake.requests).toHaveLength(1);
    expect(request?.method).toBe('POST');
    expect(request?.query).toEqual({ access_token: TOKEN });
    expect(request?.body).toBe(
      `{"env_id":"prod-2g59lad002c864a6","service_name":"pr-42","is_public":true,"remark":"preview",` +
        `"es_info":{"port":9200,"password":"${ES_PASSWORD}"},"log_type":"cls",` +
        `"vpc_info":{"vpc_id":"vpc-abc","subnet_ids":["subnet-1"],"create_type":2},"public_access":1}`,
    );

    const rid = ridOfAnswer();
    expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect(run.outputs).toEqual({
      errcode: '0',
      errmsg: `ok rid: ${rid}`,
      rid,
      env_id: 'prod-2g59lad002c864a6',
      service_name: 'pr-42',
      created: 'true',
    });
    expect(run.summary).toContain('<tr><td>Environment</td><td><code>prod-2g59lad002c864a6</code></td></tr>');
    expect(run.summary).toContain('<tr><td>Service</td><td><code>pr-42</code></td></tr>');
    expect(run.summary).toContain('<tr><td>Public access</td><td>true</td></tr>');
    expect(run.summary).toContain('<tr><td>Result</td><td>created</td></tr>');
    expect(run.summary).toContain('<tr><td>errcode</td><td>0</td></tr>');
    expect(run.summary).toContain(`<tr><td>rid</td><td><code>${rid}</code></td></tr>`);
    expect(infos(run)).toEqual([
      'CloudBase Run service "pr-42" in environment "prod-2g59lad002c864a6" (public access: true)',
      `POST ${fake.url}${CREATE_PATH} (attempt 1 of 3)`,
      `Created service "pr-42" (rid: ${rid}).`,
    ]);
  });

  it('masks the token and the es_info password before anything else is printed', async () => {
    const run = await act({ ...base(), es_info: `{"password":"${ES_PASSWORD}"}` });
    expect(run.stdout.split('\n').slice(0, 2)).toEqual([`::add-mask::${TOKEN}`, `::add-mask::${ES_PASSWORD}`]);
  });

  it('escapes user values in the summary', async () => {
    const run = await act({ ...base(), service_name: '<b>x</b>&' });
    expect(run.summary).toContain('<code>&#60;b&#62;x&#60;/b&#62;&#38;</code>');
  });

  it('obtains a component_access_token from the platform credentials, masks it and uses it', async () => {
    const run = await act({
      ...base(),
      access_token: '',
      component_appid: fake.platform.appid,
      component_appsecret: fake.platform.appsecret,
      component_verify_ticket: fake.platform.verifyTicket,
    });
    expect(run.exitCode).toBe(0);
    expect(fake.requests.map((r) => r.path)).toEqual([TOKEN_PATH, CREATE_PATH]);
    const issued = fake.requestsTo(CREATE_PATH)[0]?.query['access_token'] ?? '';
    expect(issued).toMatch(/^issued-component-access-token-/);
    const maskedAt = run.stdout.indexOf(`::add-mask::${issued}`);
    expect(maskedAt).toBeGreaterThan(0);
    expect(run.stdout.indexOf(`POST ${fake.url}${CREATE_PATH}`)).toBeGreaterThan(maskedAt);
    expect(run.outputs['created']).toBe('true');
  });
});

describe('WeChat errcodes', () => {
  const answer = (errcode: number, errmsg: string): Fault => ({ kind: 'errcode', errcode, errmsg });
  type Setup = (inputs: Record<string, string>) => Record<string, string>;
  const cases: [number, string, Setup][] = [
    [-1000, 'system error', (i) => (fake.failNext(answer(-1000, 'system error')), i)],
    [40001, 'invalid credential', (i) => (fake.failNext(answer(40001, 'invalid credential')), i)],
    [40014, 'invalid access_token', (i) => ({ ...i, access_token: 'not-a-token-the-fake-knows' })],
    [40097, 'invalid args', (i) => (fake.failNext(answer(40097, 'invalid args')), i)],
    [40101, 'missing parameter', (i) => (fake.failNext(answer(40101, 'missing parameter')), i)],
    [41001, 'access_token missing', (i) => (fake.failNext(answer(41001, 'access_token missing')), i)],
    [42001, 'access_token expired', (i) => ({ ...i, access_token: 'expired-component-access-token' })],
    [43002, 'require POST method', (i) => (fake.failNext(answer(43002, 'require POST method')), i)],
    [44002, 'empty post data', (i) => (fake.failNext(answer(44002, 'empty post data')), i)],
    [45009, 'reach max api daily quota limit', (i) => (fake.failNext(answer(45009, 'reach max api daily quota limit')), i)],
    [47001, 'data format error', (i) => (fake.failNext(answer(47001, 'data format error')), i)],
    [61004, 'access clientip is not registered requestIP: 127.0.0.1', (i) => ((fake.ipWhitelist = ['203.0.113.7']), i)],
    [85088, 'no qbase privilege', (i) => (fake.environmentsWithoutCloudBase.add(i['env_id'] ?? ''), i)],
  ];

  it.each(cases)('fails on errcode %i with one line: call, errcode, errmsg, remedy, rid', async (errcode, errmsg, setup) => {
    const run = await act(setup(base()));
    expect(run.exitCode).toBe(1);
    expect(fake.requestsTo(CREATE_PATH)).toHaveLength(1);
    const rid = ridOfAnswer();
    const [line, ...more] = errors(run);
    expect(more).toEqual([]);
    expect(line?.startsWith(`createCloudbaseService failed: errcode ${errcode} (${errmsg}): `)).toBe(true);
    expect(line?.endsWith(` rid: ${rid}`)).toBe(true);
    expect(line).not.toContain('\n');
    expect(run.outputs).toEqual(failedOutputs(errcode, errmsg, rid));
    expect(run.summary).toContain(`<tr><td>errcode</td><td>${errcode}</td></tr>`);
  });

  it('says exactly what to do about an expired token', async () => {
    const run = await act({ ...base(), access_token: 'expired-component-access-token' });
    expect(errors(run)).toEqual([
      'createCloudbaseService failed: errcode 42001 (access_token expired): refresh the component_access_token ' +
        '(it lives 7200 s), or give component_appid, component_appsecret and component_verify_ticket so the action ' +
        `obtains a fresh one rid: ${ridOfAnswer()}`,
    ]);
  });

  it('names the caller IP and the fix for 61004', async () => {
    fake.ipWhitelist = ['203.0.113.7'];
    const run = await act(base());
    expect(errors(run)[0]).toContain(
      "the runner's IP 127.0.0.1 is not on the third-party platform's IP whitelist: add it in the WeChat Open Platform console; " +
        'GitHub-hosted runners change IP from job to job, so run on a self-hosted runner or through a proxy with a fixed egress IP (HTTPS_PROXY)',
    );
  });

  it('passes an undocumented errcode through with WeChat’s errmsg', async () => {
    fake.failNext(answer(89999, 'something new'));
    const run = await act(base());
    expect(errors(run)).toEqual([`createCloudbaseService failed: errcode 89999 (something new) rid: ${ridOfAnswer()}`]);
  });

  describe('the token step', () => {
    const platform = () => ({
      ...base(),
      access_token: '',
      component_appid: fake.platform.appid,
      component_appsecret: fake.platform.appsecret,
      component_verify_ticket: fake.platform.verifyTicket,
    });
    const cases: [number, string, string, Setup][] = [
      [61004, 'access clientip is not registered requestIP: 127.0.0.1', "the runner's IP 127.0.0.1 is not on the third-party platform's IP whitelist", (i) => ((fake.ipWhitelist = ['203.0.113.7']), i)],
      [61005, 'component ticket is expired', 'the component_verify_ticket has expired', (i) => ({ ...i, component_verify_ticket: 'ticket@@@expired' })],
      [61006, 'component ticket is invalid', 'the component_verify_ticket is not valid', (i) => ({ ...i, component_verify_ticket: 'ticket@@@forged' })],
      [40001, 'invalid credential, access_token is invalid or not latest', 'WeChat rejected the credential: check component_appsecret', (i) => ({ ...i, component_appsecret: 'wrong-appsecret' })],
      [45009, 'reach max api daily quota limit', 'the daily API quota is used up', (i) => (fake.failNext(answer(45009, 'reach max api daily quota limit')), i)],
    ];

    it.each(cases)('fails on errcode %i with its own line, and never calls create', async (errcode, errmsg, remedy, setup) => {
      const run = await act(setup(platform()));
      expect(run.exitCode).toBe(1);
      expect(fake.requests.map((r) => r.path)).toEqual([TOKEN_PATH]);
      const rid = /rid: (\S+)$/.exec(String(fake.requests[0]?.answer?.['errmsg']))?.[1];
      expect(errors(run)).toHaveLength(1);
      const prefix = `api_component_token failed (the token step: no service was created): errcode ${errcode} (${errmsg}): ${remedy}`;
      expect(errors(run)[0]).toMatch(new RegExp(`^${escapeRegExp(prefix)}.* rid: ${rid}$`));
      // The outputs carry WeChat's answer from the call that failed, so a later step can branch on errcode.
      expect(run.outputs).toEqual(failedOutputs(errcode, errmsg, rid ?? ''));
    });
  });
});

describe('secrets', () => {
  it('keeps the token out of a gateway page that quotes the request URL', async () => {
    fake.failNext({ kind: 'echo-url-502' });
    const run = await act(base());
    expect(errors(run)[0]).toContain(`"<html><body>upstream failed for ${CREATE_PATH}?access_token=***</body></html>"`);
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
    });
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'env_id: is required',
      'is_public: must be a YAML 1.2 boolean: true or false (True/TRUE/False/FALSE also work)',
      'es_info.port: expected a number',
      'log_type: must be "es" or "cls"',
      'vpc_info: unknown key "subnetIds" (did you mean "subnet_ids"?); allowed keys: vpc_id, subnet_ids, create_type',
      '5 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
    expect(run.outputs).toEqual({ errcode: '', errmsg: '', rid: '', env_id: '', service_name: '', created: 'false' });
  });

  it('rejects missing credentials before anything is sent', async () => {
    const run = await act({ ...base(), access_token: '' });
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)[0]).toMatch(/^access_token: is required: give a component_access_token from a secret/);
  });

  it('does not echo a secret from JSON it cannot parse', async () => {
    const run = await act({ ...base(), es_info: `{"password":"${ES_PASSWORD}"` });
    expect(errors(run)[0]).toBe('es_info: is not valid JSON: give a JSON object, e.g. {"key": "value"}');
  });
});

describe('dry run', () => {
  it('validates, prints the request with secrets redacted, and calls nothing', async () => {
    const run = await act({ ...base(), dry_run: 'true', es_info: `{"port":9200,"password":"${ES_PASSWORD}"}` });
    expect(run.exitCode).toBe(0);
    expect(fake.requests).toEqual([]);
    expect(infos(run)).toEqual([
      'CloudBase Run service "pr-42" in environment "prod-2g59lad002c864a6" (public access: true)',
      'Dry run: the inputs are valid; nothing is sent to WeChat.',
      `Would POST ${fake.url}${CREATE_PATH}?access_token=*** with:`,
      '{',
      '  "env_id": "prod-2g59lad002c864a6",',
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
      env_id: 'prod-2g59lad002c864a6',
      service_name: 'pr-42',
      created: 'false',
    });
    expect(run.summary).toContain('<tr><td>Result</td><td>dry run: validated, nothing sent</td></tr>');
  });

  it('still fails on invalid inputs', async () => {
    const run = await act({ ...base(), dry_run: 'true', public_access: 'yes' });
    expect(run.exitCode).toBe(1);
    expect(errors(run)[0]).toBe('public_access: must be 0 or 1');
  });
});

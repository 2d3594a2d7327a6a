/**
 * Hostile servers and broken runners, end to end (issue 8): each class of defect with a
 * table that holds its examples. A token WeChat sent is masked before anything about its
 * answer is printed, however malformed the answer; every place a secret is registered
 * masks a multi-line secret line by line; a runner that cannot take the outputs or the
 * summary gets one clear error line, and the step still ends as WeChat's answer says.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CREATE_PATH,
  CREATE_VERSION_PATH,
  LIST_SERVICES_PATH,
  startFakeWeChat,
  TOKEN_PATH,
  type FakeWeChat,
} from '../tools/fake-wechat.ts';
import { runAction, type ActionName } from '../tools/run-action.ts';
import { errors, expectCleanRun, masks } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const ENV = 'prod-2g59lad002c864a6';
let fake: FakeWeChat;
let dir: string;

beforeAll(async () => {
  fake = await startFakeWeChat();
  dir = mkdtempSync(join(tmpdir(), 'hostile-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  fake.tokens.add(TOKEN);
});

const base = () => ({
  access_token: TOKEN,
  env_id: ENV,
  service_name: 'pr-42',
  is_public: 'true',
  api_base_url: fake.url,
  max_attempts: '1',
});
const platform = () => ({
  ...base(),
  access_token: '',
  component_appid: fake.platform.appid,
  component_appsecret: fake.platform.appsecret,
  component_verify_ticket: fake.platform.verifyTicket,
});

describe('a secret known too late: a token in a malformed token answer is masked before anything about the answer is printed', () => {
  const live = `live-token-${randomUUID()}`;
  it.each([
    ['a token of the wrong type', `{"component_access_token":${JSON.stringify(live)},"expires_in":"7200s","errcode":"0"}`],
    ['JSON cut short', `{"component_access_token":"${live}","expires_in":72`],
    ['JSON cut inside the token', `{"component_access_token":"${live}`],
    ['a BOM before the JSON', `\ufeff{"component_access_token":"${live}","expires_in":7200}`],
    ['a gateway page that shows it', `<html><body>cached: component_access_token=${live}; expires_in=7200</body></html>`],
    ['another key', `{"access_token":"${live}","expires_in":7200}`],
    ['JSON not an object', `["component_access_token", "${live}"]`],
  ])('%s', async (_, body) => {
    fake.failNext({ kind: 'raw', status: 200, body, headers: { 'content-type': 'application/json' }, path: TOKEN_PATH });
    const run = await runAction({ inputs: platform() });
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toHaveLength(1);
    expect(errors(run)[0]).toMatch(/^api_component_token failed \(the token step: no service was created\): /);
    expectCleanRun(run, { inputs: [fake.platform.appsecret, fake.platform.verifyTicket], others: [live] });
    // Masked before the first line that is about the answer.
    const lines = run.stdout.split('\n');
    const maskedAt = lines.indexOf(`::add-mask::${live}`);
    expect(maskedAt).toBeGreaterThan(0);
    expect(lines.findIndex((line) => line.includes('api_component_token answer'))).toBeGreaterThan(maskedAt);
  });
});

describe('multi-line secrets are masked line by line, wherever a secret is registered', () => {
  const lines = [`first-line-${randomUUID()}`, `second-line-${randomUUID()}`];
  const secret = lines.join('\n');
  /** A gateway's page that quotes one line of the secret: only line-by-line masking hides it. */
  const echo = (path: string) => ({ kind: 'raw' as const, status: 502, body: `<html>rejected value: ${lines[1]}</html>`, path });
  const cases: [string, ActionName, () => Record<string, string>, string][] = [
    ['access_token', 'create', () => ({ ...base(), access_token: secret }), LIST_SERVICES_PATH],
    ['component_appsecret', 'create', () => ({ ...platform(), component_appsecret: secret }), TOKEN_PATH],
    ['component_verify_ticket', 'create', () => ({ ...platform(), component_verify_ticket: secret }), TOKEN_PATH],
    ['es_info.password', 'create', () => ({ ...base(), es_info: JSON.stringify({ password: secret }) }), LIST_SERVICES_PATH],
    [
      'image_secret_info.password',
      'deploy',
      () => ({
        ...base(),
        image_url: 'ccr.ccs.tencentyun.com/ns/app:1',
        image_secret_info: JSON.stringify({ user_name: 'u', password: secret }),
      }),
      LIST_SERVICES_PATH,
    ],
  ];

  it.each(cases)('%s', async (_, action, inputs, path) => {
    fake.tokens.add(secret);
    fake.failAlways(echo(path));
    const run = await runAction({ action, inputs: inputs() });
    expect(run.exitCode).toBe(1);
    expect(masks(run)).toEqual(expect.arrayContaining([secret, ...lines]));
    expect(errors(run).join('\n')).toContain('rejected value: ***');
    expectCleanRun(run, { inputs: [secret] });
  });

  it('the token WeChat sends', async () => {
    fake.failNext({
      kind: 'raw',
      status: 200,
      body: JSON.stringify({ component_access_token: secret, expires_in: 7200 }),
      path: TOKEN_PATH,
    });
    fake.failAlways(echo(LIST_SERVICES_PATH));
    const run = await runAction({ inputs: platform() });
    expect(run.exitCode).toBe(1);
    expect(masks(run)).toEqual(expect.arrayContaining([secret, ...lines]));
    expectCleanRun(run, { inputs: [fake.platform.appsecret, fake.platform.verifyTicket], others: [secret] });
  });
});

describe('outputs or a summary the runner cannot take: one error line, the rest of the reporting, the step as WeChat says', () => {
  const writable = () => {
    const file = join(dir, `file-${randomUUID()}`);
    writeFileSync(file, '');
    return file;
  };
  const places: [string, () => string][] = [
    ['a file that does not exist', () => join(dir, 'missing', 'file')],
    ['a directory', () => dir],
    ['a full disk (/dev/full)', () => '/dev/full'],
  ];
  const outputsLine =
    /^Could not write the step's outputs \(.+\): later steps will not see them; the runner's GITHUB_OUTPUT file must exist and be writable$/;
  const summaryLine = /^Could not write the job summary \(.+\): the runner's GITHUB_STEP_SUMMARY file must exist and be writable$/;

  describe.each(places)('%s', (_, place) => {
    it.each([
      ['WeChat created the service', false, 0],
      ['WeChat refused (40014)', true, 1],
    ] as const)('GITHUB_OUTPUT there, when %s', async (__, refuse, exitCode) => {
      if (refuse) fake.failNext({ kind: 'errcode', errcode: 40014, errmsg: 'invalid access_token', path: CREATE_PATH });
      const summary = writable();
      const run = await runAction({ inputs: base(), env: { GITHUB_OUTPUT: place(), GITHUB_STEP_SUMMARY: summary } });
      expect(run.exitCode).toBe(exitCode);
      const [first, ...rest] = errors(run).filter((line) => !line.startsWith('createCloudbaseService failed'));
      expect(first).toMatch(outputsLine);
      expect(rest).toEqual([]);
      expect(errors(run).filter((line) => line.startsWith('createCloudbaseService failed'))).toHaveLength(refuse ? 1 : 0);
      // The rest of the reporting still happens.
      expect(readFileSync(summary, 'utf8')).toContain(
        `<tr><td>Result</td><td>${refuse ? 'createCloudbaseService failed: errcode 40014' : 'created</td>'}`,
      );
      expect(fake.services(ENV)).toEqual(refuse ? [] : ['pr-42']);
      expectCleanRun(run, { inputs: [TOKEN] });
    });

    it('GITHUB_STEP_SUMMARY there: the outputs are written all the same', async () => {
      const run = await runAction({ inputs: base(), env: { GITHUB_STEP_SUMMARY: place() } });
      expect(run.exitCode).toBe(0);
      expect(errors(run)).toHaveLength(1);
      expect(errors(run)[0]).toMatch(summaryLine);
      expect(run.outputs).toMatchObject({ created: 'true', existed: 'false', errcode: '0' });
      expectCleanRun(run, { inputs: [TOKEN] });
    });
  });

  it('neither there: two lines, and the step still succeeds as WeChat answered', async () => {
    const run = await runAction({
      inputs: base(),
      env: { GITHUB_OUTPUT: '/dev/full', GITHUB_STEP_SUMMARY: join(dir, 'missing', 'summary') },
    });
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toHaveLength(2);
    expect(errors(run)[0]).toMatch(outputsLine);
    expect(errors(run)[1]).toMatch(summaryLine);
    expectCleanRun(run, { inputs: [TOKEN] });
  });

  it('the same for deploy and delete: the shared reporting', async () => {
    fake.addService(ENV, 'pr-42');
    fake.versionLifecycle = [{ status: 'normal' }];
    for (const [action, inputs] of [
      ['deploy', { ...base(), image_url: 'ccr.ccs.tencentyun.com/ns/app:1' }],
      ['delete', base()],
    ] as const) {
      const run = await runAction({ action, inputs, env: { GITHUB_OUTPUT: '/dev/full' } });
      expect(run.exitCode).toBe(0);
      expect(errors(run)).toHaveLength(1);
      expect(errors(run)[0]).toMatch(outputsLine);
      expectCleanRun(run, { inputs: [TOKEN] });
    }
    expect(fake.requestsTo(CREATE_VERSION_PATH)).toHaveLength(1);
    expect(fake.services(ENV)).toEqual([]);
  });
});

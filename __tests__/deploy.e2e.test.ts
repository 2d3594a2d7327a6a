/**
 * End to end, the deploy action: the committed dist/deploy/index.js, run as the runner
 * runs it (Node 24 child process, INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
 * files), against the fake WeChat API. Each test asserts the exact requests WeChat
 * received and the exact outputs, with the expected values taken from SPEC §1.4 and §2;
 * after every test, no secret may appear anywhere the run left text.
 *
 * Polling waits 5 s, then 7.5 s, … (SPEC §2): versions here change status after a number
 * of reads, so a test waits one or two poll intervals at most.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CREATE_VERSION_PATH, LIST_SERVICES_PATH, LIST_VERSIONS_PATH, TOKEN_PATH, type ReceivedRequest } from '../tools/fake-wechat.ts';
import { calls, e2eSuite, errors, infos, masks, warnings } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const REGISTRY_PASSWORD = `reg-pw-${randomUUID()}`;
/** A registry password of several lines, as a pasted key would be: each line is a secret of its own. */
const MULTILINE_PASSWORD = `-----BEGIN KEY-----\n${randomUUID()}\n${randomUUID()}\n-----END KEY-----`;
const ENV = 'prod-2g59lad002c864a6';
const SERVICE = 'pr-42';
const IMAGE = 'ccr.ccs.tencentyun.com/my-ns/my-app:1.2.3';
const suite = e2eSuite('deploy', TOKEN, [REGISTRY_PASSWORD, MULTILINE_PASSWORD]);

const base = () => ({
  access_token: TOKEN,
  env_id: ENV,
  service_name: SERVICE,
  image_url: IMAGE,
  api_base_url: suite.fake.url,
});

const act = suite.act;

// The bodies SPEC §1.2 and §1.4 give each call, with the defaults of SPEC §2's deploy inputs.
const LOOKUP = { env: ENV, offset: 0, limit: 20 };
const VERSIONS = { env: ENV, service_name: SERVICE, offset: 0, limit: 20 };
const CREATE_DEFAULTS = {
  env_id: ENV,
  server_name: SERVICE,
  upload_type: 'image',
  flow_ratio: 100,
  cpu: 0.25,
  mem: 0.5,
  min_num: 0,
  max_num: 5,
  policy_type: 'cpu',
  policy_threshold: 60,
  container_port: 80,
  image_info: { image_url: IMAGE },
};
/** The JSON bodies WeChat received, in order. */
const bodies = () => suite.fake.requests.map((request) => request.json);
/** lookup, version list, version create, then `polls` reads of the version list. */
const deployCalls = (polls: number) => [
  'getcslist',
  'getcsversionlist',
  'createcloudbaserunserverversion',
  ...Array<string>(polls).fill('getcsversionlist'),
];
const deployBodies = (polls: number, create: object = CREATE_DEFAULTS) => [
  LOOKUP,
  VERSIONS,
  create,
  ...Array<object>(polls).fill(VERSIONS),
];

const ridIn = (request: ReceivedRequest | undefined) => /rid: (\S+)$/.exec(String(request?.answer?.['errmsg']))?.[1] ?? '';
const createAnswer = () => suite.fake.requestsTo(CREATE_VERSION_PATH)[0];
/** The outputs of a run whose version create WeChat answered (SPEC §2: rid of the call that did the work). */
const answeredOutputs = (version_name: string, status: string) => {
  const rid = ridIn(createAnswer());
  expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  const runId = String(createAnswer()?.answer?.['run_id']);
  expect(runId).toMatch(/^run-[0-9a-f]{16}$/);
  return {
    errcode: '0',
    errmsg: `ok rid: ${rid}`,
    rid,
    env_id: ENV,
    service_name: SERVICE,
    version_name,
    status,
    run_id: runId,
    pruned: '',
  };
};
/** SPEC §2: a failure decided on what the last poll showed carries that read's answer. */
const polledOutputs = (version_name: string, status: string) => {
  const poll = suite.fake.requestsTo(LIST_VERSIONS_PATH).at(-1);
  const rid = ridIn(poll);
  expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  return { ...answeredOutputs(version_name, status), errcode: '0', errmsg: `ok rid: ${rid}`, rid };
};
const row = (name: string, value: string) => `<tr><td>${name}</td><td>${value}</td></tr>`;

describe('success', () => {
  it('creates the version with exactly the body SPEC §1.4 gives, polls until normal, logs each status change once, sets every output', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building', reads: 2 }, { status: 'normal' }];
    const run = await act({
      ...base(),
      container_port: '8080',
      cpu: '0.5',
      mem: '1',
      min_num: '1',
      max_num: '3',
      policy_threshold: '70',
      flow_ratio: '50',
      env_params: '{"NODE_ENV":"preview","API_URL":"https://api.example.com/v1"}',
      version_remark: 'pr 42 at 1a2b3c4',
      image_secret_info: JSON.stringify({
        registry_server: 'ccr.ccs.tencentyun.com',
        user_name: '100012345678',
        password: REGISTRY_PASSWORD,
        email: 'ci@example.com',
      }),
    });
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(warnings(run)).toEqual([]);

    // Reads right after the create answer, 5 s later and 7.5 s after that: three polls.
    expect(calls(suite.fake.requests)).toEqual(deployCalls(3));
    const create = {
      env_id: ENV,
      server_name: SERVICE,
      upload_type: 'image',
      flow_ratio: 50,
      cpu: 0.5,
      mem: 1,
      min_num: 1,
      max_num: 3,
      policy_type: 'cpu',
      policy_threshold: 70,
      container_port: 8080,
      image_info: { image_url: IMAGE },
      env_params: '{"NODE_ENV":"preview","API_URL":"https://api.example.com/v1"}',
      version_remark: 'pr 42 at 1a2b3c4',
      image_secret_info: {
        registry_server: 'ccr.ccs.tencentyun.com',
        user_name: '100012345678',
        password: REGISTRY_PASSWORD,
        email: 'ci@example.com',
      },
    };
    expect(bodies()).toEqual(deployBodies(3, create));
    expect(createAnswer()?.body).toBe(
      `{"env_id":"${ENV}","server_name":"${SERVICE}","upload_type":"image","flow_ratio":50,"cpu":0.5,"mem":1,"min_num":1,"max_num":3,` +
        `"policy_type":"cpu","policy_threshold":70,"container_port":8080,"image_info":{"image_url":"${IMAGE}"},` +
        `"env_params":"{\\"NODE_ENV\\":\\"preview\\",\\"API_URL\\":\\"https://api.example.com/v1\\"}","version_remark":"pr 42 at 1a2b3c4",` +
        `"image_secret_info":{"registry_server":"ccr.ccs.tencentyun.com","user_name":"100012345678","password":"${REGISTRY_PASSWORD}","email":"ci@example.com"}}`,
    );
    for (const request of suite.fake.requests) expect(request.query).toEqual({ access_token: TOKEN });
    // It asked for 50, but it is the service's only version: once normal it serves all of the traffic.
    expect(suite.fake.versions(ENV, SERVICE).map((v) => [v.version_name, v.status, v.flow_ratio])).toEqual([['pr-42-001', 'normal', 100]]);

    expect(run.outputs).toEqual(answeredOutputs('pr-42-001', 'normal'));
    const rid = run.outputs['rid'];
    // The polls wait 5 s, then 7.5 s: 12.5 s in all, and no poll more.
    expect(run.durationMs).toBeGreaterThanOrEqual(12_500);
    expect(run.durationMs).toBeLessThan(12_500 + 3000);

    // Each status change once, with the time since the create answer; reads are debug lines only.
    expect(infos(run)).toEqual([
      `Deploying ${IMAGE} to CloudBase Run service "${SERVICE}" in environment "${ENV}"`,
      `POST ${suite.fake.url}${CREATE_VERSION_PATH} (attempt 1 of 3)`,
      `Created version "pr-42-001" (rid: ${rid}).`,
      'Version "pr-42-001": building (after 0 s)',
      expect.stringMatching(/^Version "pr-42-001": normal \(after 1[234] s\)$/),
    ]);
    const debugPosts = run.commands.filter((c) => c.command === 'debug' && c.value.startsWith('POST '));
    expect(debugPosts.map((c) => c.value)).toEqual(
      [LIST_SERVICES_PATH, ...Array<string>(4).fill(LIST_VERSIONS_PATH)].map((path) => `POST ${suite.fake.url}${path} (attempt 1 of 3)`),
    );

    expect(run.summary).toContain('<h3>CloudBase Run deployment</h3>');
    expect(run.summary).toContain(row('Environment', `<code>${ENV}</code>`));
    expect(run.summary).toContain(row('Service', `<code>${SERVICE}</code>`));
    expect(run.summary).toContain(row('Image', IMAGE));
    expect(run.summary).toContain(row('Version', 'pr-42-001'));
    expect(run.summary).toContain(row('Status', 'normal'));
    expect(run.summary).toMatch(/<tr><td>Took<\/td><td>1[234] s<\/td><\/tr>/);
    expect(run.summary).toContain(row('Result', 'deployed: the version runs'));
    expect(run.summary).toContain(row('errcode', '0'));
    expect(run.summary).toContain(row('rid', `<code>${rid}</code>`));
  });

  it('with wait: false, reads once right after the create, outputs that status, and succeeds', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building' }];
    const run = await act({ ...base(), wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(deployCalls(1));
    expect(bodies()).toEqual(deployBodies(1));
    expect(run.outputs).toEqual(answeredOutputs('pr-42-001', 'building'));
    expect(run.durationMs).toBeLessThan(3000);
    expect(errors(run)).toEqual([]);
    expect(run.summary).toContain(row('Status', 'building'));
    expect(run.summary).toContain(row('Result', 'version created (not waited for)'));
  });

  it('identifies the version as the one not listed before when the answer has no version_name', async () => {
    suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-old' }]);
    suite.fake.omitVersionName = true;
    suite.fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(createAnswer()?.answer).not.toHaveProperty('version_name');
    expect(calls(suite.fake.requests)).toEqual(deployCalls(2));
    expect(bodies()).toEqual(deployBodies(2));
    expect(run.outputs).toEqual(answeredOutputs('pr-42-001', 'normal'));
    expect(infos(run).slice(2)).toEqual([
      `Created version (its name is not known yet) (rid: ${run.outputs['rid']}).`,
      'Version "pr-42-001": building (after 0 s)',
      'Version "pr-42-001": normal (after 5 s)',
    ]);
  });

  it('finds the new version on a later page of getcsversionlist, paged by what each page returned', async () => {
    suite.fake.pageCap = 7;
    suite.fake.addService(
      ENV,
      SERVICE,
      Array.from({ length: 10 }, (_, i) => ({ version_name: `pr-42-old-${i}` })),
    );
    suite.fake.omitVersionName = true;
    suite.fake.versionLifecycle = [{ status: 'normal' }];
    const run = await act({ ...base(), wait: 'false' });
    expect(run.exitCode).toBe(0);
    const page = (offset: number) => ({ ...VERSIONS, offset });
    expect(bodies()).toEqual([LOOKUP, page(0), page(7), CREATE_DEFAULTS, page(0), page(7)]);
    expect(run.outputs).toEqual(answeredOutputs('pr-42-001', 'normal'));
  });
});

describe('failures', () => {
  it('build_fail: one error line that says to look at the build log in the console; outputs the version and its status', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'build_fail' }];
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(deployCalls(2));
    expect(bodies()).toEqual(deployBodies(2));
    expect(errors(run)).toEqual([
      'deploy: version "pr-42-001" failed to build (build_fail): look at its build log in the CloudBase console ' +
        '(service → versions), fix the image or its settings, then deploy again',
    ]);
    expect(run.outputs).toEqual(polledOutputs('pr-42-001', 'build_fail'));
    expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": building (after 0 s)', 'Version "pr-42-001": build_fail (after 5 s)']);
    expect(run.summary).toContain(row('Status', 'build_fail'));
  });

  it('deadline: fails saying it may still come up, with the last status, within about wait_timeout_seconds', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building' }];
    const run = await act({ ...base(), wait_timeout_seconds: '2' });
    expect(run.exitCode).toBe(1);
    // A read right after the create answer; the 5 s wait is cut at the deadline, where it reads once more.
    expect(calls(suite.fake.requests)).toEqual(deployCalls(2));
    expect(bodies()).toEqual(deployBodies(2));
    expect(run.durationMs).toBeGreaterThanOrEqual(2000);
    expect(run.durationMs).toBeLessThan(2000 + 3000);
    expect(errors(run)).toEqual([
      'deploy: version "pr-42-001" is not running 2 s after it was created (last status: building); ' +
        'it may still come up: look at it in the CloudBase console, or raise wait_timeout_seconds',
    ]);
    expect(run.outputs).toEqual(polledOutputs('pr-42-001', 'building'));
    expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": building (after 0 s)']);
  });

  it('a service that does not exist: fails saying to run the create action first, and sends no version create', async () => {
    suite.fake.addService(ENV, 'pr-41');
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(['getcslist']);
    expect(bodies()).toEqual([LOOKUP]);
    expect(errors(run)).toEqual([`deploy: service "${SERVICE}" does not exist in environment "${ENV}": run the create action first`]);
    // SPEC §2: the step ends on what a read showed (the service is absent): errcode, errmsg and rid of that read.
    const lookup = suite.fake.requestsTo(LIST_SERVICES_PATH)[0];
    const rid = ridIn(lookup);
    expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect(run.outputs).toEqual({
      errcode: '0',
      errmsg: `ok rid: ${rid}`,
      rid,
      env_id: ENV,
      service_name: SERVICE,
      version_name: '',
      status: '',
      run_id: '',
      pruned: '',
    });
  });

  it('a version create refused: the failure line with call, errcode, errmsg, remedy and rid; no poll', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.failNext({ kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: CREATE_VERSION_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(deployCalls(0));
    expect(bodies()).toEqual(deployBodies(0));
    const rid = ridIn(createAnswer());
    expect(errors(run)).toEqual([
      'createcloudbaserunserverversion failed: errcode 45009 (reach max api daily quota limit): the daily API quota is used up: ' +
        `wait for it to reset, or clear it with the clear_quota API rid: ${rid}`,
    ]);
    expect(run.outputs).toEqual({
      errcode: '45009',
      errmsg: `reach max api daily quota limit rid: ${rid}`,
      rid,
      env_id: ENV,
      service_name: SERVICE,
      version_name: '',
      status: '',
      run_id: '',
      pruned: '',
    });
  });

  it('a poll refused (the token expired during the wait): fails with that errcode, and still outputs the version it created and its last status', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building' }];
    suite.fake.failNext(
      { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
      { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
      { kind: 'errcode', errcode: 42001, errmsg: 'access_token expired', path: LIST_VERSIONS_PATH },
    );
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual(deployCalls(2));
    const refused = suite.fake.requestsTo(LIST_VERSIONS_PATH)[2];
    const rid = ridIn(refused);
    expect(errors(run)).toEqual([
      'getcsversionlist failed: errcode 42001 (access_token expired): refresh the component_access_token (it lives 7200 s), ' +
        `or give component_appid, component_appsecret and component_verify_ticket so the action obtains a fresh one rid: ${rid}`,
    ]);
    // SPEC §2: errcode, errmsg, rid of the failing call; version_name of the version this run
    // created; status the version's last status seen.
    expect(run.outputs).toEqual({
      errcode: '42001',
      errmsg: `access_token expired rid: ${rid}`,
      rid,
      env_id: ENV,
      service_name: SERVICE,
      version_name: 'pr-42-001',
      status: 'building',
      run_id: String(createAnswer()?.answer?.['run_id']),
      pruned: '',
    });
  });
});

describe('faults', () => {
  it('-1 on a poll is retried, and the wait goes on to success', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
    // Faults for a path are taken in order: the version list before the create and the first
    // poll pass (a delay of 0 ms), the second poll gets -1.
    suite.fake.failNext(
      { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
      { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
      { kind: 'busy', path: LIST_VERSIONS_PATH },
    );
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual(deployCalls(3));
    expect(bodies()).toEqual(deployBodies(3));
    expect(suite.fake.requestsTo(LIST_VERSIONS_PATH).map((r) => r.answer?.['errcode'])).toEqual([0, 0, -1, 0]);
    expect(run.outputs).toEqual(answeredOutputs('pr-42-001', 'normal'));
    expect(errors(run)).toEqual([]);
    expect(infos(run).slice(3)).toEqual([
      'Version "pr-42-001": building (after 0 s)',
      expect.stringMatching(/^WeChat is busy \(errcode -1\); retrying in (0\.[5-9]|1\.0) s \(attempt 2 of 3\)$/),
      expect.stringMatching(/^Version "pr-42-001": normal \(after [56] s\)$/),
    ]);
  });

  it('a version create whose answer was lost is not repeated: the version is found as the new one, waited for, success', async () => {
    suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-old' }]);
    suite.fake.versionLifecycle = [{ status: 'building', reads: 2 }, { status: 'normal' }];
    suite.fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: CREATE_VERSION_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    // The read back after the lost answer, a poll right after it, and one 5 s later.
    expect(calls(suite.fake.requests)).toEqual(deployCalls(3));
    expect(bodies()).toEqual(deployBodies(3));
    expect(suite.fake.requestsTo(CREATE_VERSION_PATH)).toHaveLength(1);
    expect(suite.fake.versions(ENV, SERVICE).map((v) => [v.version_name, v.status])).toEqual([
      ['pr-42-old', 'normal'],
      ['pr-42-001', 'normal'],
    ]);
    // No answer was read from the create: nothing of it to output (action.yml: empty when no answer was read).
    expect(run.outputs).toEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: ENV,
      service_name: SERVICE,
      version_name: 'pr-42-001',
      status: 'normal',
      run_id: '',
      pruned: '',
    });
    const why = `the request was sent to ${suite.fake.url}${CREATE_VERSION_PATH}, then the connection was reset before an answer arrived`;
    expect(infos(run).slice(1)).toEqual([
      `POST ${suite.fake.url}${CREATE_VERSION_PATH} (attempt 1 of 3)`,
      `Outcome unknown: ${why}. Looking at what is there before anything else.`,
      `The answer was lost (${why}), but a new version is listed now: this run created it.`,
      'Created version "pr-42-001".',
      'Version "pr-42-001": building (after 0 s)',
      'Version "pr-42-001": normal (after 5 s)',
    ]);
  });

  it('a version create that never arrived: the read back shows no new version, so it is sent again: two creates, one version', async () => {
    suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-old' }]);
    suite.fake.versionLifecycle = [{ status: 'normal' }];
    suite.fake.failNext({ kind: 'reset', path: CREATE_VERSION_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(calls(suite.fake.requests)).toEqual([
      'getcslist',
      'getcsversionlist',
      'createcloudbaserunserverversion',
      'getcsversionlist',
      'createcloudbaserunserverversion',
      'getcsversionlist',
    ]);
    expect(bodies()).toEqual([LOOKUP, VERSIONS, CREATE_DEFAULTS, VERSIONS, CREATE_DEFAULTS, VERSIONS]);
    expect(suite.fake.versions(ENV, SERVICE).map((v) => v.version_name)).toEqual(['pr-42-old', 'pr-42-001']);
    const answered = suite.fake.requestsTo(CREATE_VERSION_PATH)[1];
    const rid = ridIn(answered);
    expect(run.outputs).toEqual({
      errcode: '0',
      errmsg: `ok rid: ${rid}`,
      rid,
      env_id: ENV,
      service_name: SERVICE,
      version_name: 'pr-42-001',
      status: 'normal',
      run_id: String(answered?.answer?.['run_id']),
      pruned: '',
    });
    // The repeat counts toward max_attempts (SPEC §3): it is attempt 2 of 3.
    const why = `the request was sent to ${suite.fake.url}${CREATE_VERSION_PATH}, then the connection was reset before an answer arrived`;
    expect(infos(run).slice(1)).toEqual([
      `POST ${suite.fake.url}${CREATE_VERSION_PATH} (attempt 1 of 3)`,
      `Outcome unknown: ${why}. Looking at what is there before anything else.`,
      expect.stringMatching(/^The read shows it did not happen; retrying in (0\.[5-9]|1\.0) s \(attempt 2 of 3\)$/),
      `POST ${suite.fake.url}${CREATE_VERSION_PATH} (attempt 2 of 3)`,
      `Created version "pr-42-001" (rid: ${rid}).`,
      'Version "pr-42-001": normal (after 0 s)',
    ]);
  });

  it('repeats count toward max_attempts: with 2, a second create that never arrived ends the step, saying nothing changed', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.failNext({ kind: 'reset', path: CREATE_VERSION_PATH }, { kind: 'reset', path: CREATE_VERSION_PATH });
    const run = await act({ ...base(), max_attempts: '2' });
    expect(run.exitCode).toBe(1);
    expect(calls(suite.fake.requests)).toEqual([
      'getcslist',
      'getcsversionlist',
      'createcloudbaserunserverversion',
      'getcsversionlist',
      'createcloudbaserunserverversion',
      'getcsversionlist',
    ]);
    expect(bodies()).toEqual([LOOKUP, VERSIONS, CREATE_DEFAULTS, VERSIONS, CREATE_DEFAULTS, VERSIONS]);
    expect(suite.fake.versions(ENV, SERVICE)).toEqual([]);
    expect(errors(run)).toEqual([
      `createcloudbaserunserverversion failed: no answer on 2 attempts (the last: the request was sent to ${suite.fake.url}${CREATE_VERSION_PATH}, ` +
        'then the connection was reset before an answer arrived); a read after each showed it had not happened, so nothing changed: run the job again',
    ]);
    expect(run.outputs).toEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: ENV,
      service_name: SERVICE,
      version_name: '',
      status: '',
      run_id: '',
      pruned: '',
    });
  });
});

describe('secrets', () => {
  it('masks the token and the registry password before anything else is printed', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'normal' }];
    const run = await act({ ...base(), image_secret_info: JSON.stringify({ user_name: 'u', password: REGISTRY_PASSWORD }) });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split('\n').slice(0, 2)).toEqual([`::add-mask::${TOKEN}`, `::add-mask::${REGISTRY_PASSWORD}`]);
    expect(suite.fake.requestsTo(CREATE_VERSION_PATH)[0]?.json).toEqual({
      ...CREATE_DEFAULTS,
      image_secret_info: { user_name: 'u', password: REGISTRY_PASSWORD },
    });
  });

  it('masks a multi-line registry password whole and line by line, before anything else is printed', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'normal' }];
    const run = await act({ ...base(), image_secret_info: JSON.stringify({ password: MULTILINE_PASSWORD }) });
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requestsTo(CREATE_VERSION_PATH)[0]?.json).toEqual({
      ...CREATE_DEFAULTS,
      image_secret_info: { password: MULTILINE_PASSWORD },
    });
    const lines = MULTILINE_PASSWORD.split('\n');
    expect(masks(run)).toEqual(expect.arrayContaining([MULTILINE_PASSWORD, ...lines]));
    const firstOther = run.stdout.split('\n').findIndex((line) => !line.startsWith('::add-mask::'));
    expect(firstOther).toBe(masks(run).length);
  });

  it('obtains a token from the component_* credentials, masks it, and uses it for every call', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
    const run = await act({
      ...base(),
      ...suite.platformInputs(),
      image_secret_info: JSON.stringify({ password: REGISTRY_PASSWORD }),
    });
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests.map((r) => r.path)).toEqual([
      TOKEN_PATH,
      LIST_SERVICES_PATH,
      LIST_VERSIONS_PATH,
      CREATE_VERSION_PATH,
      LIST_VERSIONS_PATH,
      LIST_VERSIONS_PATH,
    ]);
    expect(suite.fake.requests[0]?.json).toEqual({
      component_appid: suite.fake.platform.appid,
      component_appsecret: suite.fake.platform.appsecret,
      component_verify_ticket: suite.fake.platform.verifyTicket,
    });
    const issued = suite.fake.requests[1]?.query['access_token'] ?? '';
    expect(issued).toMatch(/^issued-component-access-token-/);
    for (const request of suite.fake.requests.slice(1)) expect(request.query).toEqual({ access_token: issued });
    const maskedAt = run.stdout.indexOf(`::add-mask::${issued}`);
    expect(maskedAt).toBeGreaterThan(0);
    expect(run.stdout.indexOf(LIST_SERVICES_PATH)).toBeGreaterThan(maskedAt);
    expect(run.outputs).toEqual(answeredOutputs('pr-42-001', 'normal'));
  });
});

describe('invalid inputs', () => {
  it('reports every problem at once, naming the input (and the path inside JSON), and sends nothing', async () => {
    const run = await act({
      ...base(),
      cpu: '0',
      flow_ratio: '101',
      min_num: '6',
      max_num: '5',
      env_params: '{"NODE_ENV":"preview","WORKERS":4}',
      image_secret_info: JSON.stringify({ username: 'u', password: REGISTRY_PASSWORD }),
    });
    expect(run.exitCode).toBe(1);
    expect(suite.fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'cpu: "0" is not a number greater than 0, e.g. 0.25 or 2',
      'flow_ratio: "101" is not a whole number from 0 to 100',
      'env_params.WORKERS: expected a string',
      'image_secret_info: unknown key "username" (did you mean "user_name"?); allowed keys: registry_server, user_name, password, email',
      'min_num: must not be more than max_num (min_num 6, max_num 5)',
      '5 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
    expect(run.outputs).toEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: '',
      service_name: '',
      version_name: '',
      status: '',
      run_id: '',
      pruned: '',
    });
  });
});

describe('dry run', () => {
  it('sends nothing at all, and shows the version create request with the token and the registry password as ***', async () => {
    const run = await act({
      ...base(),
      dry_run: 'true',
      env_params: '{"NODE_ENV":"preview"}',
      image_secret_info: JSON.stringify({ registry_server: 'ccr.ccs.tencentyun.com', user_name: 'u', password: REGISTRY_PASSWORD }),
    });
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests).toEqual([]);
    expect(infos(run)).toEqual([
      `Deploying ${IMAGE} to CloudBase Run service "${SERVICE}" in environment "${ENV}"`,
      'Dry run: the inputs are valid; nothing is sent to WeChat.',
      `Would POST ${suite.fake.url}${CREATE_VERSION_PATH}?access_token=*** with:`,
      '{',
      `  "env_id": "${ENV}",`,
      `  "server_name": "${SERVICE}",`,
      '  "upload_type": "image",',
      '  "flow_ratio": 100,',
      '  "cpu": 0.25,',
      '  "mem": 0.5,',
      '  "min_num": 0,',
      '  "max_num": 5,',
      '  "policy_type": "cpu",',
      '  "policy_threshold": 60,',
      '  "container_port": 80,',
      '  "image_info": {',
      `    "image_url": "${IMAGE}"`,
      '  },',
      '  "env_params": "{\\"NODE_ENV\\":\\"preview\\"}",',
      '  "image_secret_info": {',
      '    "registry_server": "ccr.ccs.tencentyun.com",',
      '    "user_name": "u",',
      '    "password": "***"',
      '  }',
      '}',
    ]);
    expect(run.outputs).toEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: ENV,
      service_name: SERVICE,
      version_name: '',
      status: '',
      run_id: '',
      pruned: '',
    });
    expect(run.summary).toContain(row('Result', 'dry run: validated, nothing sent'));
  });
});

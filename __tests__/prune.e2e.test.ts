/**
 * End to end: the prune action's committed bundle (dist/prune/index.js), run as the runner
 * runs it (Node 24 child process, INPUT_* variables with prune/action.yml's defaults,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), against the fake WeChat API. Each test
 * states, from SPEC.md (§1.2–1.3, §2 "prune", §3), exactly which requests WeChat received,
 * in order and with their exact bodies, the whole outputs file, and the failure line when
 * there is one. After every test, no secret may appear anywhere the run left text.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DELETE_SERVICE_PATH,
  DELETE_VERSION_PATH,
  LIST_SERVICES_PATH,
  LIST_VERSIONS_PATH,
  TOKEN_PATH,
  type ReceivedRequest,
} from '../tools/fake-wechat.ts';
import { runAction, type ActionRun } from '../tools/run-action.ts';
import { e2eSuite, errors, expectCleanRun, expectSent as expectSentTo, infos, RID, ridOf, type Sent, warnings } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const ENV = 'prod-2g59lad002c864a6';

const suite = e2eSuite('prune', TOKEN);
const act = suite.act;

const base = (more: Record<string, string> = {}) => ({
  access_token: TOKEN,
  env_id: ENV,
  prefix: 'pr-',
  api_base_url: suite.fake.url,
  ...more,
});

// ── the requests, as SPEC §1.2–1.3 write them ─────────────────────────────────────────

const listServices = (offset = 0): Sent => [LIST_SERVICES_PATH, { env: ENV, offset, limit: 20 }];
const listVersions = (service: string): Sent => [LIST_VERSIONS_PATH, { env: ENV, service_name: service, offset: 0, limit: 20 }];
const deleteService = (service: string): Sent => [DELETE_SERVICE_PATH, { env: ENV, service_name: service }];
const deleteVersion = (service: string, version: string, last = false): Sent => [
  DELETE_VERSION_PATH,
  { env_id: ENV, server_name: service, version_name: version, ...(last && { is_delete_server: true }) },
];

/** WeChat received exactly these requests (e2e.ts). */
function expectSent(expected: Sent[], { token = TOKEN, requests = suite.fake.requests } = {}): void {
  expectSentTo(requests, expected, token);
}

/** The whole outputs file (SPEC §2 prune: no service_name); errcode, errmsg and rid from `answer`, empty without one. */
function outputs(own: { deleted?: string; kept?: string; failed?: string }, answer?: ReceivedRequest, envId = ENV) {
  const rid = ridOf(answer);
  if (answer !== undefined) expect(rid).toMatch(RID);
  return {
    errcode: answer === undefined ? '' : String(answer.answer?.['errcode']),
    errmsg: answer === undefined ? '' : String(answer.answer?.['errmsg']),
    rid,
    env_id: envId,
    deleted: '',
    kept: '',
    failed: '',
    ...own,
  };
}

const posts = (run: ActionRun) => infos(run).filter((line) => line.startsWith('POST '));
const post = (path: string, attempt = 1) => `POST ${suite.fake.url}${path} (attempt ${attempt} of 3)`;
/** The summary table's rows, [field, value] as the HTML holds them. */
const rows = (run: ActionRun) =>
  [...run.summary.matchAll(/<tr><td>(.*?)<\/td><td>(.*?)(?:<\/td>)?<\/tr>/g)].map(([, field, value]) => [field, value]);
const html = (text: string) => text.replace(/[&<>"'\r\n]/g, (c) => `&#${c.charCodeAt(0)};`);
const AGAIN = 'The warnings above give each cause; run the prune again once it is fixed';
const first = (keep = 'none', max = 10) =>
  `Pruning the CloudBase Run services of environment "${ENV}" whose names start with "pr-" (keep: ${keep}; max_deletes: ${max})`;

// ── the cases ─────────────────────────────────────────────────────────────────────────

describe('nothing to prune', () => {
  it('no service starts with the prefix: only getcslist sent; success; outputs from its answer', async () => {
    for (const name of ['main', 'pr', 'api-pr-1']) suite.fake.addService(ENV, name);
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expectSent([listServices()]);
    expect(run.outputs).toEqual(outputs({}, suite.fake.requests[0]));
    expect(infos(run).at(-1)).toBe(`Nothing to prune in environment "${ENV}".`);
    expect(rows(run)).toContainEqual(['Result', 'nothing to prune']);
    expect(suite.fake.services(ENV)).toEqual(['main', 'pr', 'api-pr-1']);
  });
});

describe('deletes the candidates', () => {
  it('with and without versions, keep honoured (newline separated); every request exact; outputs, log and summary', async () => {
    suite.fake.addService(ENV, 'main');
    suite.fake.addService(ENV, 'pr-1');
    suite.fake.addService(ENV, 'pr-2', [
      { version_name: 'pr-2-001', flow_ratio: 100 },
      { version_name: 'pr-2-002', flow_ratio: 0 },
    ]);
    suite.fake.addService(ENV, 'pr-3');
    suite.fake.addService(ENV, 'pr-4');
    const run = await act(base({ keep: 'pr-3\npr-4\npr-9' }));
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(warnings(run)).toEqual([]);
    expectSent([
      listServices(),
      listVersions('pr-1'),
      deleteService('pr-1'),
      listServices(),
      listVersions('pr-2'),
      deleteVersion('pr-2', 'pr-2-002'),
      deleteVersion('pr-2', 'pr-2-001', true),
      listServices(),
    ]);
    const last = suite.fake.requestsTo(DELETE_VERSION_PATH)[1];
    expect(run.outputs).toEqual(outputs({ deleted: 'pr-1,pr-2', kept: 'pr-3,pr-4' }, last));
    expect(posts(run)).toEqual([post(DELETE_SERVICE_PATH), post(DELETE_VERSION_PATH), post(DELETE_VERSION_PATH)]);
    expect(infos(run).filter((line) => line.startsWith('Deleted service '))).toEqual([
      `Deleted service "pr-1" (rid: ${ridOf(suite.fake.requestsTo(DELETE_SERVICE_PATH)[0])}).`,
      `Deleted service "pr-2" (rid: ${ridOf(last)}).`,
    ]);
    expect(infos(run)[0]).toBe(first('pr-3, pr-4, pr-9'));
    expect(infos(run).at(-1)).toBe('Done: deleted 2 of 2: pr-1, pr-2; kept: pr-3, pr-4; failed: none.');
    expect(rows(run)).toEqual([
      ['Environment', `<code>${ENV}</code>`],
      ['Prefix', 'pr-'],
      ['Deleted', 'pr-1, pr-2'],
      ['Kept', 'pr-3, pr-4'],
      ['Failed', 'none'],
      ['Result', 'deleted 2 services'],
      ['errcode', '0'],
      ['rid', `<code>${ridOf(last)}</code>`],
    ]);
    expect(suite.fake.services(ENV)).toEqual(['main', 'pr-3', 'pr-4']);
  });

  it('on several pages of getcslist: every page read before anything is deleted', async () => {
    suite.fake.pageCap = 2;
    for (const name of ['main', 'api', 'pr-1', 'web']) suite.fake.addService(ENV, name);
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expectSent([listServices(0), listServices(2), listVersions('pr-1'), deleteService('pr-1'), listServices(0), listServices(2)]);
    expect(run.outputs).toEqual(outputs({ deleted: 'pr-1' }, suite.fake.requestsTo(DELETE_SERVICE_PATH)[0]));
    expect(suite.fake.services(ENV)).toEqual(['main', 'api', 'web']);
  });

  it('with the platform credentials: the token first, then every call with the token obtained', async () => {
    suite.fake.addService(ENV, 'pr-1');
    const run = await act(base({ ...suite.platformInputs() }));
    expect(run.exitCode).toBe(0);
    const [tokenRequest, ...rest] = suite.fake.requests;
    expect(tokenRequest?.path).toBe(TOKEN_PATH);
    const issued = String(tokenRequest?.answer?.['component_access_token']);
    expectSent([listServices(), listVersions('pr-1'), deleteService('pr-1'), listServices()], { token: issued, requests: rest });
    expect(run.outputs).toEqual(outputs({ deleted: 'pr-1' }, suite.fake.requestsTo(DELETE_SERVICE_PATH)[0]));
  });
});

describe('more candidates than max_deletes', () => {
  it('fails before deleting anything, one prune: line listing them', async () => {
    for (const name of ['pr-1', 'pr-2', 'pr-3', 'pr-4']) suite.fake.addService(ENV, name);
    const run = await act(base({ keep: 'pr-2', max_deletes: '2' }));
    expect(run.exitCode).toBe(1);
    expectSent([listServices()]);
    expect(errors(run)).toEqual([
      'prune: 3 services start with "pr-" and are not kept, more than max_deletes (2), so nothing was deleted ' +
        '(a wrong keep must not empty an environment): pr-1, pr-3, pr-4; check keep, or raise max_deletes',
    ]);
    expect(run.outputs).toEqual(outputs({ kept: 'pr-2' }, suite.fake.requests[0]));
    expect(suite.fake.services(ENV)).toEqual(['pr-1', 'pr-2', 'pr-3', 'pr-4']);
  });
});

describe('a failure does not stop the others', () => {
  it('a service delete refused: the others deleted; the step fails naming it with its call, errcode and rid', async () => {
    for (const name of ['pr-1', 'pr-2', 'pr-3']) suite.fake.addService(ENV, name);
    // The first delcontainerservice answers (a delay of 0 is a normal answer); the second is refused.
    suite.fake.failNext(
      { kind: 'delay', ms: 0, path: DELETE_SERVICE_PATH },
      { kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: DELETE_SERVICE_PATH },
    );
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expectSent([
      listServices(),
      ...[listVersions('pr-1'), deleteService('pr-1'), listServices()],
      ...[listVersions('pr-2'), deleteService('pr-2'), listServices()],
      ...[listVersions('pr-3'), deleteService('pr-3'), listServices()],
    ]);
    const refused = suite.fake.requestsTo(DELETE_SERVICE_PATH)[1];
    const rid = ridOf(refused);
    expect(errors(run)).toEqual([
      `prune: could not delete 1 of 3 services: pr-2 (delcontainerservice: errcode 45009, rid: ${rid}); deleted: pr-1, pr-3. ${AGAIN}`,
    ]);
    expect(warnings(run)).toEqual([
      'Could not delete service "pr-2": delcontainerservice failed: errcode 45009 (reach max api daily quota limit): ' +
        `the daily API quota is used up: wait for it to reset, or clear it with the clear_quota API rid: ${rid}`,
    ]);
    expect(run.outputs).toEqual(outputs({ deleted: 'pr-1,pr-3', failed: 'pr-2' }, refused));
    expect(rows(run).slice(2, 5)).toEqual([
      ['Deleted', 'pr-1, pr-3'],
      ['Kept', 'none'],
      ['Failed', 'pr-2'],
    ]);
    expect(suite.fake.services(ENV)).toEqual(['pr-2']);
  });

  it('a service that keeps getting versions: failed after 3 rounds, named; no errcode to give', async () => {
    suite.fake.addService(ENV, 'pr-1', [{ version_name: 'pr-1-001' }]);
    let next = 2;
    const keepDeploying = () => {
      suite.fake.addVersion(ENV, 'pr-1', { version_name: `pr-1-00${next++}`, status: 'building' });
      if (next <= 5) suite.fake.after(LIST_VERSIONS_PATH, keepDeploying);
    };
    suite.fake.after(LIST_VERSIONS_PATH, keepDeploying);
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    const why =
      'service "pr-1" is still there after 3 rounds of deletes (versions left: pr-1-004): ' +
      'something keeps deploying to it (a deploy or another workflow run): stop it, then run the prune again';
    expect(errors(run)).toEqual([`prune: could not delete 1 of 1 service: pr-1 (${why}); deleted: none. ${AGAIN}`]);
    expect(run.outputs).toEqual(outputs({ failed: 'pr-1' }));
    expect(suite.fake.services(ENV)).toEqual(['pr-1']);
  });
});

describe('faults (SPEC §3: retries never delete twice)', () => {
  it('a lost answer to a delete: not repeated; a lookup shows it gone; deleted, no answer to give', async () => {
    suite.fake.addService(ENV, 'pr-1');
    suite.fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_SERVICE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    // The read back after the lost answer, then the lookup that checks it is gone.
    expectSent([listServices(), listVersions('pr-1'), deleteService('pr-1'), listServices(), listServices()]);
    expect(posts(run)).toEqual([post(DELETE_SERVICE_PATH)]);
    expect(run.outputs).toEqual(outputs({ deleted: 'pr-1' }));
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('-1 (busy) on a version delete: sent again as attempt 2; then the next service', async () => {
    suite.fake.addService(ENV, 'pr-1', [{ version_name: 'pr-1-001', flow_ratio: 100 }]);
    suite.fake.addService(ENV, 'pr-2');
    suite.fake.failNext({ kind: 'busy', path: DELETE_VERSION_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expectSent([
      listServices(),
      listVersions('pr-1'),
      deleteVersion('pr-1', 'pr-1-001', true),
      deleteVersion('pr-1', 'pr-1-001', true),
      listServices(),
      listVersions('pr-2'),
      deleteService('pr-2'),
      listServices(),
    ]);
    expect(suite.fake.requestsTo(DELETE_VERSION_PATH)[0]?.answer?.['errcode']).toBe(-1);
    expect(posts(run)).toEqual([post(DELETE_VERSION_PATH, 1), post(DELETE_VERSION_PATH, 2), post(DELETE_SERVICE_PATH)]);
    expect(run.outputs).toEqual(outputs({ deleted: 'pr-1,pr-2' }, suite.fake.requestsTo(DELETE_SERVICE_PATH)[0]));
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('-1 (busy) on the list: read again; then the prune goes on', async () => {
    suite.fake.addService(ENV, 'pr-1');
    suite.fake.failNext({ kind: 'busy', path: LIST_SERVICES_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expectSent([listServices(), listServices(), listVersions('pr-1'), deleteService('pr-1'), listServices()]);
    expect(run.outputs['deleted']).toBe('pr-1');
  });
});

describe('dry run: it reads', () => {
  it('lists the services, shows the candidates, kept and the requests; only getcslist sent; nothing deleted', async () => {
    for (const name of ['pr-1', 'pr-2', 'main']) suite.fake.addService(ENV, name);
    const run = await act(base({ keep: 'pr-2', dry_run: 'true' }));
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expectSent([listServices()]);
    expect(infos(run)).toContain('Dry run: would delete pr-1; nothing is deleted.');
    expect(infos(run).filter((line) => line.startsWith('Would POST '))).toEqual(
      [LIST_VERSIONS_PATH, DELETE_VERSION_PATH, DELETE_SERVICE_PATH].map(
        (path) => `Would POST ${suite.fake.url}${path}?access_token=*** with:`,
      ),
    );
    expect(run.outputs).toEqual(outputs({ kept: 'pr-2' }, suite.fake.requests[0]));
    expect(rows(run)).toContainEqual(['Deleted', html('none (dry run; would delete: pr-1)')]);
    expect(rows(run)).toContainEqual(['Result', 'dry run: would delete 1 service; nothing deleted']);
    expect(suite.fake.services(ENV)).toEqual(['pr-1', 'pr-2', 'main']);
  });

  it('more than max_deletes: fails as the real run would', async () => {
    for (const name of ['pr-1', 'pr-2']) suite.fake.addService(ENV, name);
    const run = await act(base({ max_deletes: '1', dry_run: 'true' }));
    expect(run.exitCode).toBe(1);
    expectSent([listServices()]);
    expect(errors(run)).toEqual([
      'prune: 2 services start with "pr-" and are not kept, more than max_deletes (1), so nothing was deleted ' +
        '(a wrong keep must not empty an environment): pr-1, pr-2; check keep, or raise max_deletes',
    ]);
    expect(suite.fake.services(ENV)).toEqual(['pr-1', 'pr-2']);
  });

  it('with the platform credentials: exchanges nothing, sends nothing; a warning says to give access_token', async () => {
    suite.fake.addService(ENV, 'pr-1');
    const run = await act(base({ ...suite.platformInputs(), dry_run: 'true' }));
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests).toEqual([]);
    expect(infos(run).filter((line) => line.startsWith('Would POST '))).toEqual([
      `Would POST ${suite.fake.url}${TOKEN_PATH} with:`,
      `Would POST ${suite.fake.url}${LIST_SERVICES_PATH}?access_token=*** with:`,
    ]);
    expect(warnings(run)).toHaveLength(1);
    expect(warnings(run)[0]).toMatch(/: give access_token to see it$/);
    expect(run.outputs).toEqual(outputs({}));
  });
});

describe('inputs and secrets (SPEC §3)', () => {
  it('invalid prefix and keep: every problem at once, each naming its input; nothing sent', async () => {
    suite.fake.addService(ENV, 'pr-1');
    const run = await act(base({ prefix: 'P', keep: 'pr-1 Bad_name' }));
    expect(run.exitCode).toBe(1);
    expect(suite.fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'prefix: "P" is not the start of a service name: give at least 2 characters, a lowercase letter first, ' +
        'then lowercase letters, digits and -, e.g. "pr-"',
      expect.stringMatching(/^keep\.1: "Bad_name" is not a valid service name: /),
      '2 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
    expect(run.outputs).toEqual(outputs({}, undefined, ''));
    expect(suite.fake.services(ENV)).toEqual(['pr-1']);
  });

  it('a token echoed in a refusal: blanked in the warning, the failure line, the outputs and the summary', async () => {
    suite.fake.addService(ENV, 'pr-1');
    suite.fake.failNext({ kind: 'errcode', errcode: 40097, errmsg: `invalid args access_token=${TOKEN}`, path: DELETE_SERVICE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    const refused = suite.fake.requestsTo(DELETE_SERVICE_PATH)[0];
    expect(errors(run)).toEqual([
      `prune: could not delete 1 of 1 service: pr-1 (delcontainerservice: errcode 40097, rid: ${ridOf(refused)}); deleted: none. ${AGAIN}`,
    ]);
    expect(run.outputs['errmsg']).toBe(`invalid args access_token=*** rid: ${ridOf(refused)}`);
    // The fixture checks every run for the token in every form, after the test.
  });
});

describe('cancelled (SPEC §3)', () => {
  it('SIGTERM while deleting the second of three: exits at once; outputs as known; one line naming it', async () => {
    for (const name of ['pr-1', 'pr-2', 'pr-3']) suite.fake.addService(ENV, name);
    // Its answers come slowly, so the signal arrives while pr-2's delete is in flight.
    suite.fake.failNext({ kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH }, { kind: 'delay', ms: 3000, path: LIST_VERSIONS_PATH });
    const inputs = base();
    const run = await runAction({ action: 'prune', inputs, signal: { name: 'SIGTERM', when: /Deleting service "pr-2" \(2 of 3\)\./ } });
    expectCleanRun(run, { inputs: [TOKEN] });
    expect(run.exitCode).toBe(143);
    expect(run.exitAfterSignalMs).toBeLessThan(1000);
    expect(errors(run)).toEqual([
      'prune: cancelled (SIGTERM) while deleting service "pr-2" (2 of 3): some of its versions may be deleted and the service may remain; ' +
        'the services after it were not touched: run the prune again',
    ]);
    expect(run.outputs).toEqual(outputs({ deleted: 'pr-1' }, suite.fake.requestsTo(DELETE_SERVICE_PATH)[0]));
    expect(rows(run)).toContainEqual(['Result', 'cancelled (SIGTERM)']);
    expect(suite.fake.services(ENV)).toEqual(['pr-2', 'pr-3']);
  });
});

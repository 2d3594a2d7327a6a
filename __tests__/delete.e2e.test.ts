/**
 * End to end: the delete action's committed bundle (dist/delete/index.js), run as the
 * runner runs it (Node 24 child process, INPUT_* variables, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files), against the fake WeChat API. Each test states, from SPEC.md
 * (§1.2–1.3, §2 "delete", §3), exactly which requests WeChat received, in order and with
 * their exact bodies, the whole outputs file, and the failure line when there is one.
 * After every test, no secret may appear anywhere the run left text.
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
import type { ActionRun } from '../tools/run-action.ts';
import { e2eSuite, errors, expectSent as expectSentTo, infos, masks, RID, ridOf, type Sent, warnings } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const ENV = 'prod-2g59lad002c864a6';
const SERVICE = 'pr-42';

const suite = e2eSuite('delete', TOKEN);

const base = () => ({ access_token: TOKEN, env_id: ENV, service_name: SERVICE, api_base_url: suite.fake.url });
const platform = () => ({
  ...base(),
  ...suite.platformInputs(),
});

const act = suite.act;

// ── the requests, as SPEC §1.2–1.3 write them ─────────────────────────────────────────

const listServices = (offset = 0): Sent => [LIST_SERVICES_PATH, { env: ENV, offset, limit: 20 }];
const listVersions = (offset = 0): Sent => [LIST_VERSIONS_PATH, { env: ENV, service_name: SERVICE, offset, limit: 20 }];
const deleteService = (): Sent => [DELETE_SERVICE_PATH, { env: ENV, service_name: SERVICE }];
const deleteVersion = (version: string, last = false): Sent => [
  DELETE_VERSION_PATH,
  { env_id: ENV, server_name: SERVICE, version_name: version, ...(last && { is_delete_server: true }) },
];

/** WeChat received exactly these requests (e2e.ts). */
function expectSent(expected: Sent[], { token = TOKEN, requests = suite.fake.requests } = {}): void {
  expectSentTo(requests, expected, token);
}

/** SPEC §2: the common outputs and delete's own; errcode, errmsg and rid from the answer that did the work (or failed). */
function outputs(own: { deleted: boolean; existed: boolean }, answer?: ReceivedRequest, envId = ENV, serviceName = SERVICE) {
  const rid = ridOf(answer);
  if (answer !== undefined) expect(rid).toMatch(RID);
  return {
    errcode: answer === undefined ? '' : String(answer.answer?.['errcode']),
    errmsg: answer === undefined ? '' : String(answer.answer?.['errmsg']),
    rid,
    env_id: envId,
    service_name: serviceName,
    deleted: String(own.deleted),
    existed: String(own.existed),
  };
}

/** The write lines of the log (SPEC §3: writes are shown; reads only when debugging). */
const posts = (run: ActionRun) => infos(run).filter((line) => line.startsWith('POST '));
const summaryRow = (run: ActionRun, field: string) =>
  new RegExp(`<tr><td>${field}</td><td>([^<]*(?:<code>[^<]*</code>)?[^<]*)</td></tr>`).exec(run.summary)?.[1];

// ── the cases ─────────────────────────────────────────────────────────────────────────

describe('a service that is not there', () => {
  it('if_missing skip (the default): success, nothing deleted, only the lookup sent; the summary says so', async () => {
    suite.fake.addService(ENV, 'pr-41');
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expectSent([listServices()]);
    // Nothing was deleted: the answer that decided is the lookup's, as create gives with if_exists: skip (SPEC §2:
    // the common outputs have the same meaning in all three actions); delete/action.yml: errcode is empty only
    // when no answer was read, and one was.
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: false }, suite.fake.requests[0]));
    expect(posts(run)).toEqual([]);
    expect(summaryRow(run, 'Existed before')).toBe('false');
    expect(summaryRow(run, 'Result')).toMatch(/nothing deleted/);
    expect(suite.fake.services(ENV)).toEqual(['pr-41']);
  });

  it('if_missing fail: exit 1, one line naming the service and the environment, no delete sent', async () => {
    const run = await act({ ...base(), if_missing: 'fail' });
    expect(run.exitCode).toBe(1);
    expectSent([listServices()]);
    const line =
      `delete: service "${SERVICE}" does not exist in environment "${ENV}" and if_missing is fail: ` +
      'check service_name and env_id, or set if_missing: skip';
    expect(errors(run)).toEqual([line]);
    // SPEC §2: the step fails on what a read showed (the service is absent): errcode, errmsg and rid of that lookup.
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: false }, suite.fake.requests[0]));
    expect(summaryRow(run, 'Result')).toBe(line.replaceAll('"', '&#34;'));
  });
});

describe('a service that is there', () => {
  it('without versions: getcslist, getcsversionlist, delcontainerservice {env, service_name}, then a lookup shows it gone', async () => {
    suite.fake.addService(ENV, 'pr-41');
    suite.fake.addService(ENV, SERVICE);
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expectSent([listServices(), listVersions(), deleteService(), listServices()]);
    const del = suite.fake.requestsTo(DELETE_SERVICE_PATH)[0];
    expect(del?.answer?.['errcode']).toBe(0);
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }, del));
    expect(posts(run)).toEqual([`POST ${suite.fake.url}${DELETE_SERVICE_PATH} (attempt 1 of 3)`]);
    expect(suite.fake.services(ENV)).toEqual(['pr-41']);
    expect(summaryRow(run, 'Existed before')).toBe('true');
    expect(summaryRow(run, 'rid')).toBe(`<code>${ridOf(del)}</code>`);
  });

  it('with versions: deletes each in ascending flow_ratio, only the last with is_delete_server, never is_delete_image', async () => {
    suite.fake.addService(ENV, SERVICE, [
      { version_name: 'pr-42-003', flow_ratio: 70 },
      { version_name: 'pr-42-001', flow_ratio: 0 },
      { version_name: 'pr-42-002', flow_ratio: 30 },
    ]);
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    // Then a lookup: the delete succeeds only when it shows the service gone (SPEC §2 delete).
    expectSent([
      listServices(),
      listVersions(),
      deleteVersion('pr-42-001'),
      deleteVersion('pr-42-002'),
      deleteVersion('pr-42-003', true),
      listServices(),
    ]);
    const deletes = suite.fake.requestsTo(DELETE_VERSION_PATH);
    for (const request of deletes) expect(request.answer).toMatchObject({ errcode: 0, result: 'succ' });
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }, deletes[2]));
    expect(posts(run)).toEqual(Array(3).fill(`POST ${suite.fake.url}${DELETE_VERSION_PATH} (attempt 1 of 3)`));
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('on a later page of getcslist: pages by the items each page returned, finds it, deletes it', async () => {
    suite.fake.pageCap = 10;
    for (let i = 1; i <= 22; i++) suite.fake.addService(ENV, `svc-${i}`);
    suite.fake.addService(ENV, SERVICE);
    for (let i = 23; i <= 25; i++) suite.fake.addService(ENV, `svc-${i}`);
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    // Found on the third page (items 21–30): no fourth page is read. The lookup after the delete reads every
    // page: the 25 services left are 10 + 10 + 5, and none is it.
    expectSent([
      listServices(0),
      listServices(10),
      listServices(20),
      listVersions(),
      deleteService(),
      listServices(0),
      listServices(10),
      listServices(20),
    ]);
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }, suite.fake.requestsTo(DELETE_SERVICE_PATH)[0]));
    expect(suite.fake.services(ENV)).toHaveLength(25);
    expect(suite.fake.services(ENV)).not.toContain(SERVICE);
  });
});

describe('retries never delete twice (SPEC §3)', () => {
  it('-1 (busy) on the delete, then success: the delete is sent again', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.failNext({ kind: 'busy', path: DELETE_SERVICE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expectSent([listServices(), listVersions(), deleteService(), deleteService(), listServices()]);
    const [busy, done] = suite.fake.requestsTo(DELETE_SERVICE_PATH);
    expect(busy?.answer?.['errcode']).toBe(-1);
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }, done));
    expect(posts(run)).toEqual([
      `POST ${suite.fake.url}${DELETE_SERVICE_PATH} (attempt 1 of 3)`,
      `POST ${suite.fake.url}${DELETE_SERVICE_PATH} (attempt 2 of 3)`,
    ]);
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('a lost answer: the delete is not repeated; a lookup shows it gone; success', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_SERVICE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    // The read back after the lost answer, then the lookup that checks it is gone.
    expectSent([listServices(), listVersions(), deleteService(), listServices(), listServices()]);
    // The delete's answer was never read: no errcode, errmsg or rid to give.
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }));
    expect(posts(run)).toEqual([`POST ${suite.fake.url}${DELETE_SERVICE_PATH} (attempt 1 of 3)`]);
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('a lost answer to a version delete that is not the last: a read shows the version gone; the next one goes on', async () => {
    suite.fake.addService(ENV, SERVICE, [
      { version_name: 'pr-42-001', flow_ratio: 0 },
      { version_name: 'pr-42-002', flow_ratio: 100 },
    ]);
    suite.fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_VERSION_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    // The service list cannot tell whether one version of several went: the version list is read too.
    expectSent([
      listServices(),
      listVersions(),
      deleteVersion('pr-42-001'),
      listServices(),
      listVersions(),
      deleteVersion('pr-42-002', true),
      listServices(),
    ]);
    expect(posts(run)).toEqual(Array(2).fill(`POST ${suite.fake.url}${DELETE_VERSION_PATH} (attempt 1 of 3)`));
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }, suite.fake.requestsTo(DELETE_VERSION_PATH)[1]));
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('a lost answer to the last version delete: a lookup shows the service gone; not repeated; success', async () => {
    suite.fake.addService(ENV, SERVICE, [
      { version_name: 'pr-42-001', flow_ratio: 0 },
      { version_name: 'pr-42-002', flow_ratio: 100 },
    ]);
    // The first version delete answers (a delay of 0 is a normal answer); the second acts, then its answer is lost.
    suite.fake.failNext(
      { kind: 'delay', ms: 0, path: DELETE_VERSION_PATH },
      { kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_VERSION_PATH },
    );
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    // The read back after the lost answer, then the lookup that checks it is gone.
    expectSent([
      listServices(),
      listVersions(),
      deleteVersion('pr-42-001'),
      deleteVersion('pr-42-002', true),
      listServices(),
      listServices(),
    ]);
    // The last delete's answer was never read: no errcode, errmsg or rid to give.
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }));
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('a delete that never arrived: a lookup shows the service still there, the delete is sent again; success', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.failNext({ kind: 'reset', path: DELETE_SERVICE_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expectSent([listServices(), listVersions(), deleteService(), listServices(), deleteService(), listServices()]);
    expect(suite.fake.requestsTo(DELETE_SERVICE_PATH)[0]?.answer).toBeUndefined();
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }, suite.fake.requestsTo(DELETE_SERVICE_PATH)[1]));
    // The repeat counts toward max_attempts: it is the second of three.
    expect(posts(run)).toEqual([
      `POST ${suite.fake.url}${DELETE_SERVICE_PATH} (attempt 1 of 3)`,
      `POST ${suite.fake.url}${DELETE_SERVICE_PATH} (attempt 2 of 3)`,
    ]);
    expect(suite.fake.services(ENV)).toEqual([]);
  });

  it('a lost answer whose read fails too: the step fails saying the outcome is unknown and why', async () => {
    suite.fake.addService(ENV, SERVICE);
    // The first getcslist passes (a delay of 0 is a normal answer); the read after the lost answer is refused.
    suite.fake.failNext(
      { kind: 'delay', ms: 0, path: LIST_SERVICES_PATH },
      { kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_SERVICE_PATH },
      { kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH },
    );
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expectSent([listServices(), listVersions(), deleteService(), listServices()]);
    const refused = ridOf(suite.fake.requests[3]);
    expect(errors(run)).toEqual([
      `delcontainerservice failed: outcome unknown: the request was sent to ${suite.fake.url}${DELETE_SERVICE_PATH}, ` +
        'then the connection was reset before an answer arrived; the read that would tell what happened failed too ' +
        '(getcslist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: ' +
        `check its permission sets in the WeChat Open Platform console rid: ${refused}): check the CloudBase console before running again`,
    ]);
    // Whether the delete happened is unknown: not deleted as far as this run knows, and no answer of the delete to give.
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: true }));
  });
});

describe('reads WeChat refuses fail the step (SPEC §2: delete cannot work without its reads)', () => {
  it('a lookup refused with 48001: fails with that errcode, nothing deleted', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.failNext({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expectSent([listServices()]);
    const rid = ridOf(suite.fake.requests[0]);
    expect(errors(run)).toEqual([
      'getcslist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: ' +
        `check its permission sets in the WeChat Open Platform console rid: ${rid}`,
    ]);
    expect(warnings(run)).toEqual([]);
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: false }, suite.fake.requests[0]));
    expect(suite.fake.services(ENV)).toEqual([SERVICE]);
  });

  it('a lookup refused with 40014 (a token WeChat does not know): fails with that errcode, nothing deleted', async () => {
    suite.fake.addService(ENV, SERVICE);
    const run = await act({ ...base(), access_token: 'not-a-token-the-fake-knows' });
    expect(run.exitCode).toBe(1);
    expectSent([listServices()], { token: 'not-a-token-the-fake-knows' });
    const rid = ridOf(suite.fake.requests[0]);
    expect(errors(run)).toEqual([
      'getcslist failed: errcode 40014 (invalid access_token): the token is not valid: pass a current component_access_token ' +
        `of this third-party platform (not an authorizer or Official Account token) rid: ${rid}`,
    ]);
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: false }, suite.fake.requests[0]));
    expect(suite.fake.services(ENV)).toEqual([SERVICE]);
  });

  it('a version list refused with 48001: fails with that errcode, nothing deleted', async () => {
    suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
    suite.fake.failNext({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_VERSIONS_PATH });
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expectSent([listServices(), listVersions()]);
    const rid = ridOf(suite.fake.requests[1]);
    expect(errors(run)).toEqual([
      'getcsversionlist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: ' +
        `check its permission sets in the WeChat Open Platform console rid: ${rid}`,
    ]);
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: true }, suite.fake.requests[1]));
    expect(suite.fake.versions(ENV, SERVICE).map((v) => v.version_name)).toEqual(['pr-42-001']);
  });
});

describe('dry run', () => {
  /** The requests a dry run shows: each `Would POST <url> with:` and the JSON lines after it. */
  function shown(run: ActionRun): [string, unknown][] {
    const lines = infos(run);
    const requests: [string, unknown][] = [];
    for (const [index, line] of lines.entries()) {
      const url = /^Would POST (\S+) with:$/.exec(line)?.[1];
      if (url === undefined) continue;
      const end = lines.indexOf('}', index + 1);
      requests.push([url, JSON.parse(lines.slice(index + 1, end + 1).join('\n'))]);
    }
    return requests;
  }

  it('sends nothing at all, shows the requests with ?access_token=***, exit 0', async () => {
    suite.fake.addService(ENV, SERVICE);
    const run = await act({ ...base(), dry_run: 'true' });
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(suite.fake.requests).toEqual([]);
    expect(shown(run)).toStrictEqual([
      [`${suite.fake.url}${LIST_SERVICES_PATH}?access_token=***`, listServices()[1]],
      [`${suite.fake.url}${LIST_VERSIONS_PATH}?access_token=***`, listVersions()[1]],
      [`${suite.fake.url}${DELETE_SERVICE_PATH}?access_token=***`, deleteService()[1]],
      [`${suite.fake.url}${DELETE_VERSION_PATH}?access_token=***`, { ...deleteVersion('x', true)[1], version_name: expect.any(String) }],
    ]);
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: false }));
    expect(summaryRow(run, 'Result')).toMatch(/dry run/);
    expect(suite.fake.services(ENV)).toEqual([SERVICE]);
  });

  it('with the platform credentials: shows the token request with its secrets as ***, sends nothing', async () => {
    const run = await act({ ...platform(), dry_run: 'true' });
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests).toEqual([]);
    expect(shown(run)[0]).toStrictEqual([
      `${suite.fake.url}${TOKEN_PATH}`,
      { component_appid: suite.fake.platform.appid, component_appsecret: '***', component_verify_ticket: '***' },
    ]);
    expect(
      shown(run)
        .slice(1)
        .map(([url]) => url),
    ).toEqual(
      [LIST_SERVICES_PATH, LIST_VERSIONS_PATH, DELETE_SERVICE_PATH, DELETE_VERSION_PATH].map(
        (path) => `${suite.fake.url}${path}?access_token=***`,
      ),
    );
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: false }));
  });
});

describe('the token', () => {
  it('obtained from component_appid, component_appsecret and component_verify_ticket: masked, then used in the query only', async () => {
    suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
    const run = await act(platform());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    const [tokenRequest, ...rest] = suite.fake.requests;
    expect(tokenRequest?.path).toBe(TOKEN_PATH);
    expect(tokenRequest?.query).toStrictEqual({});
    expect(tokenRequest?.json).toStrictEqual({
      component_appid: suite.fake.platform.appid,
      component_appsecret: suite.fake.platform.appsecret,
      component_verify_ticket: suite.fake.platform.verifyTicket,
    });
    const issued = String(tokenRequest?.answer?.['component_access_token']);
    expect(issued).toMatch(/^issued-component-access-token-/);
    expectSent([listServices(), listVersions(), deleteVersion('pr-42-001', true), listServices()], { token: issued, requests: rest });
    // Masked before the first request that carries it is even logged.
    expect(masks(run)).toContain(issued);
    expect(run.stdout.indexOf(`::add-mask::${issued}`)).toBeGreaterThan(0);
    expect(run.stdout.indexOf(`::add-mask::${issued}`)).toBeLessThan(run.stdout.indexOf(`POST ${suite.fake.url}/componenttcb/`));
    expect(run.outputs).toEqual(outputs({ deleted: true, existed: true }, suite.fake.requestsTo(DELETE_VERSION_PATH)[0]));
    expect(suite.fake.services(ENV)).toEqual([]);
  });
});

describe('invalid inputs (SPEC §3)', () => {
  it('reports every problem at once, each naming its input, and sends nothing', async () => {
    suite.fake.addService(ENV, SERVICE);
    const run = await act({ ...base(), service_name: 'PR_42', if_missing: 'maybe' });
    expect(run.exitCode).toBe(1);
    expect(suite.fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'service_name: "PR_42" is not a valid service name: use lowercase letters, digits and -, starting with a letter, at most 20 characters, e.g. "pr-42"',
      'if_missing: "maybe" is not skip (succeed when the service is already gone) or fail',
      '2 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
    // As the create action does: no input is taken from a step whose inputs are invalid.
    expect(run.outputs).toEqual(outputs({ deleted: false, existed: false }, undefined, '', ''));
    expect(suite.fake.services(ENV)).toEqual([SERVICE]);
  });
});

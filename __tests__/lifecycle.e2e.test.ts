/**
 * Issue 17's six classes, end to end: the committed bundles (dist/), run as the runner runs
 * them (Node 24 child process, INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
 * files), against the fake WeChat API misbehaving on a real clock. A wait's deadline holds
 * with servers that hang, answer busy or drop the connection; a version no longer listed
 * keeps its last status; with wait: false the one read is best effort; a delete checks
 * that the service is gone, in up to 3 rounds; a cancelled step writes what it knows and
 * says what may be in flight; a secret echoed escaped twice is nowhere in what the run
 * wrote; `existed` is true when another run created the service meanwhile. Every
 * expectation is SPEC v3's (§2, §3); after every test, no secret may appear anywhere the
 * run left text (e2e.ts).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CREATE_PATH,
  CREATE_VERSION_PATH,
  DELETE_VERSION_PATH,
  LIST_SERVICES_PATH,
  LIST_VERSIONS_PATH,
  type Fault,
  type ReceivedRequest,
} from '../tools/fake-wechat.ts';
import { leakForms, leaks, type ActionRun } from '../tools/run-action.ts';
import { calls, e2eSuite, errors, infos, warnings } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const ENV = 'prod-2g59lad002c864a6';
const SERVICE = 'pr-42';
const IMAGE = 'ccr.ccs.tencentyun.com/my-ns/my-app:1.2.3';
/**
 * A registry password with everything an escape changes: a quote, a backslash, a line break
 * and a character beyond ASCII. Each of its lines is a secret of its own (SPEC §3).
 */
const PASSWORD_LINES = [`q"uote\\back-${randomUUID().slice(0, 8)}`, `zweite-Zeile-€-${randomUUID().slice(0, 8)}`];
const PASSWORD = PASSWORD_LINES.join('\n');

const RID = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const ridIn = (request: ReceivedRequest | undefined) => /rid: (\S+)$/.exec(String(request?.answer?.['errmsg']))?.[1] ?? '';
/** The errcode, errmsg and rid outputs of the answer the fake gave to a request; empty when none was read. */
const answerOf = (request: ReceivedRequest | undefined) => {
  if (request === undefined) return { errcode: '', errmsg: '', rid: '' };
  const rid = ridIn(request);
  expect(rid).toMatch(RID);
  return { errcode: String(request.answer?.['errcode']), errmsg: String(request.answer?.['errmsg']), rid };
};
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const row = (name: string, value: string) => `<tr><td>${name}</td><td>${value}</td></tr>`;
/** The summary's rows, as [name, value]. */
const rows = (run: ActionRun) => [...run.summary.matchAll(/<tr><td>([^<]*)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => [m[1], m[2]]);

const VERSIONS = { env: ENV, service_name: SERVICE, offset: 0, limit: 20 };
const LOOKUP = { env: ENV, offset: 0, limit: 20 };
const deleteVersion = (version: string, last = false) => ({
  env_id: ENV,
  server_name: SERVICE,
  version_name: version,
  ...(last && { is_delete_server: true }),
});

describe('deploy', () => {
  const suite = e2eSuite('deploy', TOKEN, [PASSWORD, ...PASSWORD_LINES]);
  const { act } = suite;
  const base = () => ({ access_token: TOKEN, env_id: ENV, service_name: SERVICE, image_url: IMAGE, api_base_url: suite.fake.url });
  const createAnswer = () => suite.fake.requestsTo(CREATE_VERSION_PATH)[0];
  /** Deploy's outputs after a version create WeChat answered. */
  /** SPEC §2: a failure decided on what a poll showed carries the answer of the last list read. */
  const polled = (
    version_name: string,
    status: string,
    read = answerOf(
      suite.fake
        .requestsTo(LIST_VERSIONS_PATH)
        .filter((r) => r.answer?.['errcode'] === 0)
        .at(-1),
    ),
  ) => ({
    ...outputs(version_name, status),
    ...read,
  });
  const outputs = (version_name: string, status: string) => ({
    ...answerOf(createAnswer()),
    env_id: ENV,
    service_name: SERVICE,
    version_name,
    status,
    run_id: String(createAnswer()?.answer?.['run_id']),
    pruned: '',
  });
  const notRunning = (status: string) =>
    `deploy: version "pr-42-001" is not running 5 s after it was created (last status: ${status}); ` +
    'it may still come up: look at it in the CloudBase console, or raise wait_timeout_seconds';
  /** From the create's answer on, every poll behaves as `fault` says. */
  const pollsThen = (fault: Fault) => suite.fake.after(CREATE_VERSION_PATH, () => suite.fake.failAlways(fault));
  /** A run that overruns is killed well before the test's own timeout, so that it cannot act during the next test. */
  const GUARD = { killAfterMs: 20_000 };
  /** The version list read before the create; the polls after it. */
  const polls = () => suite.fake.requestsTo(LIST_VERSIONS_PATH).slice(1);

  describe('a deadline that holds (class 1): wait_timeout_seconds 5, timeout_seconds 30, max_attempts 3', () => {
    it('polls that hang: the one attempt in flight is cut a second after the deadline; the step ends at about 6 s', async () => {
      suite.fake.addService(ENV, SERVICE);
      pollsThen({ kind: 'delay', ms: 60_000, path: LIST_VERSIONS_PATH });
      const run = await act({ ...base(), wait_timeout_seconds: '5' }, undefined, GUARD);
      expect(run.exitCode).toBe(1);
      // Without the deadline, the poll would get its 30 s and two more attempts: about 95 s.
      expect(run.durationMs).toBeGreaterThan(5000);
      expect(run.durationMs).toBeLessThan(9000);
      expect(calls(suite.fake.requests)).toEqual(['getcslist', 'getcsversionlist', 'createcloudbaserunserverversion', 'getcsversionlist']);
      expect(errors(run)).toEqual([notRunning('not listed yet')]);
      expect(warnings(run)).toEqual([]);
      expect(run.outputs).toEqual(outputs('pr-42-001', ''));
      expect(run.summary).toContain(row('Result', notRunning('not listed yet').replaceAll('"', '&#34;')));
    });

    it('a server busy (-1) on every poll after the first: no retry or backoff past the deadline; ends at about 5 s', async () => {
      suite.fake.addService(ENV, SERVICE);
      suite.fake.versionLifecycle = [{ status: 'building' }];
      // The first poll, right after the create, lists it as building; then every poll is busy.
      suite.fake.after(CREATE_VERSION_PATH, () =>
        suite.fake.after(LIST_VERSIONS_PATH, () => suite.fake.failAlways({ kind: 'busy', path: LIST_VERSIONS_PATH })),
      );
      const run = await act({ ...base(), wait_timeout_seconds: '5' }, undefined, GUARD);
      expect(run.exitCode).toBe(1);
      expect(run.durationMs).toBeGreaterThan(5000);
      expect(run.durationMs).toBeLessThan(9000);
      // The read at the deadline is busy; a backoff after it would end past the deadline: no retry.
      expect(polls().map((r) => r.answer?.['errcode'])).toEqual([0, -1]);
      expect(errors(run)).toEqual([notRunning('building')]);
      expect(warnings(run)).toEqual([]);
      // No "retrying in …" line: no backoff was started.
      expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": building (after 0 s)']);
      // The busy read got no list: the outputs carry the last list read, the one that showed building.
      expect(run.outputs).toEqual(polled('pr-42-001', 'building'));
    });

    it('a connection reset on every poll: retried within the deadline, one warning, and the wait ends at about 5 s', async () => {
      suite.fake.addService(ENV, SERVICE);
      pollsThen({ kind: 'reset', path: LIST_VERSIONS_PATH });
      const run = await act({ ...base(), wait_timeout_seconds: '5' }, undefined, GUARD);
      expect(run.exitCode).toBe(1);
      expect(run.durationMs).toBeGreaterThan(5000);
      expect(run.durationMs).toBeLessThan(9000);
      // Three attempts for the first poll (backoffs of 0.5–1 s and 1–2 s), then one at the deadline, not retried.
      expect(polls()).toHaveLength(4);
      const url = `${suite.fake.url}${LIST_VERSIONS_PATH}`;
      expect(warnings(run)).toEqual([
        `Could not read the version's status (getcsversionlist failed: the request was sent to ${url}, then the connection was reset ` +
          "before an answer arrived on 3 attempts: check the runner's network and api_base_url, then run the job again); reading again.",
      ]);
      expect(errors(run)).toEqual([notRunning('not listed yet')]);
      // The two backoffs of the first poll, and none after the read at the deadline.
      const host = new URL(suite.fake.url).host;
      const reset = `No answer from ${host} (the connection was reset before an answer arrived); retrying in`;
      expect(infos(run).slice(3)).toEqual([
        expect.stringMatching(new RegExp(`^${escapeRegExp(reset)} (0\\.[5-9]|1\\.0) s \\(attempt 2 of 3\\)$`)),
        expect.stringMatching(new RegExp(`^${escapeRegExp(reset)} (1\\.[0-9]|2\\.0) s \\(attempt 3 of 3\\)$`)),
      ]);
      expect(run.outputs).toEqual(outputs('pr-42-001', ''));
    });
  });

  it('a last status kept (class 2): listed as building, then no longer listed twice in a row: the failure says so, status building', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.versionLifecycle = [{ status: 'building' }];
    // The list before the create and the first poll pass; the next two polls list nothing, as after a delete by another run.
    const pass: Fault = { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH };
    const empty: Fault = {
      kind: 'raw',
      status: 200,
      path: LIST_VERSIONS_PATH,
      body: '{"errcode":0,"errmsg":"ok rid: 1","total":0,"items":[]}',
    };
    suite.fake.failNext(pass, pass, empty, empty);
    const run = await act(base());
    expect(run.exitCode).toBe(1);
    expect(suite.fake.requests.map((r) => r.json)).toEqual([LOOKUP, VERSIONS, expect.anything(), VERSIONS, VERSIONS, VERSIONS]);
    const line =
      'deploy: version "pr-42-001" is no longer listed (last status: building): it was deleted while it came up, ' +
      'perhaps by a delete or prune run at the same time; deploy again';
    expect(errors(run)).toEqual([line]);
    // The last read's answer: the raw empty list.
    expect(run.outputs).toEqual(polled('pr-42-001', 'building', { errcode: '0', errmsg: 'ok rid: 1', rid: '1' }));
    expect(infos(run).slice(3)).toEqual([
      'Version "pr-42-001": building (after 0 s)',
      'Version "pr-42-001": no longer listed (last status: building) (after 5 s)',
    ]);
    expect(run.summary).toContain(row('Status', 'building (no longer listed)'));
  });

  it('a best-effort read (class 3): wait: false, and a gateway answers 502 to the one read after the create: one warning, success', async () => {
    suite.fake.addService(ENV, SERVICE);
    pollsThen({ kind: 'html-502', path: LIST_VERSIONS_PATH });
    const run = await act({ ...base(), wait: 'false' });
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    // A 5xx page to a read is retried (SPEC §3): three attempts, then the warning; never a second create.
    expect(calls(suite.fake.requests)).toEqual([
      'getcslist',
      'getcsversionlist',
      'createcloudbaserunserverversion',
      'getcsversionlist',
      'getcsversionlist',
      'getcsversionlist',
    ]);
    expect(warnings(run)).toHaveLength(1);
    expect(warnings(run)[0]).toMatch(
      new RegExp(
        `^Could not read the new version's status \\(getcsversionlist failed: HTTP 502 Bad Gateway from ${suite.fake.url}${LIST_VERSIONS_PATH}, ` +
          String.raw`and the body is not JSON \(it does not parse\): .*502 Bad Gateway.* \[3 attempts\]\); the version was created: look at it in the CloudBase console\.$`,
      ),
    );
    expect(run.outputs).toEqual(outputs('pr-42-001', ''));
    expect(suite.fake.versions(ENV, SERVICE).map((v) => v.version_name)).toEqual(['pr-42-001']);
    expect(run.summary).toContain(row('Result', 'version created (not waited for)'));
  });

  describe('cancellation (class 6)', () => {
    it('SIGINT while it waits: exits within a second with 130, every output and the summary written, one line naming the version', async () => {
      suite.fake.addService(ENV, SERVICE);
      suite.fake.versionLifecycle = [{ status: 'building' }];
      const run = await act(base(), undefined, { signal: { name: 'SIGINT', when: /Version "pr-42-001": building/ } });
      expect(run.signalSentAtMs).toBeDefined();
      expect(run.exitAfterSignalMs).toBeLessThan(1000);
      expect(run.exitSignal).toBeNull();
      expect(run.exitCode).toBe(130);
      const line = 'deploy: cancelled (SIGINT) while waiting: version "pr-42-001" was created and may still come up';
      expect(errors(run)).toEqual([line]);
      expect(run.commands.filter((c) => c.command === 'error')).toHaveLength(1);
      expect(run.outputs).toEqual(outputs('pr-42-001', 'building'));
      expect(rows(run)).toContainEqual(['Result', 'cancelled (SIGINT)']);
      expect(rows(run)).toContainEqual(['Version', 'pr-42-001']);
      expect(rows(run)).toContainEqual(['Status', 'building']);
    });

    it('SIGINT while a poll hangs: exits within a second all the same; the version is an output, its status empty (never read)', async () => {
      suite.fake.addService(ENV, SERVICE);
      pollsThen({ kind: 'delay', ms: 60_000, path: LIST_VERSIONS_PATH });
      const run = await act(base(), undefined, { signal: { name: 'SIGINT', when: /Created version/ } });
      expect(run.exitAfterSignalMs).toBeLessThan(1000);
      expect(run.exitCode).toBe(130);
      expect(errors(run)).toEqual(['deploy: cancelled (SIGINT) while waiting: version "pr-42-001" was created and may still come up']);
      expect(run.outputs).toEqual(outputs('pr-42-001', ''));
      expect(rows(run)).toContainEqual(['Result', 'cancelled (SIGINT)']);
    });

    it('SIGTERM before anything was sent to WeChat but a lookup: exit 143, "nothing is in flight"; outputs and summary written', async () => {
      suite.fake.addService(ENV, SERVICE);
      suite.fake.failNext({ kind: 'delay', ms: 10_000, path: LIST_SERVICES_PATH });
      const run = await act(base(), undefined, { signal: { name: 'SIGTERM', when: /\n/ } });
      expect(run.exitAfterSignalMs).toBeLessThan(1000);
      expect(run.exitCode).toBe(143);
      expect(errors(run)).toEqual(['deploy: cancelled (SIGTERM) with nothing of this run in flight at WeChat']);
      // The signal comes as the first line is printed: the lookup may or may not have left by then; nothing else did.
      expect([[], ['getcslist']]).toContainEqual(calls(suite.fake.requests));
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
      expect(rows(run)).toContainEqual(['Result', 'cancelled (SIGTERM)']);
      expect(suite.fake.versions(ENV, SERVICE)).toEqual([]);
    });
  });

  it('a secret escaped twice (class 5): an errmsg that quotes the request shows no form of the password, debug lines included', async () => {
    suite.fake.addService(ENV, SERVICE);
    suite.fake.failNext({ kind: 'echo-request', errcode: 40097, path: CREATE_VERSION_PATH });
    const run = await act(
      {
        ...base(),
        image_secret_info: JSON.stringify({ registry_server: 'ccr.ccs.tencentyun.com', user_name: '100012345678', password: PASSWORD }),
      },
      { ACTIONS_STEP_DEBUG: 'true' },
    );
    expect(run.exitCode).toBe(1);
    // The fake did quote it, escaped twice: JSON in the request, that request as a JSON string in errmsg.
    const twice = JSON.stringify(JSON.stringify(PASSWORD).slice(1, -1)).slice(1, -1);
    expect(String(createAnswer()?.answer?.['errmsg'])).toContain(twice);
    expect(leakForms(PASSWORD)).toContain(twice);
    // The debug lines of the request and the answer were written, redacted.
    const debug = run.commands.filter((c) => c.command === 'debug').map((c) => c.value);
    expect(debug.some((line) => line.startsWith('createcloudbaserunserverversion request body: '))).toBe(true);
    expect(debug.some((line) => line.startsWith('createcloudbaserunserverversion answer: HTTP 200 '))).toBe(true);
    expect(errors(run)).toHaveLength(1);
    // The failure line quotes the start of errmsg (the password comes later); the outputs keep the whole errmsg, redacted.
    const { rid } = answerOf(createAnswer());
    expect(errors(run)[0]).toMatch(
      new RegExp(
        String.raw`^createcloudbaserunserverversion failed: errcode 40097 \(invalid args, request: .*\): ` +
          `WeChat rejected a parameter: check env_id, service_name and the other inputs of this step rid: ${rid}$`,
      ),
    );
    for (const secret of [PASSWORD, ...PASSWORD_LINES]) expect(leaks(run, secret), secret).toEqual([]);
    // The whole errmsg is an output, the password (escaped twice) in it blanked.
    expect(run.outputs['errcode']).toBe('40097');
    expect(run.outputs['errmsg']).toBe(String(createAnswer()?.answer?.['errmsg']).replace(twice, '***'));
  });
});

describe('create', () => {
  const suite = e2eSuite('create', TOKEN);
  const base = () => ({ access_token: TOKEN, env_id: ENV, service_name: SERVICE, is_public: 'true', api_base_url: suite.fake.url });

  it('existed is true when another run created the service while this one ran: the lookup after the refused create finds it', async () => {
    // Right after this run's lookup (not listed), another run creates it: this run's create clashes.
    suite.fake.after(LIST_SERVICES_PATH, () => suite.fake.addService(ENV, SERVICE));
    const run = await suite.act(base());
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(calls(suite.fake.requests)).toEqual(['getcslist', 'establishcloudbaserunserver', 'getcslist']);
    expect(suite.fake.requestsTo(CREATE_PATH)[0]?.answer?.['errcode']).toBe(-501000);
    expect(suite.fake.created).toEqual([]);
    // The outputs carry the answer of the lookup that found it (SPEC §2).
    expect(run.outputs).toEqual({
      ...answerOf(suite.fake.requestsTo(LIST_SERVICES_PATH)[1]),
      env_id: ENV,
      service_name: SERVICE,
      created: 'false',
      existed: 'true',
    });
    expect(rows(run)).toContainEqual(['Existed before', 'true']);
  });
});

describe('delete', () => {
  const suite = e2eSuite('delete', TOKEN);
  const base = () => ({ access_token: TOKEN, env_id: ENV, service_name: SERVICE, api_base_url: suite.fake.url });
  const sent = () => suite.fake.requests.map((r) => [r.path.replace('/componenttcb/', ''), r.json]);

  describe('a delete that checks (class 4): it succeeds only when a lookup shows the service gone', () => {
    it('a version created while it runs (a deploy still running): a second round deletes it; deleted true, the service gone', async () => {
      suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
      // Right after the delete lists the versions, a deploy creates one: the last delete no longer takes the service with it.
      suite.fake.after(LIST_VERSIONS_PATH, () => suite.fake.addVersion(ENV, SERVICE, { version_name: 'pr-42-002', status: 'building' }));
      const run = await suite.act(base());
      expect(run.exitCode).toBe(0);
      expect(errors(run)).toEqual([]);
      expect(sent()).toEqual([
        ['getcslist', LOOKUP],
        ['getcsversionlist', VERSIONS],
        ['deletecloudbaserunserverversion', deleteVersion('pr-42-001', true)],
        ['getcslist', LOOKUP],
        ['getcsversionlist', VERSIONS],
        ['deletecloudbaserunserverversion', deleteVersion('pr-42-002', true)],
        ['getcslist', LOOKUP],
      ]);
      expect(infos(run)).toContain(`Service "${SERVICE}" is still listed: deleting what it has now (round 2 of 3).`);
      expect(run.outputs).toEqual({
        ...answerOf(suite.fake.requestsTo(DELETE_VERSION_PATH)[1]),
        env_id: ENV,
        service_name: SERVICE,
        deleted: 'true',
        existed: 'true',
      });
      expect(rows(run)).toContainEqual(['Versions deleted', 'pr-42-001, pr-42-002']);
      expect(suite.fake.services(ENV)).toEqual([]);
    });

    it('a service that keeps getting versions: after 3 rounds, fails naming the versions left; deleted false', async () => {
      suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001' }]);
      let next = 2;
      const keepDeploying = () => {
        suite.fake.addVersion(ENV, SERVICE, { version_name: `pr-42-00${next++}`, status: 'building' });
        suite.fake.after(LIST_VERSIONS_PATH, keepDeploying);
      };
      suite.fake.after(LIST_VERSIONS_PATH, keepDeploying);
      const run = await suite.act(base());
      expect(run.exitCode).toBe(1);
      const round = (deleted: string) => [
        ['getcsversionlist', VERSIONS],
        ['deletecloudbaserunserverversion', deleteVersion(deleted, true)],
        ['getcslist', LOOKUP],
      ];
      expect(sent()).toEqual([
        ['getcslist', LOOKUP],
        ...round('pr-42-001'),
        ...round('pr-42-002'),
        ...round('pr-42-003'),
        ['getcsversionlist', VERSIONS],
      ]);
      // The list after the third round saw pr-42-004, and its hook added pr-42-005 right after.
      expect(errors(run)).toEqual([
        `delete: service "${SERVICE}" is still there after 3 rounds of deletes (versions left: pr-42-004): ` +
          'something keeps deploying to it (a deploy or another workflow run): stop it, then run the delete again',
      ]);
      expect(run.outputs['deleted']).toBe('false');
      expect(run.outputs['existed']).toBe('true');
      expect(suite.fake.services(ENV)).toEqual([SERVICE]);
    });
  });

  it('cancelled (class 6) while a version delete is in flight: exit 130, one line that says what may be left, deleted false', async () => {
    suite.fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
    suite.fake.failNext({ kind: 'delay', ms: 10_000, path: DELETE_VERSION_PATH });
    const run = await suite.act(base(), undefined, { signal: { name: 'SIGINT', when: /POST \S+deletecloudbaserunserverversion/ } });
    expect(run.exitAfterSignalMs).toBeLessThan(1000);
    expect(run.exitCode).toBe(130);
    expect(errors(run)).toEqual([
      `delete: cancelled (SIGINT) while deleting service "${SERVICE}": some of its versions may be deleted and the service may remain; ` +
        'run the delete again',
    ]);
    expect(run.outputs).toEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: ENV,
      service_name: SERVICE,
      deleted: 'false',
      existed: 'true',
    });
    expect(rows(run)).toContainEqual(['Result', 'cancelled (SIGINT)']);
    // The delete in flight was not acted on (the caller left): the version is still there.
    expect(suite.fake.versions(ENV, SERVICE).map((v) => v.version_name)).toEqual(['pr-42-001']);
  });
});

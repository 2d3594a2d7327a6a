/**
 * The prune action's stories, in process: run() of src/prune.ts with INPUT_* variables,
 * stdout, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as the runner gives them, against the fake
 * WeChat API (the harness of story.ts). Each test states, from SPEC.md §2 "prune" and §3,
 * exactly which requests WeChat received, in order and with each call's own field names,
 * the outputs, the log a user reads, the failure line and the summary table, so that
 * mutation testing (`npm run mutate`) judges src/prune.ts by them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { PRUNE_INPUTS } from '../src/inputs.ts';
import { run } from '../src/prune.ts';
import {
  DELETE_SERVICE_PATH,
  DELETE_VERSION_PATH,
  LIST_SERVICES_PATH,
  LIST_VERSIONS_PATH,
  TOKEN_PATH,
  type ReceivedRequest,
} from '../tools/fake-wechat.ts';
import { TOKEN } from './fixtures.ts';
import {
  answerOf,
  calls,
  commands,
  ENV,
  errors,
  fake,
  heading,
  html,
  infos,
  lostWhy,
  NO_ANSWER,
  outputsFile,
  ridOf,
  rows,
  runStory,
  sent,
  url,
  useStories,
  warnings,
} from './story.ts';

vi.mock('../src/client.ts', async (importOriginal) => (await import('./story.ts')).withMovedClock(await importOriginal<object>()));

useStories({ prune: { run, names: PRUNE_INPUTS.names } });

const base = (more: Record<string, string> = {}) => ({ access_token: TOKEN, env_id: ENV, prefix: 'pr-', api_base_url: fake.url, ...more });

// The bodies SPEC §1.2–§1.3 give each call, with its generation's field names.
const list = (offset = 0): [string, unknown] => ['getcslist', { env: ENV, offset, limit: 20 }];
const versionsOf = (service: string): [string, unknown] => ['getcsversionlist', { env: ENV, service_name: service, offset: 0, limit: 20 }];
const deleteService = (service: string): [string, unknown] => ['delcontainerservice', { env: ENV, service_name: service }];
const deleteVersion = (service: string, version: string, last = false): [string, unknown] => [
  'deletecloudbaserunserverversion',
  { env_id: ENV, server_name: service, version_name: version, ...(last && { is_delete_server: true }) },
];

/** SPEC §2: the common outputs but service_name, and prune's own, comma-separated. */
const outputs = (answer: object, own: { deleted?: string; kept?: string; failed?: string } = {}) => ({
  ...answer,
  env_id: ENV,
  deleted: '',
  kept: '',
  failed: '',
  ...own,
});

/** The summary table: Environment, Prefix, Deleted, Kept, Failed, Result, errcode, rid. */
const table = (own: { deleted: string; kept: string; failed: string }, result: string, errcode: string, rid: string) => [
  ['Environment', `<code>${ENV}</code>`],
  ['Prefix', 'pr-'],
  ['Deleted', html(own.deleted)],
  ['Kept', html(own.kept)],
  ['Failed', html(own.failed)],
  ['Result', html(result)],
  ['errcode', errcode],
  ['rid', rid === '' ? '' : `<code>${rid}</code>`],
];

const first = (keep = 'none', max = 10) =>
  `Pruning the CloudBase Run services of environment "${ENV}" whose names start with "pr-" (keep: ${keep}; max_deletes: ${max})`;
const post = (path: string, attempt = 1) => `POST ${url(path)} (attempt ${attempt} of 3)`;
const lastTo = (path: string) => fake.requestsTo(path).at(-1) as ReceivedRequest;
const AGAIN = 'The warnings above give each cause; run the prune again once it is fixed';

describe('nothing to prune', () => {
  it('no service starts with the prefix: only getcslist sent; success; the outputs carry its answer', async () => {
    for (const name of ['main', 'pr', 'prx-1', 'api-pr-3']) fake.addService(ENV, name);
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list()]);
    const listed = answerOf(fake.requests[0]);
    expect(run.outputs).toStrictEqual(outputs(listed));
    expect(errors(run)).toEqual([]);
    expect(warnings(run)).toEqual([]);
    expect(infos(run)).toEqual([
      first(),
      'Listed 4 services; 0 with the prefix "pr-": to delete: none; kept: none.',
      `Nothing to prune in environment "${ENV}".`,
    ]);
    expect(heading(run)).toBe('CloudBase Run services pruned');
    expect(rows(run)).toEqual(table({ deleted: 'none', kept: 'none', failed: 'none' }, 'nothing to prune', '0', listed.rid));
    expect(fake.services(ENV)).toEqual(['main', 'pr', 'prx-1', 'api-pr-3']);
  });

  it('an empty environment: 0 services listed, nothing to prune', async () => {
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list()]);
    expect(infos(run)[1]).toBe('Listed 0 services; 0 with the prefix "pr-": to delete: none; kept: none.');
  });

  it('every service with the prefix is kept: nothing deleted, kept names them in the order WeChat lists them', async () => {
    for (const name of ['pr-1', 'main', 'pr-2']) fake.addService(ENV, name);
    const run = await runStory('prune', base({ keep: 'pr-2, pr-1' }));
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list()]);
    const listed = answerOf(fake.requests[0]);
    expect(run.outputs).toStrictEqual(outputs(listed, { kept: 'pr-1,pr-2' }));
    expect(infos(run)).toEqual([
      first('pr-2, pr-1'),
      'Listed 3 services; 2 with the prefix "pr-": to delete: none; kept: pr-1, pr-2.',
      `Nothing to prune in environment "${ENV}".`,
    ]);
    expect(rows(run)).toEqual(table({ deleted: 'none', kept: 'pr-1, pr-2', failed: 'none' }, 'nothing to prune', '0', listed.rid));
  });
});

describe('deletes the candidates', () => {
  it('with and without versions, one after another, each as the delete action does; the rest untouched', async () => {
    fake.addService(ENV, 'main');
    fake.addService(ENV, 'pr-1');
    fake.addService(ENV, 'pr-2', [
      { version_name: 'pr-2-001', flow_ratio: 100 },
      { version_name: 'pr-2-002', flow_ratio: 0 },
    ]);
    for (const name of ['pr', 'prx-1', 'api-pr-3']) fake.addService(ENV, name);
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([
      list(),
      versionsOf('pr-1'),
      deleteService('pr-1'),
      list(),
      versionsOf('pr-2'),
      deleteVersion('pr-2', 'pr-2-002'),
      deleteVersion('pr-2', 'pr-2-001', true),
      list(),
    ]);
    const one = ridOf(fake.requestsTo(DELETE_SERVICE_PATH)[0]);
    const last = answerOf(lastTo(DELETE_VERSION_PATH));
    expect(run.outputs).toStrictEqual(outputs(last, { deleted: 'pr-1,pr-2' }));
    expect(errors(run)).toEqual([]);
    expect(warnings(run)).toEqual([]);
    expect(infos(run)).toEqual([
      first(),
      'Listed 6 services; 2 with the prefix "pr-": to delete: pr-1, pr-2; kept: none.',
      'Deleting service "pr-1" (1 of 2).',
      'Service "pr-1" has no versions: deleting the service.',
      post(DELETE_SERVICE_PATH),
      `Deleted service "pr-1" (rid: ${one}).`,
      'Deleting service "pr-2" (2 of 2).',
      'Deleting version "pr-2-002" (1 of 2).',
      post(DELETE_VERSION_PATH),
      'Deleting version "pr-2-001" (2 of 2), and with it the service.',
      post(DELETE_VERSION_PATH),
      `Deleted service "pr-2" (rid: ${last.rid}).`,
      'Done: deleted 2 of 2: pr-1, pr-2; kept: none; failed: none.',
    ]);
    expect(rows(run)).toEqual(table({ deleted: 'pr-1, pr-2', kept: 'none', failed: 'none' }, 'deleted 2 services', '0', last.rid));
    expect(fake.services(ENV)).toEqual(['main', 'pr', 'prx-1', 'api-pr-3']);
  });

  it('one candidate: counted in the singular', async () => {
    fake.addService(ENV, 'pr-1');
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(infos(run)[1]).toBe('Listed 1 service; 1 with the prefix "pr-": to delete: pr-1; kept: none.');
    expect(rows(run)).toContainEqual(['Result', 'deleted 1 service']);
  });

  it('exactly max_deletes candidates: all deleted', async () => {
    for (const name of ['pr-1', 'pr-2']) fake.addService(ENV, name);
    const run = await runStory('prune', base({ max_deletes: '2' }));
    expect(run.exitCode).toBe(0);
    expect(run.outputs['deleted']).toBe('pr-1,pr-2');
    expect(infos(run)[0]).toBe(first('none', 2));
    expect(fake.services(ENV)).toEqual([]);
  });

  it('a delete answered without a rid: the log names none', async () => {
    fake.addService(ENV, 'pr-1');
    fake.failNext({
      kind: 'act-then',
      path: DELETE_SERVICE_PATH,
      fault: { kind: 'raw', status: 200, body: '{"errcode":0,"errmsg":"ok"}' },
    });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(infos(run)).toContain('Deleted service "pr-1".');
    expect(run.outputs).toStrictEqual(outputs({ errcode: '0', errmsg: 'ok', rid: '' }, { deleted: 'pr-1' }));
  });

  it('with the platform credentials: the token first, then every call with the token it obtained', async () => {
    fake.addService(ENV, 'pr-1');
    const run = await runStory(
      'prune',
      base({
        access_token: '',
        component_appid: fake.platform.appid,
        component_appsecret: fake.platform.appsecret,
        component_verify_ticket: fake.platform.verifyTicket,
      }),
    );
    expect(run.exitCode).toBe(0);
    const [tokenRequest] = fake.requests;
    expect(tokenRequest?.path).toBe(TOKEN_PATH);
    const issued = String(tokenRequest?.answer?.['component_access_token']);
    expect(sent(issued).slice(1)).toStrictEqual([list(), versionsOf('pr-1'), deleteService('pr-1'), list()]);
    expect(infos(run).join('\n')).not.toContain(issued);
    expect(run.outputs['deleted']).toBe('pr-1');
  });
});

describe('the token', () => {
  it('a token step refused: its own failure line, ending with what has not happened; nothing listed', async () => {
    fake.addService(ENV, 'pr-1');
    const run = await runStory(
      'prune',
      base({
        access_token: '',
        component_appid: fake.platform.appid,
        component_appsecret: fake.platform.appsecret,
        component_verify_ticket: 'ticket@@@expired',
      }),
    );
    expect(run.exitCode).toBe(1);
    expect(fake.requests.map((r) => r.path)).toEqual([TOKEN_PATH]);
    expect(errors(run)).toEqual([
      expect.stringMatching(/^api_component_token failed \(the token step: nothing was deleted\): errcode 61005 /),
    ]);
    expect(fake.services(ENV)).toEqual(['pr-1']);
  });
});

describe('keep (SPEC §2: names separated by commas, spaces or line breaks)', () => {
  it.each([
    ['commas', 'pr-3,pr-1', 'pr-3, pr-1'],
    ['spaces', 'pr-3 pr-1', 'pr-3, pr-1'],
    ['line breaks', 'pr-3\npr-1', 'pr-3, pr-1'],
    ['all of them, and names that are not there or lack the prefix', ' pr-3,\n main  pr-9 ,pr-1\n', 'pr-3, main, pr-9, pr-1'],
  ])('separated by %s: kept only what it names among the services the prefix matched', async (_, keep, given) => {
    for (const name of ['main', 'pr-1', 'pr-2', 'pr-3']) fake.addService(ENV, name);
    const run = await runStory('prune', base({ keep }));
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list(), versionsOf('pr-2'), deleteService('pr-2'), list()]);
    const del = answerOf(fake.requestsTo(DELETE_SERVICE_PATH)[0]);
    expect(run.outputs).toStrictEqual(outputs(del, { deleted: 'pr-2', kept: 'pr-1,pr-3' }));
    expect(infos(run).slice(0, 2)).toEqual([
      first(given),
      'Listed 4 services; 3 with the prefix "pr-": to delete: pr-2; kept: pr-1, pr-3.',
    ]);
    expect(infos(run).at(-1)).toBe('Done: deleted 1 of 1: pr-2; kept: pr-1, pr-3; failed: none.');
    expect(rows(run)).toEqual(table({ deleted: 'pr-2', kept: 'pr-1, pr-3', failed: 'none' }, 'deleted 1 service', '0', del.rid));
    expect(fake.services(ENV)).toEqual(['main', 'pr-1', 'pr-3']);
  });
});

describe('more candidates than max_deletes (a wrong keep must not empty an environment)', () => {
  const line =
    'prune: 3 services start with "pr-" and are not kept, more than max_deletes (2), so nothing was deleted ' +
    '(a wrong keep must not empty an environment): pr-1, pr-2, pr-4; check keep, or raise max_deletes';

  it('fails before deleting anything, one line listing them; the outputs carry the list read and kept', async () => {
    for (const name of ['pr-1', 'main', 'pr-2', 'pr-3', 'pr-4']) fake.addService(ENV, name);
    const run = await runStory('prune', base({ keep: 'pr-3', max_deletes: '2' }));
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([list()]);
    expect(errors(run)).toEqual([line]);
    const listed = answerOf(fake.requests[0]);
    expect(run.outputs).toStrictEqual(outputs(listed, { kept: 'pr-3' }));
    expect(infos(run)).toEqual([first('pr-3', 2), 'Listed 5 services; 4 with the prefix "pr-": to delete: pr-1, pr-2, pr-4; kept: pr-3.']);
    expect(rows(run)).toEqual(table({ deleted: 'none', kept: 'pr-3', failed: 'none' }, line, '0', listed.rid));
    expect(fake.services(ENV)).toEqual(['pr-1', 'main', 'pr-2', 'pr-3', 'pr-4']);
  });

  it('the default max_deletes is 10: 11 candidates fail', async () => {
    for (let i = 1; i <= 11; i++) fake.addService(ENV, `pr-${i}`);
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([list()]);
    expect(errors(run)[0]).toMatch(/^prune: 11 services start with "pr-" and are not kept, more than max_deletes \(10\), /);
    expect(fake.services(ENV)).toHaveLength(11);
  });

  it('the same in a dry run', async () => {
    for (const name of ['pr-1', 'main', 'pr-2', 'pr-3', 'pr-4']) fake.addService(ENV, name);
    const run = await runStory('prune', base({ keep: 'pr-3', max_deletes: '2', dry_run: 'true' }));
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([list()]);
    expect(errors(run)).toEqual([line]);
    expect(run.outputs).toStrictEqual(outputs(answerOf(fake.requests[0]), { kept: 'pr-3' }));
  });
});

describe('a failure does not stop the others; the step fails at the end naming each', () => {
  it('a version delete refused: the others are still deleted; one prune: line with its call, errcode and rid', async () => {
    fake.addService(ENV, 'pr-1');
    fake.addService(ENV, 'pr-2', [
      { version_name: 'pr-2-001', flow_ratio: 100 },
      { version_name: 'pr-2-002', flow_ratio: 0 },
    ]);
    fake.addService(ENV, 'pr-3');
    fake.addService(ENV, 'pr-7');
    fake.failNext({ kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: DELETE_VERSION_PATH });
    const run = await runStory('prune', base({ keep: 'pr-7' }));
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([
      list(),
      versionsOf('pr-1'),
      deleteService('pr-1'),
      list(),
      versionsOf('pr-2'),
      deleteVersion('pr-2', 'pr-2-002'),
      // The lookup that shows it still there: a failure.
      list(),
      versionsOf('pr-3'),
      deleteService('pr-3'),
      list(),
    ]);
    const refused = answerOf(fake.requestsTo(DELETE_VERSION_PATH)[0]);
    const [one, three] = fake.requestsTo(DELETE_SERVICE_PATH).map(ridOf);
    const line = `prune: could not delete 1 of 3 services: pr-2 (deletecloudbaserunserverversion: errcode 45009, rid: ${refused.rid}); deleted: pr-1, pr-3. ${AGAIN}`;
    expect(errors(run)).toEqual([line]);
    expect(warnings(run)).toEqual([
      'Could not delete service "pr-2": deletecloudbaserunserverversion failed: errcode 45009 (reach max api daily quota limit): ' +
        `the daily API quota is used up: wait for it to reset, or clear it with the clear_quota API rid: ${refused.rid}`,
    ]);
    expect(infos(run)).toEqual([
      first('pr-7'),
      'Listed 4 services; 4 with the prefix "pr-": to delete: pr-1, pr-2, pr-3; kept: pr-7.',
      'Deleting service "pr-1" (1 of 3).',
      'Service "pr-1" has no versions: deleting the service.',
      post(DELETE_SERVICE_PATH),
      `Deleted service "pr-1" (rid: ${one}).`,
      'Deleting service "pr-2" (2 of 3).',
      'Deleting version "pr-2-002" (1 of 2).',
      post(DELETE_VERSION_PATH),
      'Deleting service "pr-3" (3 of 3).',
      'Service "pr-3" has no versions: deleting the service.',
      post(DELETE_SERVICE_PATH),
      `Deleted service "pr-3" (rid: ${three}).`,
      'Done: deleted 2 of 3: pr-1, pr-3; kept: pr-7; failed: pr-2.',
    ]);
    expect(run.outputs).toStrictEqual(outputs(refused, { deleted: 'pr-1,pr-3', kept: 'pr-7', failed: 'pr-2' }));
    expect(rows(run)).toEqual(table({ deleted: 'pr-1, pr-3', kept: 'pr-7', failed: 'pr-2' }, line, '45009', refused.rid));
    expect(fake.services(ENV)).toEqual(['pr-2', 'pr-7']);
    expect(fake.versions(ENV, 'pr-2').map((v) => v.version_name)).toEqual(['pr-2-001', 'pr-2-002']);
  });

  it('two refused, one without a rid: each named, in order; errcode, errmsg and rid of the last refusal', async () => {
    fake.addService(ENV, 'pr-1');
    fake.addService(ENV, 'pr-2');
    fake.addService(ENV, 'pr-3', [{ version_name: 'pr-3-001' }]);
    fake.failNext(
      {
        kind: 'errcode',
        errcode: -501000,
        errmsg: 'tcb api error TcbCode: [OperationDenied] TcbMessage: [x]',
        rid: false,
        path: DELETE_SERVICE_PATH,
      },
      { kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: DELETE_VERSION_PATH },
    );
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    const refused = answerOf(fake.requestsTo(DELETE_VERSION_PATH)[0]);
    expect(errors(run)).toEqual([
      'prune: could not delete 2 of 3 services: pr-1 (delcontainerservice: errcode -501000, no rid); ' +
        `pr-3 (deletecloudbaserunserverversion: errcode 48001, rid: ${refused.rid}); deleted: pr-2. ${AGAIN}`,
    ]);
    expect(warnings(run)).toHaveLength(2);
    expect(run.outputs).toStrictEqual(outputs(refused, { deleted: 'pr-2', failed: 'pr-1,pr-3' }));
    expect(rows(run).slice(2, 5)).toEqual([
      ['Deleted', 'pr-2'],
      ['Kept', 'none'],
      ['Failed', 'pr-1, pr-3'],
    ]);
    expect(fake.services(ENV)).toEqual(['pr-1', 'pr-3']);
  });

  it('every one refused: deleted none', async () => {
    fake.addService(ENV, 'pr-1');
    fake.failNext({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: DELETE_SERVICE_PATH });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    const refused = answerOf(fake.requestsTo(DELETE_SERVICE_PATH)[0]);
    expect(errors(run)).toEqual([
      `prune: could not delete 1 of 1 service: pr-1 (delcontainerservice: errcode 48001, rid: ${refused.rid}); deleted: none. ${AGAIN}`,
    ]);
    expect(infos(run).at(-1)).toBe('Done: deleted 0 of 1: none; kept: none; failed: pr-1.');
    expect(run.outputs).toStrictEqual(outputs(refused, { failed: 'pr-1' }));
  });

  it('a version list refused: that call is named', async () => {
    fake.addService(ENV, 'pr-1');
    fake.failNext({ kind: 'errcode', errcode: 85088, errmsg: 'no qbase privilege', path: LIST_VERSIONS_PATH });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([list(), versionsOf('pr-1'), list()]);
    const refused = answerOf(fake.requestsTo(LIST_VERSIONS_PATH)[0]);
    expect(errors(run)).toEqual([
      `prune: could not delete 1 of 1 service: pr-1 (getcsversionlist: errcode 85088, rid: ${refused.rid}); deleted: none. ${AGAIN}`,
    ]);
    expect(run.outputs).toStrictEqual(outputs(refused, { failed: 'pr-1' }));
  });

  it('a service that keeps getting versions (a deploy still running): failed after 3 rounds; the next one is deleted', async () => {
    fake.addService(ENV, 'pr-1', [{ version_name: 'pr-1-001' }]);
    fake.addService(ENV, 'pr-2');
    // Right after each of pr-1's four version lists, another run creates a version.
    let next = 2;
    const keepDeploying = () => {
      fake.addVersion(ENV, 'pr-1', { version_name: `pr-1-00${next++}`, status: 'building' });
      if (next <= 5) fake.after(LIST_VERSIONS_PATH, keepDeploying);
    };
    fake.after(LIST_VERSIONS_PATH, keepDeploying);
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([
      list(),
      ...[versionsOf('pr-1'), deleteVersion('pr-1', 'pr-1-001', true), list()],
      ...[versionsOf('pr-1'), deleteVersion('pr-1', 'pr-1-002', true), list()],
      ...[versionsOf('pr-1'), deleteVersion('pr-1', 'pr-1-003', true), list()],
      versionsOf('pr-1'),
      list(),
      ...[versionsOf('pr-2'), deleteService('pr-2'), list()],
    ]);
    const why =
      'service "pr-1" is still there after 3 rounds of deletes (versions left: pr-1-004): ' +
      'something keeps deploying to it (a deploy or another workflow run): stop it, then run the prune again';
    expect(errors(run)).toEqual([`prune: could not delete 1 of 2 services: pr-1 (${why}); deleted: pr-2. ${AGAIN}`]);
    expect(warnings(run)).toEqual([`Could not delete service "pr-1": prune: ${why}`]);
    // No call was refused: no errcode to give, although pr-2's delete was answered.
    expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { deleted: 'pr-2', failed: 'pr-1' }));
    expect(rows(run).slice(-2)).toEqual([
      ['errcode', ''],
      ['rid', ''],
    ]);
    expect(fake.services(ENV)).toEqual(['pr-1']);
  });

  it('a refusal, then a failure without an answer: the outputs keep the refusal', async () => {
    fake.addService(ENV, 'pr-1');
    fake.addService(ENV, 'pr-2', [{ version_name: 'pr-2-001' }]);
    fake.failNext({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: DELETE_SERVICE_PATH });
    // pr-2 keeps getting versions: 4 version lists of pr-2 (pr-1's is the first one), each followed by a new version.
    let lists = 0;
    let next = 2;
    const keepDeploying = () => {
      if (lists++ > 0) fake.addVersion(ENV, 'pr-2', { version_name: `pr-2-00${next++}`, status: 'building' });
      if (lists <= 4) fake.after(LIST_VERSIONS_PATH, keepDeploying);
    };
    fake.after(LIST_VERSIONS_PATH, keepDeploying);
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    const refused = answerOf(fake.requestsTo(DELETE_SERVICE_PATH)[0]);
    expect(errors(run)).toEqual([
      `prune: could not delete 2 of 2 services: pr-1 (delcontainerservice: errcode 48001, rid: ${refused.rid}); ` +
        'pr-2 (service "pr-2" is still there after 3 rounds of deletes (versions left: pr-2-004): ' +
        `something keeps deploying to it (a deploy or another workflow run): stop it, then run the prune again); deleted: none. ${AGAIN}`,
    ]);
    expect(run.outputs).toStrictEqual(outputs(refused, { failed: 'pr-1,pr-2' }));
  });

  it('a refused delete whose service is gone after all (the call acted, or another run deleted it): counted deleted', async () => {
    fake.addService(ENV, 'pr-1');
    const errmsg = 'tcb api error TcbCode: [InternalError] TcbMessage: [timeout] rid: 0123abcd-4567ef01-89abcdef';
    fake.failNext({ kind: 'act-then', path: DELETE_SERVICE_PATH, fault: { kind: 'errcode', errcode: -501000, errmsg, rid: false } });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list(), versionsOf('pr-1'), deleteService('pr-1'), list()]);
    expect(infos(run).slice(-2)).toEqual([
      'Service "pr-1" is no longer listed although a call failed (delcontainerservice failed: errcode -501000 ' +
        '(tcb api error TcbCode: [InternalError] TcbMessage: [timeout]) rid: 0123abcd-4567ef01-89abcdef): it is gone.',
      'Done: deleted 1 of 1: pr-1; kept: none; failed: none.',
    ]);
    expect(warnings(run)).toEqual([]);
    // Which answer did the work is not known: none is given.
    expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { deleted: 'pr-1' }));
  });

  it('a refused delete, and the lookup after it refused too: still a failure, of the delete', async () => {
    fake.addService(ENV, 'pr-1');
    // A deploy adds a version between the version list and the service delete: delcontainerservice is refused.
    fake.after(LIST_VERSIONS_PATH, () => fake.addVersion(ENV, 'pr-1', { version_name: 'pr-1-001', status: 'building' }));
    fake.after(DELETE_SERVICE_PATH, () =>
      fake.failNext({ kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: LIST_SERVICES_PATH }),
    );
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([list(), versionsOf('pr-1'), deleteService('pr-1'), list()]);
    const refused = answerOf(fake.requestsTo(DELETE_SERVICE_PATH)[0]);
    expect(errors(run)).toEqual([
      `prune: could not delete 1 of 1 service: pr-1 (delcontainerservice: errcode -501000, rid: ${refused.rid}); deleted: none. ${AGAIN}`,
    ]);
    expect(run.outputs).toStrictEqual(outputs(refused, { failed: 'pr-1' }));
  });
});

describe('never deletes twice (SPEC §3)', () => {
  it('lost answers to both deletes: a lookup shows each gone, nothing sent twice; the last answer lost: none to output', async () => {
    fake.addService(ENV, 'pr-1');
    fake.addService(ENV, 'pr-2');
    fake.failNext(
      { kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_SERVICE_PATH },
      { kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_SERVICE_PATH },
    );
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([
      list(),
      ...[versionsOf('pr-1'), deleteService('pr-1'), list(), list()],
      ...[versionsOf('pr-2'), deleteService('pr-2'), list(), list()],
    ]);
    const why = lostWhy(DELETE_SERVICE_PATH);
    expect(infos(run)).toEqual([
      first(),
      'Listed 2 services; 2 with the prefix "pr-": to delete: pr-1, pr-2; kept: none.',
      'Deleting service "pr-1" (1 of 2).',
      'Service "pr-1" has no versions: deleting the service.',
      post(DELETE_SERVICE_PATH),
      `Outcome unknown: ${why}. Looking at what is there before anything else.`,
      `The answer was lost (${why}), but a read shows it was deleted.`,
      'Deleted service "pr-1".',
      'Deleting service "pr-2" (2 of 2).',
      'Service "pr-2" has no versions: deleting the service.',
      post(DELETE_SERVICE_PATH),
      `Outcome unknown: ${why}. Looking at what is there before anything else.`,
      `The answer was lost (${why}), but a read shows it was deleted.`,
      'Deleted service "pr-2".',
      'Done: deleted 2 of 2: pr-1, pr-2; kept: none; failed: none.',
    ]);
    expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { deleted: 'pr-1,pr-2' }));
  });

  it('a lost answer to the first delete, the second answered: the outputs carry the second', async () => {
    fake.addService(ENV, 'pr-1');
    fake.addService(ENV, 'pr-2');
    fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_SERVICE_PATH });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toStrictEqual(outputs(answerOf(lastTo(DELETE_SERVICE_PATH)), { deleted: 'pr-1,pr-2' }));
  });
});

describe('getcslist is paged (SPEC §1.2)', () => {
  it('every page read, by the items each returned, before anything is deleted', async () => {
    fake.pageCap = 2;
    for (const name of ['main', 'pr-1', 'pr-2']) fake.addService(ENV, name);
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([
      list(0),
      list(2),
      // Each lookup ends at `total`, which shrinks as services go.
      ...[versionsOf('pr-1'), deleteService('pr-1'), list(0)],
      ...[versionsOf('pr-2'), deleteService('pr-2'), list(0)],
    ]);
    expect(run.outputs).toStrictEqual(outputs(answerOf(lastTo(DELETE_SERVICE_PATH)), { deleted: 'pr-1,pr-2' }));
    expect(fake.services(ENV)).toEqual(['main']);
  });

  const page = (total: number | string, names: string[]) =>
    JSON.stringify({ errcode: 0, errmsg: 'ok rid: 1', total, cslist: names.map((server_name) => ({ server_name, status: 'succ' })) });

  it('a name listed on two pages (the list shifted) counts once; total as text; an empty page ends the list', async () => {
    fake.addService(ENV, 'pr-1');
    fake.failNext(
      { kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: page('9', ['main', 'pr-1']) },
      { kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: page('9', ['pr-1']) },
      { kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: page('9', []) },
    );
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list(0), list(2), list(3), versionsOf('pr-1'), deleteService('pr-1'), list()]);
    expect(infos(run)[1]).toBe('Listed 2 services; 1 with the prefix "pr-": to delete: pr-1; kept: none.');
  });

  it('pages without total or cslist: the list ends at the first empty one', async () => {
    fake.addService(ENV, 'pr-1');
    fake.failNext(
      { kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: '{"errcode":0,"errmsg":"ok rid: 1","cslist":[{"server_name":"pr-1"}]}' },
      { kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: '{"errcode":0,"errmsg":"ok rid: 2"}' },
    );
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list(0), list(1), versionsOf('pr-1'), deleteService('pr-1'), list()]);
    expect(run.outputs['deleted']).toBe('pr-1');
  });

  it('a list that never ends: stops after 1000 pages, nothing deleted', async () => {
    fake.failAlways({ kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: page(1_000_000, ['pr-1']) });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    expect(calls(fake.requests)).toEqual(Array(1000).fill('getcslist'));
    expect(errors(run)).toEqual([
      'getcslist failed: still listing after 1000 pages (1000 items): the answers do not end, so the action stopped',
    ]);
  });

  it('a page refused: fails with that errcode before anything is deleted; the summary has the prefix only', async () => {
    fake.pageCap = 1;
    for (const name of ['pr-1', 'pr-2']) fake.addService(ENV, name);
    fake.failNext(
      { kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: page(2, ['pr-1']) },
      { kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH },
    );
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    expect(sent()).toStrictEqual([list(0), list(1)]);
    const refused = answerOf(fake.requests[1]);
    const line =
      'getcslist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: ' +
      `check its permission sets in the WeChat Open Platform console rid: ${refused.rid}`;
    expect(errors(run)).toEqual([line]);
    expect(run.outputs).toStrictEqual(outputs(refused));
    expect(rows(run)).toEqual([
      ['Environment', `<code>${ENV}</code>`],
      ['Prefix', 'pr-'],
      ['Result', html(line)],
      ['errcode', '48001'],
      ['rid', `<code>${refused.rid}</code>`],
    ]);
  });
});

describe('dry run: the one that reads (SPEC §2 prune)', () => {
  it('lists the services, shows what it would delete and keep and the requests, deletes nothing', async () => {
    for (const name of ['main', 'pr-1', 'pr-2', 'pr-7']) fake.addService(ENV, name);
    const run = await runStory('prune', base({ keep: 'pr-7', dry_run: 'true' }));
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list()]);
    const listed = answerOf(fake.requests[0]);
    expect(run.outputs).toStrictEqual(outputs(listed, { kept: 'pr-7' }));
    expect(errors(run)).toEqual([]);
    expect(infos(run)).toEqual([
      first('pr-7'),
      'Listed 4 services; 3 with the prefix "pr-": to delete: pr-1, pr-2; kept: pr-7.',
      'Dry run: would delete pr-1, pr-2; nothing is deleted.',
      'Each would be deleted as the delete action does; for "pr-1":',
      `Would POST ${url(LIST_VERSIONS_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      '  "service_name": "pr-1",',
      '  "offset": 0,',
      '  "limit": 20',
      '}',
      'then, for each version, no traffic first (is_delete_server only on the last):',
      `Would POST ${url(DELETE_VERSION_PATH)}?access_token=*** with:`,
      '{',
      `  "env_id": "${ENV}",`,
      '  "server_name": "pr-1",',
      '  "version_name": "<version_name>",',
      '  "is_delete_server": true',
      '}',
      'or, when it has no versions:',
      `Would POST ${url(DELETE_SERVICE_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      '  "service_name": "pr-1"',
      '}',
      'then a lookup (getcslist) that shows it gone.',
    ]);
    expect(rows(run)).toEqual(
      table(
        { deleted: 'none (dry run; would delete: pr-1, pr-2)', kept: 'pr-7', failed: 'none' },
        'dry run: would delete 2 services; nothing deleted',
        '0',
        listed.rid,
      ),
    );
    expect(fake.services(ENV)).toEqual(['main', 'pr-1', 'pr-2', 'pr-7']);
  });

  it('one to delete: counted in the singular', async () => {
    fake.addService(ENV, 'pr-1');
    const run = await runStory('prune', base({ dry_run: 'true' }));
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list()]);
    expect(rows(run)).toContainEqual(['Result', 'dry run: would delete 1 service; nothing deleted']);
  });

  it('nothing to prune: says so, as a dry run', async () => {
    fake.addService(ENV, 'main');
    const run = await runStory('prune', base({ dry_run: 'true' }));
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([list()]);
    expect(rows(run)).toContainEqual(['Result', 'dry run: nothing to prune']);
  });

  it('with the platform credentials: shows the token request and the list, exchanges nothing, sends nothing; a warning says why', async () => {
    fake.addService(ENV, 'pr-1');
    const run = await runStory(
      'prune',
      base({
        access_token: '',
        dry_run: 'true',
        component_appid: fake.platform.appid,
        component_appsecret: fake.platform.appsecret,
        component_verify_ticket: fake.platform.verifyTicket,
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(fake.requests).toEqual([]);
    expect(infos(run)).toEqual([
      first(),
      'Dry run: the inputs are valid; it would send:',
      `Would POST ${url(TOKEN_PATH)} with:`,
      '{',
      `  "component_appid": "${fake.platform.appid}",`,
      '  "component_appsecret": "***",',
      '  "component_verify_ticket": "***"',
      '}',
      `Would POST ${url(LIST_SERVICES_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      '  "offset": 0,',
      '  "limit": 20',
      '}',
    ]);
    expect(warnings(run)).toEqual([
      'Dry run with component_appid, component_appsecret and component_verify_ticket: they are not exchanged for a token ' +
        "(each exchange may end the platform's previous token about 5 minutes later), so the services were not listed " +
        'and nothing shows what would be deleted: give access_token to see it',
    ]);
    expect(run.outputs).toStrictEqual(outputs(NO_ANSWER));
    expect(rows(run)).toEqual([
      ['Environment', `<code>${ENV}</code>`],
      ['Prefix', 'pr-'],
      ['Result', 'dry run: the credentials were not exchanged, so the services were not listed; nothing sent'],
      ['errcode', ''],
      ['rid', ''],
    ]);
    expect(infos(run).join('\n')).not.toContain(fake.platform.appsecret);
    expect(infos(run).join('\n')).not.toContain(fake.platform.verifyTicket);
    expect(fake.services(ENV)).toEqual(['pr-1']);
  });
});

describe('inputs (SPEC §2 prune, §3)', () => {
  it('a prefix too short and a keep name that breaks the rule: one error each naming the input; nothing sent', async () => {
    fake.addService(ENV, 'pr-1');
    const run = await runStory('prune', base({ prefix: 'P', keep: 'pr-1,Bad_name' }));
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'prefix: "P" is not the start of a service name: give at least 2 characters, a lowercase letter first, ' +
        'then lowercase letters, digits and -, e.g. "pr-"',
      expect.stringMatching(/^keep\.1: "Bad_name" is not a valid service name: /),
      '2 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
    expect(run.outputs).toStrictEqual({ ...outputs(NO_ANSWER), env_id: '' });
    expect(rows(run)).toEqual([
      ['Environment', ''],
      ['Result', '2 invalid inputs (see the errors above); nothing was sent to WeChat'],
      ['errcode', ''],
      ['rid', ''],
    ]);
    expect(fake.services(ENV)).toEqual(['pr-1']);
  });

  it('no prefix, max_deletes 0: each named; prune has no service_name to ask for', async () => {
    const run = await runStory('prune', base({ prefix: '', max_deletes: '0' }));
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'prefix: is required',
      // Its wording is inputs.ts's; what matters here is that it names the input and the bounds.
      expect.stringMatching(/^max_deletes: .*whole number from 1 to 100$/),
      '2 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
  });
});

describe('secrets (SPEC §3)', () => {
  it('a token echoed in the list refusal: never printed, nor in the outputs or the summary', async () => {
    fake.failNext({ kind: 'errcode', errcode: 40014, errmsg: `invalid access_token ${TOKEN}`, path: LIST_SERVICES_PATH });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    const rid = ridOf(fake.requests[0]);
    expect(run.outputs['errmsg']).toBe(`invalid access_token *** rid: ${rid}`);
    expect(errors(run)[0]).toMatch(/^getcslist failed: errcode 40014 \(invalid access_token \*\*\*\): /);
    expect(run.stdout.replace(`::add-mask::${TOKEN}`, '')).not.toContain(TOKEN);
    expect(run.summary).not.toContain(TOKEN);
    expect(readFileSync(outputsFile, 'utf8')).not.toContain(TOKEN);
  });

  it('a token echoed in a delete refusal: not in the warning, the failure line, the outputs or the summary', async () => {
    fake.addService(ENV, 'pr-1');
    fake.failNext({ kind: 'errcode', errcode: 40097, errmsg: `invalid args access_token=${TOKEN}`, path: DELETE_SERVICE_PATH });
    const run = await runStory('prune', base());
    expect(run.exitCode).toBe(1);
    const rid = ridOf(fake.requestsTo(DELETE_SERVICE_PATH)[0]);
    expect(errors(run)).toEqual([
      `prune: could not delete 1 of 1 service: pr-1 (delcontainerservice: errcode 40097, rid: ${rid}); deleted: none. ${AGAIN}`,
    ]);
    expect(warnings(run)).toHaveLength(1);
    expect(warnings(run)[0]).toContain('invalid args access_token=***');
    expect(run.outputs['errmsg']).toBe(`invalid args access_token=*** rid: ${rid}`);
    expect(run.stdout.replace(`::add-mask::${TOKEN}`, '')).not.toContain(TOKEN);
    expect(run.summary).not.toContain(TOKEN);
    expect(readFileSync(outputsFile, 'utf8')).not.toContain(TOKEN);
  });
});

describe('cancelled (SPEC §3)', () => {
  it('while deleting the second of three: every output as known then, one line naming the service in flight, exit 143', async () => {
    for (const name of ['pr-1', 'pr-2', 'pr-3']) fake.addService(ENV, name);
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    // The second version list is pr-2's: pr-1 is deleted, pr-2 in flight. Its delete then answers late, so the
    // cancellation has written the outputs and the summary before the story (which goes on: exit is mocked) ends.
    fake.after(LIST_VERSIONS_PATH, () =>
      fake.after(LIST_VERSIONS_PATH, () => {
        fake.failNext({ kind: 'delay', ms: 300, path: DELETE_SERVICE_PATH });
        process.emit('SIGTERM');
      }),
    );
    try {
      const run = await runStory('prune', base());
      await vi.waitFor(() => expect(exit).toHaveBeenCalled());
      expect(errors(run)).toEqual([
        'prune: cancelled (SIGTERM) while deleting service "pr-2" (2 of 3): some of its versions may be deleted and the service may remain; ' +
          'the services after it were not touched: run the prune again',
      ]);
      expect(exit).toHaveBeenCalledTimes(1);
      expect(exit).toHaveBeenCalledWith(143);
      expect(run.outputs).toStrictEqual(outputs(answerOf(fake.requestsTo(DELETE_SERVICE_PATH)[0]), { deleted: 'pr-1' }));
      expect(rows(run).slice(2, 6)).toEqual([
        ['Deleted', 'pr-1'],
        ['Kept', 'none'],
        ['Failed', 'none'],
        ['Result', 'cancelled (SIGTERM)'],
      ]);
    } finally {
      exit.mockRestore();
    }
  });

  it('while listing: nothing is in flight', async () => {
    fake.addService(ENV, 'pr-1');
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    fake.after(LIST_SERVICES_PATH, () => {
      fake.failNext({ kind: 'delay', ms: 300, path: LIST_VERSIONS_PATH });
      process.emit('SIGINT');
    });
    try {
      const run = await runStory('prune', base());
      await vi.waitFor(() => expect(exit).toHaveBeenCalled());
      expect(errors(run)[0]).toBe('prune: cancelled (SIGINT) with nothing of this run in flight at WeChat');
      expect(exit).toHaveBeenCalledWith(130);
      expect(commands(run, 'error')).toHaveLength(1);
    } finally {
      exit.mockRestore();
    }
  });
});

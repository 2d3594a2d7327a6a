/**
 * The three actions' stories, in process: run() of src/create.ts, src/delete.ts and
 * src/deploy.ts with INPUT_* variables, stdout, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as the
 * runner gives them, against the fake WeChat API. The end-to-end tests play the same stories
 * on the committed bundles; these run the source itself, so that mutation testing
 * (`npm run mutate`) judges src/ by them. Each test states, from SPEC.md, exactly which
 * requests WeChat received, the outputs, the log a user reads, the failure line and the
 * summary table.
 *
 * The deploy action's waits between polls are not slept: `sleepFor` records each wait and
 * moves a clock (Date.now) on by it, so the schedule of SPEC §2 (5 s, × 1.5, at most 15 s,
 * the last wait cut at the deadline) is asserted exactly, in no time. The fake's versions
 * change status after a number of reads. Retries inside one call (client.ts) still wait
 * their backoff for real: Math.random is 0 during a run, so each is 0.5 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run as runCreate } from '../src/create.ts';
import { run as runDelete } from '../src/delete.ts';
import { run as runDeploy } from '../src/deploy.ts';
import { CREATE_INPUTS, DELETE_INPUTS, DEPLOY_INPUTS } from '../src/inputs.ts';
import {
  CREATE_PATH,
  CREATE_VERSION_PATH,
  DELETE_SERVICE_PATH,
  DELETE_VERSION_PATH,
  LIST_SERVICES_PATH,
  LIST_VERSIONS_PATH,
  TOKEN_PATH,
  type Fault,
  type ReceivedRequest,
} from '../tools/fake-wechat.ts';
import { TOKEN } from './fixtures.ts';
import {
  answerOf,
  BAD_GATEWAY,
  calls,
  clock,
  commands,
  DELETE_SERVICE,
  deleteVersion,
  dir,
  EMPTY_SERVICES,
  ENV,
  errors,
  fake,
  heading,
  html,
  infos,
  LOOKUP,
  lostWhy,
  NO_ANSWER,
  outputsFile,
  ridOf,
  rows,
  runStory,
  sent,
  SERVICE,
  url,
  useStories,
  VERSIONS,
  warnings,
} from './story.ts';

vi.mock('../src/client.ts', async (importOriginal) => (await import('./story.ts')).withMovedClock(await importOriginal<object>()));

const IMAGE = 'ccr.ccs.tencentyun.com/my-ns/my-app:1.2.3';
const ES_PASSWORD = 'es-password-for-the-stories';
const REGISTRY_PASSWORD = 'registry-password-for-the-stories';

// SPEC §3: create's and deploy's summaries (and a notice on the run's page) say how a mini program reaches the service.
const REACH_CALL = (service = SERVICE) =>
  `wx.cloud.callContainer({ config: { env: '${ENV}' }, path: '/', header: { 'X-WX-SERVICE': '${service}' } })`;
const REACH_ROW = (service = SERVICE): [string, string] => ['Reach it', html(REACH_CALL(service))];
const REACH_NOTICE = (service = SERVICE) =>
  `A mini program reaches the service with ${REACH_CALL(service)}. Its public domain, when it has one, is in the CloudBase console ` +
  '(Cloud Run → the service → details): WeChat’s API gives none.';

useStories({
  create: { run: runCreate, names: CREATE_INPUTS.names },
  delete: { run: runDelete, names: DELETE_INPUTS.names },
  deploy: { run: runDeploy, names: DEPLOY_INPUTS.names },
});

// ── create ────────────────────────────────────────────────────────────────────────────

describe('create', () => {
  const base = (more: Record<string, string> = {}) => ({
    access_token: TOKEN,
    env_id: ENV,
    service_name: SERVICE,
    is_public: 'true',
    api_base_url: fake.url,
    ...more,
  });
  const CREATE: [string, unknown] = ['establishcloudbaserunserver', { env_id: ENV, service_name: SERVICE, is_public: true }];
  const outputs = (answer: object, own: { created: boolean; existed: boolean }) => ({
    ...answer,
    env_id: ENV,
    service_name: SERVICE,
    created: String(own.created),
    existed: String(own.existed),
  });
  const FIRST_LINE = `CloudBase Run service "${SERVICE}" in environment "${ENV}" (public access: true)`;
  const CREATING = `Service "${SERVICE}" is not in environment "${ENV}": creating it.`;
  const SKIPPED = `Service "${SERVICE}" already exists in environment "${ENV}": nothing to create (if_exists: skip).`;
  const post = (attempt = 1) => `POST ${url(CREATE_PATH)} (attempt ${attempt} of 3)`;

  describe('absent: it is created', () => {
    it('looks it up, then creates it with exactly the fields given; outputs, log and summary say created', async () => {
      const run = await runStory(
        'create',
        base({
          image_repo: 'ccr.ccs.tencentyun.com/ns/app',
          remark: 'preview of pr 42',
          es_info: `{"id":1,"port":9200,"password":"${ES_PASSWORD}"}`,
          log_type: 'es',
          vpc_info: '{"vpc_id":"vpc-abc","subnet_ids":["subnet-1"],"create_type":2}',
          public_access: '1',
        }),
      );
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([
        LOOKUP,
        [
          'establishcloudbaserunserver',
          {
            env_id: ENV,
            service_name: SERVICE,
            is_public: true,
            image_repo: 'ccr.ccs.tencentyun.com/ns/app',
            remark: 'preview of pr 42',
            es_info: { id: 1, port: 9200, password: ES_PASSWORD },
            log_type: 'es',
            vpc_info: { vpc_id: 'vpc-abc', subnet_ids: ['subnet-1'], create_type: 2 },
            public_access: 1,
          },
        ],
      ]);
      expect(fake.services(ENV)).toEqual([SERVICE]);
      const create = fake.requestsTo(CREATE_PATH)[0];
      const { rid } = answerOf(create);
      expect(run.outputs).toStrictEqual(outputs(answerOf(create), { created: true, existed: false }));
      expect(errors(run)).toEqual([]);
      expect(warnings(run)).toEqual([]);
      expect(infos(run)).toEqual([FIRST_LINE, CREATING, post(), `Created service "${SERVICE}" (rid: ${rid}).`]);
      // Secrets are masked before anything else is printed, and nowhere else.
      expect(run.stdout.split('\n').slice(0, 2)).toEqual([`::add-mask::${TOKEN}`, `::add-mask::${ES_PASSWORD}`]);
      expect(run.stdout.split(`::add-mask::${ES_PASSWORD}`).join('')).not.toContain(ES_PASSWORD);
      // Reads only when debugging: the lookup's POST is a debug line.
      expect(commands(run, 'debug').filter((line) => line.startsWith('POST '))).toEqual([
        `POST ${url(LIST_SERVICES_PATH)} (attempt 1 of 3)`,
      ]);
      expect(heading(run)).toBe('CloudBase Run service');
      expect(run.summary).toContain('<table><tr><th>Field</th><th>Value</th></tr><tr><td>Environment</td>');
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Public access', 'true'],
        ['Existed before', 'false'],
        REACH_ROW(),
        ['Result', 'created'],
        ['errcode', '0'],
        ['rid', `<code>${rid}</code>`],
      ]);
      expect(commands(run, 'notice')).toEqual([REACH_NOTICE()]);
    });

    it('sends only the required fields when nothing else is given, is_public false as a boolean', async () => {
      const run = await runStory('create', base({ is_public: 'False' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, ['establishcloudbaserunserver', { env_id: ENV, service_name: SERVICE, is_public: false }]]);
      expect(infos(run)[0]).toBe(`CloudBase Run service "${SERVICE}" in environment "${ENV}" (public access: false)`);
      expect(rows(run)[2]).toEqual(['Public access', 'false']);
    });

    it('pages through getcslist by what each page returned, up to total, then creates', async () => {
      fake.pageCap = 7;
      for (let i = 0; i < 10; i++) fake.addService(ENV, `svc-${i}`);
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, ['getcslist', { env: ENV, offset: 7, limit: 20 }], CREATE]);
      expect(run.outputs['created']).toBe('true');
    });

    it('an answer that lists nothing, without total, ends the lookup: not there, so created', async () => {
      fake.failNext({ kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: '{"errcode":0,"errmsg":"ok rid: 1"}' });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, CREATE]);
    });
  });

  it('a create answered without errmsg or rid: the log and the outputs say nothing of them', async () => {
    fake.failNext({ kind: 'raw', status: 200, path: CREATE_PATH, body: '{"errcode":0}' });
    const run = await runStory('create', base());
    expect(run.exitCode).toBe(0);
    expect(infos(run).at(-1)).toBe(`Created service "${SERVICE}".`);
    expect(run.outputs).toStrictEqual(outputs({ errcode: '0', errmsg: '', rid: '' }, { created: true, existed: false }));
  });

  describe('present: as if_exists says', () => {
    it('skip (the default): success, nothing created; the outputs carry the lookup’s answer', async () => {
      fake.addService(ENV, 'pr-41');
      fake.addService(ENV, SERVICE);
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP]);
      const lookup = fake.requests[0];
      expect(run.outputs).toStrictEqual(outputs(answerOf(lookup), { created: false, existed: true }));
      expect(infos(run)).toEqual([FIRST_LINE, SKIPPED]);
      expect(errors(run)).toEqual([]);
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Public access', 'true'],
        ['Existed before', 'true'],
        REACH_ROW(),
        ['Result', 'already there: nothing created (if_exists: skip)'],
        ['errcode', '0'],
        ['rid', `<code>${ridOf(lookup)}</code>`],
      ]);
    });

    it('fail: exit 1, one line naming the service and the environment; no create', async () => {
      fake.addService(ENV, SERVICE);
      const run = await runStory('create', base({ if_exists: 'fail' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP]);
      // SPEC §2: decided on what the lookup showed, so it starts with the action's name and the outputs carry the lookup's answer.
      const line =
        `create: service "${SERVICE}" already exists in environment "${ENV}" and if_exists is fail: ` +
        'delete it first, choose another service_name, or set if_exists: skip';
      expect(errors(run)).toEqual([line]);
      const lookup = answerOf(fake.requestsTo(LIST_SERVICES_PATH)[0]);
      expect(run.outputs).toStrictEqual(outputs(lookup, { created: false, existed: true }));
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Public access', 'true'],
        ['Existed before', 'true'],
        ['Result', html(line)],
        ['errcode', '0'],
        ['rid', `<code>${lookup.rid}</code>`],
      ]);
    });
  });

  describe('an unknown outcome: the service list tells (SPEC §3)', () => {
    it('a lost answer: one create, then a lookup finds it: created, with no answer to output', async () => {
      fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: CREATE_PATH });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP]);
      expect(fake.created).toEqual([`${ENV}/${SERVICE}`]);
      expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { created: true, existed: false }));
      const why = lostWhy(CREATE_PATH);
      expect(infos(run)).toEqual([
        FIRST_LINE,
        CREATING,
        post(),
        `Outcome unknown: ${why}. Looking at what is there before anything else.`,
        `The answer was lost (${why}), but service "${SERVICE}" is there now: this run created it.`,
      ]);
      expect(rows(run).slice(3)).toEqual([['Existed before', 'false'], REACH_ROW(), ['Result', 'created'], ['errcode', ''], ['rid', '']]);
    });

    it('a create that never arrived: the lookup shows it absent, it is sent again as attempt 2 of 3', async () => {
      fake.failNext({ kind: 'reset', path: CREATE_PATH });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP, CREATE]);
      expect(fake.created).toEqual([`${ENV}/${SERVICE}`]);
      const second = fake.requestsTo(CREATE_PATH)[1];
      expect(run.outputs).toStrictEqual(outputs(answerOf(second), { created: true, existed: false }));
      expect(infos(run)).toEqual([
        FIRST_LINE,
        CREATING,
        post(1),
        `Outcome unknown: ${lostWhy(CREATE_PATH)}. Looking at what is there before anything else.`,
        'The read shows it did not happen; retrying in 0.5 s (attempt 2 of 3)',
        post(2),
        `Created service "${SERVICE}" (rid: ${ridOf(second)}).`,
      ]);
    });

    it('with max_attempts 1, a create that never arrived ends the step: nothing changed, run again', async () => {
      fake.failNext({ kind: 'reset', path: CREATE_PATH });
      const run = await runStory('create', base({ max_attempts: '1' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP]);
      expect(errors(run)).toEqual([
        `createCloudbaseService failed: no answer on 1 attempt (the last: ${lostWhy(CREATE_PATH)}); ` +
          'a read after each showed it had not happened, so nothing changed: run the job again',
      ]);
      expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { created: false, existed: false }));
      expect(infos(run)).toContain(`POST ${url(CREATE_PATH)}`);
    });
  });

  describe('a create refused with an errcode SPEC §1.5 does not list: looked up again', () => {
    it('a name clash (created meanwhile) with if_exists skip: success, nothing created; the outputs carry the second lookup’s answer', async () => {
      fake.addService(ENV, SERVICE);
      // The first lookup misses it, as it would just before a concurrent run creates it.
      fake.failNext({ kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: EMPTY_SERVICES });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP]);
      expect(fake.requestsTo(CREATE_PATH)[0]?.answer?.['errcode']).toBe(-501000);
      const again = fake.requests[2];
      expect(run.outputs).toStrictEqual(outputs(answerOf(again), { created: false, existed: true }));
      expect(infos(run)).toEqual([
        FIRST_LINE,
        CREATING,
        post(),
        'The create was refused with errcode -501000 (ResourceInUse): looking again whether the service is there.',
        SKIPPED,
      ]);
      expect(rows(run).slice(3, 6)).toEqual([
        ['Existed before', 'true'],
        REACH_ROW(),
        ['Result', 'already there: nothing created (if_exists: skip)'],
      ]);
    });

    it('a name clash with if_exists fail: fails as if it had been there before', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext({ kind: 'raw', status: 200, path: LIST_SERVICES_PATH, body: EMPTY_SERVICES });
      const run = await runStory('create', base({ if_exists: 'fail' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP]);
      expect(errors(run)).toEqual([
        `create: service "${SERVICE}" already exists in environment "${ENV}" and if_exists is fail: ` +
          'delete it first, choose another service_name, or set if_exists: skip',
      ]);
      // existed: another run created it while this one ran (SPEC v3); the outputs carry the second lookup's answer.
      expect(run.outputs).toStrictEqual(outputs(answerOf(fake.requestsTo(LIST_SERVICES_PATH)[1]), { created: false, existed: true }));
    });

    it('still absent: fails with that errcode, its errmsg and rid; the outputs carry the create’s answer', async () => {
      fake.failNext({
        kind: 'errcode',
        errcode: -501000,
        errmsg: 'tcb api error TcbCode: [LimitExceeded] TcbMessage: [quota]',
        path: CREATE_PATH,
      });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP]);
      const create = fake.requestsTo(CREATE_PATH)[0];
      const { rid } = answerOf(create);
      // SPEC §1.5: a LimitExceeded TcbCode says the environment is full and points at prune.
      const line =
        'createCloudbaseService failed: errcode -501000 (tcb api error TcbCode: [LimitExceeded] TcbMessage: [quota]): ' +
        'the environment has reached a quota (CloudBase documents 15 services per environment): delete the services no longer needed, ' +
        `e.g. with the prune action (prefix: pr-) for the previews of closed pull requests, then run again rid: ${rid}`;
      expect(errors(run)).toEqual([line]);
      expect(infos(run).at(-1)).toBe(
        'The create was refused with errcode -501000 (LimitExceeded): looking again whether the service is there.',
      );
      expect(run.outputs).toStrictEqual(outputs(answerOf(create), { created: false, existed: false }));
      expect(rows(run).slice(2)).toEqual([
        ['Public access', 'true'],
        ['Result', html(line)],
        ['errcode', '-501000'],
        ['rid', `<code>${rid}</code>`],
      ]);
    });

    it('an errmsg without a TcbCode: the log names the errcode alone', async () => {
      fake.failNext({ kind: 'errcode', errcode: 89999, errmsg: 'something new', path: CREATE_PATH });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP]);
      expect(infos(run).at(-1)).toBe('The create was refused with errcode 89999: looking again whether the service is there.');
      expect(errors(run)).toEqual([
        `createCloudbaseService failed: errcode 89999 (something new) rid: ${ridOf(fake.requestsTo(CREATE_PATH)[0])}`,
      ]);
    });

    it('a second lookup that fails is one warning; the create’s failure stands', async () => {
      fake.failNext(
        { kind: 'delay', ms: 0, path: LIST_SERVICES_PATH },
        { kind: 'errcode', errcode: -501000, errmsg: 'tcb api error TcbCode: [InternalError] TcbMessage: [x]', path: CREATE_PATH },
        { kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH },
      );
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE, LOOKUP]);
      expect(warnings(run)).toEqual([
        'Could not look again: getcslist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: ' +
          `check its permission sets in the WeChat Open Platform console rid: ${ridOf(fake.requests[2])}`,
      ]);
      const create = fake.requestsTo(CREATE_PATH)[0];
      expect(errors(run)).toEqual([
        `createCloudbaseService failed: errcode -501000 (tcb api error TcbCode: [InternalError] TcbMessage: [x]) rid: ${ridOf(create)}`,
      ]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(create), { created: false, existed: false }));
    });

    it('an errcode SPEC §1.5 lists is not looked up again: it fails at once with its remedy', async () => {
      fake.failNext({ kind: 'errcode', errcode: 40097, errmsg: 'invalid args', path: CREATE_PATH });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE]);
      const create = fake.requestsTo(CREATE_PATH)[0];
      expect(errors(run)).toEqual([
        'createCloudbaseService failed: errcode 40097 (invalid args): WeChat rejected a parameter: check env_id, service_name and the other inputs ' +
          `of this step rid: ${ridOf(create)}`,
      ]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(create), { created: false, existed: false }));
    });
  });

  describe('a refused lookup (SPEC §2)', () => {
    it.each([
      [40001, 'invalid credential'],
      [40014, 'invalid access_token'],
      [41001, 'access_token missing'],
      [42001, 'access_token expired'],
      [45009, 'reach max api daily quota limit'],
      [61004, 'access clientip is not registered requestIP: 127.0.0.1'],
      [85088, 'no qbase privilege'],
      [-1, 'system error'],
    ])('for a reason that would stop the create too (%i) fails the step with that errcode; nothing created', async (errcode, errmsg) => {
      fake.failNext({ kind: 'errcode', errcode, errmsg, path: LIST_SERVICES_PATH });
      const run = await runStory('create', base({ max_attempts: '1' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP]);
      const lookup = fake.requests[0];
      const [line, ...more] = errors(run);
      expect(more).toEqual([]);
      expect(line?.startsWith(`getcslist failed: errcode ${errcode} (${errmsg}): `)).toBe(true);
      expect(line?.endsWith(` rid: ${ridOf(lookup)}`)).toBe(true);
      expect(warnings(run)).toEqual([]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(lookup), { created: false, existed: false }));
      expect(fake.created).toEqual([]);
    });

    it('for another reason (48001, the call not available to this platform) is one warning, and the create goes ahead', async () => {
      fake.failAlways({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, CREATE]);
      expect(warnings(run)).toEqual([
        'getcslist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: check its permission sets ' +
          `in the WeChat Open Platform console rid: ${ridOf(fake.requests[0])}. The action cannot tell whether service "${SERVICE}" exists, ` +
          'so it creates it; if the answer to the create is lost, it cannot look either',
      ]);
      const create = fake.requestsTo(CREATE_PATH)[0];
      expect(run.outputs).toStrictEqual(outputs(answerOf(create), { created: true, existed: false }));
      expect(infos(run).slice(0, 2)).toEqual([
        FIRST_LINE,
        `Service "${SERVICE}" is not in environment "${ENV}" as far as the action can tell: creating it.`,
      ]);
    });

    it('then a create refused with an undocumented errcode is not looked up again', async () => {
      fake.failAlways({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH });
      fake.failNext({
        kind: 'errcode',
        errcode: -501000,
        errmsg: 'tcb api error TcbCode: [ResourceInUse] TcbMessage: [x]',
        path: CREATE_PATH,
      });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE]);
      expect(errors(run)).toEqual([
        `createCloudbaseService failed: errcode -501000 (tcb api error TcbCode: [ResourceInUse] TcbMessage: [x]) rid: ${ridOf(fake.requests[1])}`,
      ]);
    });

    it('then an unknown outcome stays unknown, and the failure says why', async () => {
      fake.failAlways({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH });
      fake.failNext({ kind: 'reset', path: CREATE_PATH });
      const run = await runStory('create', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, CREATE]);
      expect(errors(run)).toEqual([
        `createCloudbaseService failed: outcome unknown: ${lostWhy(CREATE_PATH)}; ` +
          'the read that would tell what happened failed too (getcslist is not available to this platform): check the CloudBase console before running again',
      ]);
      expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { created: false, existed: false }));
    });

    it('a lookup with no WeChat answer after its attempts fails the step; nothing created', async () => {
      fake.failAlways({ kind: 'html-502', path: LIST_SERVICES_PATH });
      const run = await runStory('create', base({ max_attempts: '1' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP]);
      expect(errors(run)).toEqual([
        `getcslist failed: HTTP 502 Bad Gateway from ${url(LIST_SERVICES_PATH)}, and the body is not JSON (it does not parse): ${BAD_GATEWAY}`,
      ]);
      expect(warnings(run)).toEqual([]);
      expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { created: false, existed: false }));
    });
  });

  describe('dry run', () => {
    it('sends nothing, not even a lookup; shows the lookup and the create with the token and the password as ***', async () => {
      fake.addService(ENV, SERVICE);
      const run = await runStory('create', base({ dry_run: 'true', es_info: `{"password":"${ES_PASSWORD}"}` }));
      expect(run.exitCode).toBe(0);
      expect(fake.requests).toEqual([]);
      expect(infos(run)).toEqual([
        FIRST_LINE,
        'Dry run: the inputs are valid; nothing is sent to WeChat.',
        `Would POST ${url(LIST_SERVICES_PATH)}?access_token=*** with:`,
        '{',
        `  "env": "${ENV}",`,
        '  "offset": 0,',
        '  "limit": 20',
        '}',
        'and, when the service is not listed:',
        `Would POST ${url(CREATE_PATH)}?access_token=*** with:`,
        '{',
        `  "env_id": "${ENV}",`,
        `  "service_name": "${SERVICE}",`,
        '  "is_public": true,',
        '  "es_info": {',
        '    "password": "***"',
        '  }',
        '}',
      ]);
      expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { created: false, existed: false }));
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Public access', 'true'],
        ['Result', 'dry run: validated, nothing sent'],
        ['errcode', ''],
        ['rid', ''],
      ]);
    });

    it('with the platform credentials: shows the token request first, its secrets as ***, and asks for no token', async () => {
      const run = await runStory(
        'create',
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
      expect(infos(run).slice(1, 8)).toEqual([
        'Dry run: the inputs are valid; nothing is sent to WeChat.',
        `Would POST ${url(TOKEN_PATH)} with:`,
        '{',
        `  "component_appid": "${fake.platform.appid}",`,
        '  "component_appsecret": "***",',
        '  "component_verify_ticket": "***"',
        '}',
      ]);
      expect(infos(run).join('\n')).not.toContain(fake.platform.appsecret);
      expect(infos(run).join('\n')).not.toContain(fake.platform.verifyTicket);
    });
  });

  it('obtains a token from the platform credentials, masks it before using it, and uses it for every call', async () => {
    const run = await runStory(
      'create',
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
    expect(tokenRequest?.query).toStrictEqual({});
    expect(tokenRequest?.json).toStrictEqual({
      component_appid: fake.platform.appid,
      component_appsecret: fake.platform.appsecret,
      component_verify_ticket: fake.platform.verifyTicket,
    });
    const issued = String(tokenRequest?.answer?.['component_access_token']);
    expect(sent(issued).slice(1)).toStrictEqual([LOOKUP, CREATE]);
    expect(commands(run, 'notice')).toEqual([
      "Obtained a new component_access_token (masked). WeChat may end the previous token about 5 minutes later: if the platform's own backend uses it, pass access_token from the platform's token service instead.",
      REACH_NOTICE(),
    ]);
    expect(run.stdout.indexOf(`::add-mask::${issued}`)).toBeGreaterThan(0);
    expect(run.stdout.indexOf(`::add-mask::${issued}`)).toBeLessThan(run.stdout.indexOf(LIST_SERVICES_PATH));
    expect(run.outputs['created']).toBe('true');
    // The token call reads: it is a debug line, as the lookup is.
    expect(infos(run)).toEqual([
      FIRST_LINE,
      CREATING,
      post(),
      `Created service "${SERVICE}" (rid: ${ridOf(fake.requestsTo(CREATE_PATH)[0])}).`,
    ]);
    expect(commands(run, 'debug').filter((line) => line.startsWith('POST '))).toEqual([
      `POST ${url(TOKEN_PATH)} (attempt 1 of 3)`,
      `POST ${url(LIST_SERVICES_PATH)} (attempt 1 of 3)`,
    ]);
  });

  it('a token step refused: its own failure line, and nothing looked up or created', async () => {
    const run = await runStory(
      'create',
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
      'api_component_token failed (the token step: no service was created): errcode 61005 (component ticket is expired): ' +
        'the component_verify_ticket has expired (it is valid 12 hours): pass the latest ticket WeChat pushed to your platform ' +
        `rid: ${ridOf(fake.requests[0])}`,
    ]);
    expect(run.outputs).toStrictEqual(outputs(answerOf(fake.requests[0]), { created: false, existed: false }));
  });

  it('a token in an errmsg is blanked in the failure line, the outputs and the summary', async () => {
    fake.failNext({ kind: 'errcode', errcode: 40014, errmsg: `invalid access_token ${TOKEN}`, path: LIST_SERVICES_PATH });
    const run = await runStory('create', base());
    expect(run.exitCode).toBe(1);
    const rid = ridOf(fake.requests[0]);
    expect(run.outputs['errmsg']).toBe(`invalid access_token *** rid: ${rid}`);
    expect(errors(run)[0]).toMatch(/^getcslist failed: errcode 40014 \(invalid access_token \*\*\*\): /);
    expect(run.summary).not.toContain(TOKEN);
    expect(readFileSync(outputsFile, 'utf8')).not.toContain(TOKEN);
  });
});

// ── delete ────────────────────────────────────────────────────────────────────────────

describe('delete', () => {
  const base = (more: Record<string, string> = {}) => ({
    access_token: TOKEN,
    env_id: ENV,
    service_name: SERVICE,
    api_base_url: fake.url,
    ...more,
  });
  const outputs = (answer: object, own: { deleted: boolean; existed: boolean }) => ({
    ...answer,
    env_id: ENV,
    service_name: SERVICE,
    deleted: String(own.deleted),
    existed: String(own.existed),
  });
  const FIRST_LINE = `Deleting CloudBase Run service "${SERVICE}" in environment "${ENV}"`;
  const post = (path: string, attempt = 1) => `POST ${url(path)} (attempt ${attempt} of 3)`;

  describe('a service that is not there', () => {
    it('if_missing skip (the default): success, only the lookup sent; the outputs carry its answer', async () => {
      fake.addService(ENV, 'pr-41');
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP]);
      const lookup = fake.requests[0];
      expect(run.outputs).toStrictEqual(outputs(answerOf(lookup), { deleted: false, existed: false }));
      expect(infos(run)).toEqual([
        FIRST_LINE,
        `Service "${SERVICE}" is not in environment "${ENV}": nothing to delete (if_missing: skip).`,
      ]);
      expect(heading(run)).toBe('CloudBase Run service deleted');
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Existed before', 'false'],
        ['Result', 'already gone: nothing deleted (if_missing: skip)'],
        ['errcode', '0'],
        ['rid', `<code>${ridOf(lookup)}</code>`],
      ]);
      expect(fake.services(ENV)).toEqual(['pr-41']);
    });

    it('if_missing fail: exit 1, one line naming the service and the environment', async () => {
      const run = await runStory('delete', base({ if_missing: 'fail' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP]);
      const line =
        `delete: service "${SERVICE}" does not exist in environment "${ENV}" and if_missing is fail: ` +
        'check service_name and env_id, or set if_missing: skip';
      expect(errors(run)).toEqual([line]);
      const lookup = answerOf(fake.requestsTo(LIST_SERVICES_PATH)[0]);
      expect(run.outputs).toStrictEqual(outputs(lookup, { deleted: false, existed: false }));
      expect(rows(run).slice(2)).toEqual([
        ['Existed before', 'false'],
        ['Result', html(line)],
        ['errcode', '0'],
        ['rid', `<code>${lookup.rid}</code>`],
      ]);
    });
  });

  describe('a service that is there', () => {
    it('without versions: delcontainerservice {env, service_name}; the outputs carry its answer', async () => {
      fake.addService(ENV, SERVICE);
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, DELETE_SERVICE, LOOKUP]);
      const del = fake.requestsTo(DELETE_SERVICE_PATH)[0];
      const { rid } = answerOf(del);
      expect(run.outputs).toStrictEqual(outputs(answerOf(del), { deleted: true, existed: true }));
      expect(infos(run)).toEqual([
        FIRST_LINE,
        `Service "${SERVICE}" has no versions: deleting the service.`,
        post(DELETE_SERVICE_PATH),
        `Deleted service "${SERVICE}" (rid: ${rid}).`,
      ]);
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Existed before', 'true'],
        ['Result', 'deleted'],
        ['errcode', '0'],
        ['rid', `<code>${rid}</code>`],
      ]);
      expect(fake.services(ENV)).toEqual([]);
    });

    it('with versions: each in ascending flow_ratio (no traffic first), only the last with is_delete_server', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-003', flow_ratio: 70 },
        { version_name: 'pr-42-001', flow_ratio: 0 },
        { version_name: 'pr-42-002', flow_ratio: 30 },
      ]);
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([
        LOOKUP,
        VERSIONS,
        deleteVersion('pr-42-001'),
        deleteVersion('pr-42-002'),
        deleteVersion('pr-42-003', true),
        LOOKUP,
      ]);
      const last = fake.requestsTo(DELETE_VERSION_PATH)[2];
      const { rid } = answerOf(last);
      expect(run.outputs).toStrictEqual(outputs(answerOf(last), { deleted: true, existed: true }));
      expect(infos(run)).toEqual([
        FIRST_LINE,
        'Deleting version "pr-42-001" (1 of 3).',
        post(DELETE_VERSION_PATH),
        'Deleting version "pr-42-002" (2 of 3).',
        post(DELETE_VERSION_PATH),
        'Deleting version "pr-42-003" (3 of 3), and with it the service.',
        post(DELETE_VERSION_PATH),
        `Deleted service "${SERVICE}" (rid: ${rid}).`,
      ]);
      expect(rows(run).slice(2)).toEqual([
        ['Existed before', 'true'],
        ['Versions deleted', 'pr-42-001, pr-42-002, pr-42-003'],
        ['Result', 'deleted'],
        ['errcode', '0'],
        ['rid', `<code>${rid}</code>`],
      ]);
      expect(fake.services(ENV)).toEqual([]);
    });

    it('orders by flow_ratio as a number when the list gives it as text, and a version without one first', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-a', flow_ratio: 100 },
        { version_name: 'pr-42-b', flow_ratio: 5 },
        { version_name: 'pr-42-c', flow_ratio: 30 },
        { version_name: 'pr-42-d', flow_ratio: 0 },
      ]);
      const body = JSON.stringify({
        errcode: 0,
        errmsg: 'ok rid: 1',
        total: 4,
        items: [
          { version_name: 'pr-42-a', status: 'normal', flow_ratio: '100' },
          { version_name: 'pr-42-b', status: 'normal', flow_ratio: '5' },
          { version_name: 'pr-42-c', status: 'normal', flow_ratio: '30' },
          { version_name: 'pr-42-d', status: 'normal' },
        ],
      });
      fake.failNext({ kind: 'raw', status: 200, path: LIST_VERSIONS_PATH, body });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent().slice(2)).toStrictEqual([
        deleteVersion('pr-42-d'),
        deleteVersion('pr-42-b'),
        deleteVersion('pr-42-c'),
        deleteVersion('pr-42-a', true),
        LOOKUP,
      ]);
    });

    it('on a later page of getcslist: paged by the items each page returned', async () => {
      fake.pageCap = 2;
      fake.addService(ENV, 'pr-1');
      fake.addService(ENV, 'pr-2');
      fake.addService(ENV, SERVICE);
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      const secondPage: [string, unknown] = ['getcslist', { env: ENV, offset: 2, limit: 20 }];
      expect(sent()).toStrictEqual([LOOKUP, secondPage, VERSIONS, DELETE_SERVICE, LOOKUP]);
    });
  });

  it('a delete answered without a rid: the log names none', async () => {
    fake.addService(ENV, SERVICE);
    fake.failNext({
      kind: 'act-then',
      path: DELETE_SERVICE_PATH,
      fault: { kind: 'raw', status: 200, body: '{"errcode":0,"errmsg":"ok"}' },
    });
    const run = await runStory('delete', base());
    expect(run.exitCode).toBe(0);
    expect(infos(run).at(-1)).toBe(`Deleted service "${SERVICE}".`);
    expect(run.outputs).toStrictEqual(outputs({ errcode: '0', errmsg: 'ok', rid: '' }, { deleted: true, existed: true }));
  });

  it('reads every page of the version list before deleting any', async () => {
    fake.pageCap = 2;
    fake.addService(ENV, SERVICE, [
      { version_name: 'pr-42-001', flow_ratio: 50 },
      { version_name: 'pr-42-002', flow_ratio: 0 },
      { version_name: 'pr-42-003', flow_ratio: 50 },
    ]);
    const run = await runStory('delete', base());
    expect(run.exitCode).toBe(0);
    expect(sent()).toStrictEqual([
      LOOKUP,
      VERSIONS,
      ['getcsversionlist', { env: ENV, service_name: SERVICE, offset: 2, limit: 20 }],
      deleteVersion('pr-42-002'),
      deleteVersion('pr-42-001'),
      deleteVersion('pr-42-003', true),
      LOOKUP,
    ]);
  });

  describe('a delete that checks (issue 17): succeeds only when a lookup shows the service gone', () => {
    it('a version created while it runs (a deploy still running): listed and deleted again in a second round', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
      // Right after the version list, another run creates a version: the last delete no longer takes the service with it.
      fake.after(LIST_VERSIONS_PATH, () => fake.addVersion(ENV, SERVICE, { version_name: 'pr-42-002', status: 'building' }));
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([
        LOOKUP,
        VERSIONS,
        deleteVersion('pr-42-001', true),
        LOOKUP,
        VERSIONS,
        deleteVersion('pr-42-002', true),
        LOOKUP,
      ]);
      expect(infos(run)).toContain(`Service "${SERVICE}" is still listed: deleting what it has now (round 2 of 3).`);
      const last = fake.requestsTo(DELETE_VERSION_PATH)[1];
      expect(run.outputs).toStrictEqual(outputs(answerOf(last), { deleted: true, existed: true }));
      expect(rows(run)).toContainEqual(['Versions deleted', 'pr-42-001, pr-42-002']);
      expect(fake.services(ENV)).toEqual([]);
    });

    it('still there after 3 rounds: fails naming the versions left, deleted false', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001' }]);
      let next = 2;
      const keepDeploying = () => {
        fake.addVersion(ENV, SERVICE, { version_name: `pr-42-00${next++}`, status: 'building' });
        fake.after(LIST_VERSIONS_PATH, keepDeploying);
      };
      fake.after(LIST_VERSIONS_PATH, keepDeploying);
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(1);
      expect(calls(fake.requests)).toEqual([
        'getcslist',
        ...['getcsversionlist', 'deletecloudbaserunserverversion', 'getcslist'],
        ...['getcsversionlist', 'deletecloudbaserunserverversion', 'getcslist'],
        ...['getcsversionlist', 'deletecloudbaserunserverversion', 'getcslist'],
        'getcsversionlist',
      ]);
      expect(errors(run)).toEqual([
        `delete: service "${SERVICE}" is still there after 3 rounds of deletes (versions left: pr-42-004): ` +
          'something keeps deploying to it (a deploy or another workflow run): stop it, then run the delete again',
      ]);
      expect(run.outputs['deleted']).toBe('false');
      expect(run.outputs['existed']).toBe('true');
    });
  });

  describe('never deletes twice (SPEC §3)', () => {
    it('a lost answer: a lookup shows the service gone; not repeated; no answer to output', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_SERVICE_PATH });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, DELETE_SERVICE, LOOKUP, LOOKUP]);
      expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { deleted: true, existed: true }));
      const why = lostWhy(DELETE_SERVICE_PATH);
      expect(infos(run)).toEqual([
        FIRST_LINE,
        `Service "${SERVICE}" has no versions: deleting the service.`,
        post(DELETE_SERVICE_PATH),
        `Outcome unknown: ${why}. Looking at what is there before anything else.`,
        `The answer was lost (${why}), but a read shows it was deleted.`,
        `Deleted service "${SERVICE}".`,
      ]);
      expect(rows(run).slice(2)).toEqual([
        ['Existed before', 'true'],
        ['Result', 'deleted'],
        ['errcode', ''],
        ['rid', ''],
      ]);
    });

    it('a lost answer to a version delete that is not the last: the version list shows it gone; the next one goes on', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 0 },
        { version_name: 'pr-42-002', flow_ratio: 100 },
      ]);
      fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: DELETE_VERSION_PATH });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([
        LOOKUP,
        VERSIONS,
        deleteVersion('pr-42-001'),
        LOOKUP,
        VERSIONS,
        deleteVersion('pr-42-002', true),
        LOOKUP,
      ]);
      const last = fake.requestsTo(DELETE_VERSION_PATH)[1];
      expect(run.outputs).toStrictEqual(outputs(answerOf(last), { deleted: true, existed: true }));
      expect(fake.services(ENV)).toEqual([]);
    });

    it('a version delete that never arrived: the version is still listed, so it is sent again', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 0 },
        { version_name: 'pr-42-002', flow_ratio: 100 },
      ]);
      fake.failNext({ kind: 'reset', path: DELETE_VERSION_PATH });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([
        LOOKUP,
        VERSIONS,
        deleteVersion('pr-42-001'),
        LOOKUP,
        VERSIONS,
        deleteVersion('pr-42-001'),
        deleteVersion('pr-42-002', true),
        LOOKUP,
      ]);
      expect(fake.services(ENV)).toEqual([]);
    });

    it('a delete that never arrived: the lookup shows the service still there, so it is sent again as attempt 2 of 3', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext({ kind: 'reset', path: DELETE_SERVICE_PATH });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, DELETE_SERVICE, LOOKUP, DELETE_SERVICE, LOOKUP]);
      expect(infos(run).filter((line) => line.startsWith('POST '))).toEqual([post(DELETE_SERVICE_PATH, 1), post(DELETE_SERVICE_PATH, 2)]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(fake.requestsTo(DELETE_SERVICE_PATH)[1]), { deleted: true, existed: true }));
    });
  });

  describe('refusals', () => {
    it('a version delete refused: its failure line; the outputs carry its answer; nothing said deleted', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 0 },
        { version_name: 'pr-42-002', flow_ratio: 100 },
      ]);
      fake.failNext({ kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: DELETE_VERSION_PATH });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, deleteVersion('pr-42-001')]);
      const refused = fake.requestsTo(DELETE_VERSION_PATH)[0];
      const line =
        'deletecloudbaserunserverversion failed: errcode 45009 (reach max api daily quota limit): the daily API quota is used up: ' +
        `wait for it to reset, or clear it with the clear_quota API rid: ${ridOf(refused)}`;
      expect(errors(run)).toEqual([line]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(refused), { deleted: false, existed: true }));
      expect(rows(run).slice(2)).toEqual([
        ['Existed before', 'true'],
        ['Result', html(line)],
        ['errcode', '45009'],
        ['rid', `<code>${ridOf(refused)}</code>`],
      ]);
    });

    it('a service delete refused: its failure line', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext({
        kind: 'errcode',
        errcode: -501000,
        errmsg: 'tcb api error TcbCode: [OperationDenied] TcbMessage: [x]',
        path: DELETE_SERVICE_PATH,
      });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(1);
      const refused = fake.requestsTo(DELETE_SERVICE_PATH)[0];
      expect(errors(run)).toEqual([
        `delcontainerservice failed: errcode -501000 (tcb api error TcbCode: [OperationDenied] TcbMessage: [x]) rid: ${ridOf(refused)}`,
      ]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(refused), { deleted: false, existed: true }));
    });

    it('a lookup refused (48001): fails with that errcode, no warning, nothing deleted', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_SERVICES_PATH });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP]);
      expect(errors(run)).toEqual([
        'getcslist failed: errcode 48001 (api unauthorized): the third-party platform has no permission for this call: ' +
          `check its permission sets in the WeChat Open Platform console rid: ${ridOf(fake.requests[0])}`,
      ]);
      expect(warnings(run)).toEqual([]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(fake.requests[0]), { deleted: false, existed: false }));
    });

    it('a version list refused: fails with that errcode, nothing deleted', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
      fake.failNext({ kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', path: LIST_VERSIONS_PATH });
      const run = await runStory('delete', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(fake.requests[1]), { deleted: false, existed: true }));
      expect(fake.versions(ENV, SERVICE).map((v) => v.version_name)).toEqual(['pr-42-001']);
    });
  });

  it('dry run: sends nothing; shows the reads, then the deletes their answers decide between', async () => {
    fake.addService(ENV, SERVICE);
    const run = await runStory('delete', base({ dry_run: 'true' }));
    expect(run.exitCode).toBe(0);
    expect(fake.requests).toEqual([]);
    expect(infos(run)).toEqual([
      FIRST_LINE,
      'Dry run: the inputs are valid; nothing is sent to WeChat.',
      `Would POST ${url(LIST_SERVICES_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      '  "offset": 0,',
      '  "limit": 20',
      '}',
      'and, when the service is listed:',
      `Would POST ${url(LIST_VERSIONS_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      `  "service_name": "${SERVICE}",`,
      '  "offset": 0,',
      '  "limit": 20',
      '}',
      'then, when it has no versions:',
      `Would POST ${url(DELETE_SERVICE_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      `  "service_name": "${SERVICE}"`,
      '}',
      'or, for each version, no traffic first (is_delete_server only on the last):',
      `Would POST ${url(DELETE_VERSION_PATH)}?access_token=*** with:`,
      '{',
      `  "env_id": "${ENV}",`,
      `  "server_name": "${SERVICE}",`,
      '  "version_name": "<version_name>",',
      '  "is_delete_server": true',
      '}',
    ]);
    expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, { deleted: false, existed: false }));
    expect(rows(run).slice(2)).toEqual([
      ['Result', 'dry run: validated, nothing sent'],
      ['errcode', ''],
      ['rid', ''],
    ]);
    expect(fake.services(ENV)).toEqual([SERVICE]);
  });
});

// ── deploy ────────────────────────────────────────────────────────────────────────────

describe('deploy', () => {
  const base = (more: Record<string, string> = {}) => ({
    access_token: TOKEN,
    env_id: ENV,
    service_name: SERVICE,
    image_url: IMAGE,
    api_base_url: fake.url,
    ...more,
  });
  // SPEC §1.4 with the defaults of SPEC §2's deploy inputs.
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
  const CREATE: [string, unknown] = ['createcloudbaserunserverversion', CREATE_DEFAULTS];
  const polls = (n: number) => Array<[string, unknown]>(n).fill(VERSIONS);
  const createAnswer = () => fake.requestsTo(CREATE_VERSION_PATH)[0];
  const runIdOf = (request: ReceivedRequest | undefined) => {
    const runId = String(request?.answer?.['run_id']);
    expect(runId).toMatch(/^run-[0-9a-f]{16}$/);
    return runId;
  };
  const outputs = (answer: object, version_name: string, status: string, run_id: string) => ({
    ...answer,
    env_id: ENV,
    service_name: SERVICE,
    version_name,
    status,
    run_id,
    pruned: '',
  });
  /** The outputs of a run whose version create WeChat answered. */
  const answered = (version_name: string, status: string) =>
    outputs(answerOf(createAnswer()), version_name, status, runIdOf(createAnswer()));
  /** SPEC §2: a failure decided on what the last poll showed carries that read's answer. */
  const lastPoll = () => answerOf(fake.requestsTo(LIST_VERSIONS_PATH).at(-1));
  const polled = (version_name: string, status: string) => outputs(lastPoll(), version_name, status, runIdOf(createAnswer()));
  const FIRST_LINE = `Deploying ${IMAGE} to CloudBase Run service "${SERVICE}" in environment "${ENV}"`;
  const post = () => `POST ${url(CREATE_VERSION_PATH)} (attempt 1 of 3)`;
  const created = () => `Created version "pr-42-001" (rid: ${ridOf(createAnswer())}).`;
  const summaryRows = (version: string, status: string, took: string, result: string, answer: { errcode: string; rid: string }) => [
    ['Environment', `<code>${ENV}</code>`],
    ['Service', `<code>${SERVICE}</code>`],
    ['Image', IMAGE],
    ['Version', version],
    ['Status', status],
    ['Took', took],
    // Once deployed, how a mini program reaches it (SPEC §3).
    ...(result.startsWith('deployed') || result.startsWith('version created') ? [REACH_ROW()] : []),
    ['Result', html(result)],
    ['errcode', answer.errcode],
    ['rid', answer.rid === '' ? '' : `<code>${answer.rid}</code>`],
  ];

  describe('wait (the default)', () => {
    it('creates the version with the body SPEC §1.4 gives, polls right away, after 5 s and 7.5 s, until normal', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building', reads: 2 }, { status: 'normal' }];
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(3)]);
      expect(clock.sleeps).toEqual([5000, 7500]);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', 'normal'));
      expect(errors(run)).toEqual([]);
      expect(warnings(run)).toEqual([]);
      // Each status change once, with the time since the create answer.
      expect(infos(run)).toEqual([
        FIRST_LINE,
        post(),
        created(),
        'Version "pr-42-001": building (after 0 s)',
        'Version "pr-42-001": normal (after 13 s)',
      ]);
      expect(heading(run)).toBe('CloudBase Run deployment');
      expect(rows(run)).toEqual(summaryRows('pr-42-001', 'normal', '13 s', 'deployed: the version runs', answerOf(createAnswer())));
    });

    it('sends every deploy input it is given, env_params as a JSON string, the registry password masked', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'normal' }];
      const run = await runStory(
        'deploy',
        base({
          container_port: '8080',
          cpu: '0.5',
          mem: '1',
          min_num: '1',
          max_num: '3',
          policy_type: 'mem',
          policy_threshold: '70',
          flow_ratio: '50',
          env_params: '{"NODE_ENV":"preview"}',
          version_remark: 'pr 42 at 1a2b3c4',
          image_secret_info: JSON.stringify({ registry_server: 'ccr.ccs.tencentyun.com', user_name: 'u', password: REGISTRY_PASSWORD }),
        }),
      );
      expect(run.exitCode).toBe(0);
      expect(sent()[2]).toStrictEqual([
        'createcloudbaserunserverversion',
        {
          env_id: ENV,
          server_name: SERVICE,
          upload_type: 'image',
          flow_ratio: 50,
          cpu: 0.5,
          mem: 1,
          min_num: 1,
          max_num: 3,
          policy_type: 'mem',
          policy_threshold: 70,
          container_port: 8080,
          image_info: { image_url: IMAGE },
          env_params: '{"NODE_ENV":"preview"}',
          version_remark: 'pr 42 at 1a2b3c4',
          image_secret_info: { registry_server: 'ccr.ccs.tencentyun.com', user_name: 'u', password: REGISTRY_PASSWORD },
        },
      ]);
      expect(run.stdout.split('\n').slice(0, 2)).toEqual([`::add-mask::${TOKEN}`, `::add-mask::${REGISTRY_PASSWORD}`]);
      expect(run.stdout.split(`::add-mask::${REGISTRY_PASSWORD}`).join('')).not.toContain(REGISTRY_PASSWORD);
      expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": normal (after 0 s)']);
    });

    it('waits 5 s, then 1.5 times longer each time, at most 15 s', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building', reads: 7 }, { status: 'normal' }];
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(0);
      expect(clock.sleeps).toEqual([5000, 7500, 11_250, 15_000, 15_000, 15_000, 15_000]);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(8)]);
      expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": building (after 0 s)', 'Version "pr-42-001": normal (after 84 s)']);
      expect(rows(run)[5]).toEqual(['Took', '84 s']);
    });

    it('build_fail: one line that says to look at the build log; the version and its status are outputs', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'build_fail' }];
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(2)]);
      expect(clock.sleeps).toEqual([5000]);
      const line =
        'deploy: version "pr-42-001" failed to build (build_fail): look at its build log in the CloudBase console ' +
        '(service → versions), fix the image or its settings, then deploy again';
      expect(errors(run)).toEqual([line]);
      expect(run.outputs).toStrictEqual(polled('pr-42-001', 'build_fail'));
      expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": building (after 0 s)', 'Version "pr-42-001": build_fail (after 5 s)']);
      expect(rows(run)).toEqual(summaryRows('pr-42-001', 'build_fail', '5 s', line, lastPoll()));
    });

    it('the deadline: the last wait is cut at it, one read there, then a failure that says it may still come up', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building' }];
      const run = await runStory('deploy', base({ wait_timeout_seconds: '20' }));
      expect(run.exitCode).toBe(1);
      // Reads at 0, 5, 12.5 and 20 s: the third wait (11.25 s) is cut to the 7.5 s left.
      expect(clock.sleeps).toEqual([5000, 7500, 7500]);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(4)]);
      const line =
        'deploy: version "pr-42-001" is not running 20 s after it was created (last status: building); ' +
        'it may still come up: look at it in the CloudBase console, or raise wait_timeout_seconds';
      expect(errors(run)).toEqual([line]);
      expect(run.outputs).toStrictEqual(polled('pr-42-001', 'building'));
      expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": building (after 0 s)']);
      expect(rows(run)).toEqual(summaryRows('pr-42-001', 'building', '20 s', line, lastPoll()));
    });

    it('the deadline, with the version never listed: says so in the log, the failure and the outputs', async () => {
      fake.addService(ENV, SERVICE);
      fake.omitVersionName = true;
      fake.failAlways({
        kind: 'raw',
        status: 200,
        path: LIST_VERSIONS_PATH,
        body: '{"errcode":0,"errmsg":"ok rid: 1","total":0,"items":[]}',
      });
      const run = await runStory('deploy', base({ wait_timeout_seconds: '5' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(2)]);
      expect(clock.sleeps).toEqual([5000]);
      const line =
        'deploy: version (not listed yet) is not running 5 s after it was created (last status: not listed yet); ' +
        'it may still come up: look at it in the CloudBase console, or raise wait_timeout_seconds';
      expect(errors(run)).toEqual([line]);
      expect(infos(run).slice(2)).toEqual([
        `Created version (its name is not known yet) (rid: ${ridOf(createAnswer())}).`,
        'Version (not listed yet): not listed yet (after 0 s)',
      ]);
      // The last read's answer: the raw list above.
      const read = { errcode: '0', errmsg: 'ok rid: 1', rid: '1' };
      expect(run.outputs).toStrictEqual(outputs(read, '', '', runIdOf(createAnswer())));
      expect(warnings(run)).toEqual([]);
      expect(rows(run)).toEqual(summaryRows('', '', '5 s', line, read));
    });

    it('finds the version as the one not listed before when the answer has no version_name', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-old' }]);
      fake.omitVersionName = true;
      fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(0);
      expect(createAnswer()?.answer).not.toHaveProperty('version_name');
      expect(warnings(run)).toEqual([]);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(2)]);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', 'normal'));
      expect(infos(run).slice(2)).toEqual([
        `Created version (its name is not known yet) (rid: ${ridOf(createAnswer())}).`,
        'Version "pr-42-001": building (after 0 s)',
        'Version "pr-42-001": normal (after 5 s)',
      ]);
    });

    it('a poll WeChat refuses ends the wait with that errcode; the version and its last status are still outputs', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building' }];
      fake.failNext(
        { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
        { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
        { kind: 'errcode', errcode: 42001, errmsg: 'access_token expired', path: LIST_VERSIONS_PATH },
      );
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(2)]);
      expect(clock.sleeps).toEqual([5000]);
      const refused = fake.requestsTo(LIST_VERSIONS_PATH)[2];
      const line =
        'getcsversionlist failed: errcode 42001 (access_token expired): refresh the component_access_token (it lives 7200 s), ' +
        `or give component_appid, component_appsecret and component_verify_ticket so the action obtains a fresh one rid: ${ridOf(refused)}`;
      expect(errors(run)).toEqual([line]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(refused), 'pr-42-001', 'building', runIdOf(createAnswer())));
      expect(rows(run)).toEqual(summaryRows('pr-42-001', 'building', '5 s', line, answerOf(refused)));
    });

    it('a first poll WeChat refuses: the version is an output, its status empty (it was never read)', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext(
        { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
        { kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: LIST_VERSIONS_PATH },
      );
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(1)]);
      const refused = fake.requestsTo(LIST_VERSIONS_PATH)[1];
      expect(run.outputs).toStrictEqual(outputs(answerOf(refused), 'pr-42-001', '', runIdOf(createAnswer())));
    });

    it('a poll that gets no WeChat answer is a warning, and the wait goes on', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
      fake.failNext(
        { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
        { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH },
        { kind: 'html-502', path: LIST_VERSIONS_PATH },
      );
      const run = await runStory('deploy', base({ max_attempts: '1' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(3)]);
      expect(clock.sleeps).toEqual([5000, 7500]);
      expect(warnings(run)).toEqual([
        `Could not read the version's status (getcsversionlist failed: HTTP 502 Bad Gateway from ${url(LIST_VERSIONS_PATH)}, ` +
          `and the body is not JSON (it does not parse): ${BAD_GATEWAY}); reading again.`,
      ]);
      expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": building (after 0 s)', 'Version "pr-42-001": normal (after 13 s)']);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', 'normal'));
    });

    it('a first poll that gets no WeChat answer: nothing is known of the version yet', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'normal' }];
      fake.failNext({ kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH }, { kind: 'html-502', path: LIST_VERSIONS_PATH });
      const run = await runStory('deploy', base({ max_attempts: '1' }));
      expect(run.exitCode).toBe(0);
      expect(clock.sleeps).toEqual([5000]);
      expect(warnings(run)).toHaveLength(1);
      // The failed read says nothing of the version: only what a read showed is logged.
      expect(infos(run).slice(3)).toEqual(['Version "pr-42-001": normal (after 5 s)']);
    });
  });

  describe('wait: false', () => {
    it('reads once right after the create, outputs that status, and succeeds', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building' }];
      const run = await runStory('deploy', base({ wait: 'false' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, VERSIONS]);
      expect(clock.sleeps).toEqual([]);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', 'building'));
      expect(infos(run)).toEqual([FIRST_LINE, post(), created()]);
      expect(rows(run)).toEqual(summaryRows('pr-42-001', 'building', '0 s', 'version created (not waited for)', answerOf(createAnswer())));
    });

    it('two new versions listed (another deploy at the same time): a warning, and the first is followed', async () => {
      fake.addService(ENV, SERVICE);
      fake.omitVersionName = true;
      const body = JSON.stringify({
        errcode: 0,
        errmsg: 'ok rid: 1',
        total: 2,
        items: [
          { version_name: 'pr-42-001', status: 'building' },
          { version_name: 'pr-42-002', status: 'normal' },
        ],
      });
      fake.failNext({ kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH }, { kind: 'raw', status: 200, path: LIST_VERSIONS_PATH, body });
      const run = await runStory('deploy', base({ wait: 'false' }));
      expect(run.exitCode).toBe(0);
      expect(warnings(run)).toEqual([
        'More than one new version is listed (pr-42-001, pr-42-002): following the first; another deploy ran at the same time.',
      ]);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', 'building'));
    });
  });

  describe('answers that say little', () => {
    it('a create answered without run_id, its version not listed yet: empty outputs for them, no warning', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext({
        kind: 'raw',
        status: 200,
        path: CREATE_VERSION_PATH,
        body: '{"errcode":0,"errmsg":"ok rid: 1","result":"creating","version_name":"pr-42-009"}',
      });
      const run = await runStory('deploy', base({ wait: 'false' }));
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toStrictEqual(outputs({ errcode: '0', errmsg: 'ok rid: 1', rid: '1' }, 'pr-42-009', '', ''));
      expect(warnings(run)).toEqual([]);
      expect(infos(run).at(-1)).toBe('Created version "pr-42-009" (rid: 1).');
    });

    it('follows the version WeChat named, even when another new one is listed first', async () => {
      fake.addService(ENV, SERVICE);
      const body = JSON.stringify({
        errcode: 0,
        errmsg: 'ok rid: 1',
        total: 2,
        items: [
          { version_name: 'pr-42-002', status: 'normal' },
          { version_name: 'pr-42-001', status: 'building' },
        ],
      });
      fake.failNext({ kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH }, { kind: 'raw', status: 200, path: LIST_VERSIONS_PATH, body });
      const run = await runStory('deploy', base({ wait: 'false' }));
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', 'building'));
      expect(warnings(run)).toEqual([]);
    });
  });

  describe('failures before the wait', () => {
    it('a service that does not exist: says to run the create action first; no version create', async () => {
      fake.addService(ENV, 'pr-41');
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP]);
      // SPEC §2: decided on what the lookup showed: the action's name first, never the call that was not made; the lookup's answer as outputs.
      const line = `deploy: service "${SERVICE}" does not exist in environment "${ENV}": run the create action first`;
      expect(errors(run)).toEqual([line]);
      const lookup = answerOf(fake.requestsTo(LIST_SERVICES_PATH)[0]);
      expect(run.outputs).toStrictEqual(outputs(lookup, '', '', ''));
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Image', IMAGE],
        ['Result', html(line)],
        ['errcode', '0'],
        ['rid', `<code>${lookup.rid}</code>`],
      ]);
    });

    it('a version create refused: its failure line; the outputs carry its answer; no poll', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext({ kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: CREATE_VERSION_PATH });
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE]);
      const line =
        'createcloudbaserunserverversion failed: errcode 45009 (reach max api daily quota limit): the daily API quota is used up: ' +
        `wait for it to reset, or clear it with the clear_quota API rid: ${ridOf(createAnswer())}`;
      expect(errors(run)).toEqual([line]);
      expect(run.outputs).toStrictEqual(outputs(answerOf(createAnswer()), '', '', ''));
    });
  });

  describe('an unknown outcome: the version list tells (SPEC §3)', () => {
    it('a lost answer: not repeated; the version is found as the new one, waited for; no answer to output', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-old' }]);
      fake.versionLifecycle = [{ status: 'building', reads: 2 }, { status: 'normal' }];
      fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: CREATE_VERSION_PATH });
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(3)]);
      expect(fake.requestsTo(CREATE_VERSION_PATH)).toHaveLength(1);
      expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, 'pr-42-001', 'normal', ''));
      const why = lostWhy(CREATE_VERSION_PATH);
      expect(infos(run).slice(1)).toEqual([
        post(),
        `Outcome unknown: ${why}. Looking at what is there before anything else.`,
        `The answer was lost (${why}), but a new version is listed now: this run created it.`,
        'Created version "pr-42-001".',
        'Version "pr-42-001": building (after 0 s)',
        'Version "pr-42-001": normal (after 5 s)',
      ]);
      expect(rows(run)).toEqual(summaryRows('pr-42-001', 'normal', '5 s', 'deployed: the version runs', NO_ANSWER));
    });
  });

  it('dry run: sends nothing; shows the version create with the token and the registry password as ***', async () => {
    const run = await runStory(
      'deploy',
      base({
        dry_run: 'true',
        env_params: '{"NODE_ENV":"preview"}',
        version_remark: 'pr 42',
        image_secret_info: JSON.stringify({ user_name: 'u', password: REGISTRY_PASSWORD }),
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(fake.requests).toEqual([]);
    expect(infos(run)).toEqual([
      FIRST_LINE,
      'Dry run: the inputs are valid; nothing is sent to WeChat.',
      `Would POST ${url(CREATE_VERSION_PATH)}?access_token=*** with:`,
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
      '  "version_remark": "pr 42",',
      '  "image_secret_info": {',
      '    "user_name": "u",',
      '    "password": "***"',
      '  }',
      '}',
    ]);
    expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, '', '', ''));
    expect(rows(run)).toEqual([
      ['Environment', `<code>${ENV}</code>`],
      ['Service', `<code>${SERVICE}</code>`],
      ['Image', IMAGE],
      ['Result', 'dry run: validated, nothing sent'],
      ['errcode', ''],
      ['rid', ''],
    ]);
  });

  describe('keep_versions: old versions pruned once the new one runs (SPEC §2)', () => {
    const prune = (version: string): [string, unknown] => [
      'deletecloudbaserunserverversion',
      { env_id: ENV, server_name: SERVICE, version_name: version },
    ];
    // Created before the run: the stories' clock (Date.now, which the fake dates new versions by) is fixed at clock.now.
    const hoursAgo = (hours: number) => 1_780_000_000_000 - hours * 3600_000;
    const OLD = [
      { version_name: 'pr-42-001', created_time: hoursAgo(4) },
      { version_name: 'pr-42-002', status: 'build_fail', created_time: hoursAgo(3) },
      { version_name: 'pr-42-003', flow_ratio: 100, created_time: hoursAgo(2) },
      { version_name: 'pr-42-004', status: 'building', created_time: hoursAgo(1) },
    ];

    it('deletes the versions beyond the newest keep_versions that have no traffic and are not in progress, oldest first', async () => {
      fake.addService(ENV, SERVICE, OLD);
      const run = await runStory('deploy', base({ keep_versions: '2' }));
      expect(run.exitCode).toBe(0);
      // pr-42-005 runs and takes all the traffic; pr-42-004 is kept (newest two), pr-42-003 lost its traffic to the new one.
      expect(sent().slice(6)).toStrictEqual([VERSIONS, prune('pr-42-001'), prune('pr-42-002'), prune('pr-42-003')]);
      expect(run.outputs['pruned']).toBe('pr-42-001,pr-42-002,pr-42-003');
      expect(infos(run)).toContain('Pruning 3 old versions without traffic (keep_versions: 2).');
      expect(infos(run)).toContain('Pruned version "pr-42-002".');
      expect(rows(run)).toContainEqual(['Pruned', 'pr-42-001, pr-42-002, pr-42-003']);
      expect(fake.versions(ENV, SERVICE).map((v) => v.version_name)).toEqual(['pr-42-004', 'pr-42-005']);
      expect(warnings(run)).toEqual([]);
    });

    it('never a version that still has traffic, never the new one, never one in progress', async () => {
      fake.addService(ENV, SERVICE, OLD);
      const run = await runStory('deploy', base({ keep_versions: '1', flow_ratio: '50' }));
      expect(run.exitCode).toBe(0);
      // The new one shares the traffic with pr-42-003; pr-42-004 is still building.
      expect(run.outputs['pruned']).toBe('pr-42-001,pr-42-002');
      expect(fake.versions(ENV, SERVICE).map((v) => v.version_name)).toEqual(['pr-42-003', 'pr-42-004', 'pr-42-005']);
    });

    it('nothing beyond keep_versions: nothing deleted, pruned empty', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
      const run = await runStory('deploy', base({ keep_versions: '5' }));
      expect(run.exitCode).toBe(0);
      expect(sent().slice(-1)).toStrictEqual([VERSIONS]);
      expect(run.outputs['pruned']).toBe('');
      expect(rows(run).map(([field]) => field)).not.toContain('Pruned');
    });

    it('a prune delete refused: the others still go, one warning names what was left; the deploy succeeds', async () => {
      fake.addService(ENV, SERVICE, OLD);
      fake.failNext({ kind: 'errcode', errcode: 40097, errmsg: 'invalid args', path: DELETE_VERSION_PATH });
      const run = await runStory('deploy', base({ keep_versions: '2' }));
      expect(run.exitCode).toBe(0);
      expect(run.outputs['pruned']).toBe('pr-42-002,pr-42-003');
      const refused = fake.requestsTo(DELETE_VERSION_PATH)[0];
      expect(warnings(run)).toEqual([
        `Could not prune 1 old version: pr-42-001 (deletecloudbaserunserverversion failed: errcode 40097 (invalid args): ` +
          `WeChat rejected a parameter: check env_id, service_name and the other inputs of this step rid: ${ridOf(refused)}). The deploy itself succeeded.`,
      ]);
      expect(run.outputs['errcode']).toBe('0');
    });

    it('the list for the prune refused: one warning, nothing pruned, success', async () => {
      fake.addService(ENV, SERVICE, OLD);
      fake.versionLifecycle = [{ status: 'normal' }];
      const pass: Fault = { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH };
      fake.failNext(pass, pass, { kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: LIST_VERSIONS_PATH });
      const run = await runStory('deploy', base({ keep_versions: '1' }));
      expect(run.exitCode).toBe(0);
      expect(warnings(run)).toHaveLength(1);
      expect(warnings(run)[0]).toMatch(
        /^Could not list the versions to prune \(getcsversionlist failed: errcode 45009 .*\): nothing was pruned; the deploy itself succeeded\.$/,
      );
      expect(fake.requestsTo(DELETE_VERSION_PATH)).toEqual([]);
    });

    it('wait: false prunes nothing', async () => {
      fake.addService(ENV, SERVICE, OLD);
      const run = await runStory('deploy', base({ keep_versions: '1', wait: 'false' }));
      expect(run.exitCode).toBe(0);
      expect(fake.requestsTo(DELETE_VERSION_PATH)).toEqual([]);
    });
  });

  it('flow_ratio 0: deployed without traffic; the log and the summary say how to give it some', async () => {
    fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 100 }]);
    const run = await runStory('deploy', base({ flow_ratio: '0' }));
    expect(run.exitCode).toBe(0);
    expect(infos(run)).toContain(
      'Version "pr-42-002" has no traffic (flow_ratio 0): give it a share or all of it with the release action (version: pr-42-002, flow_ratio: 10 for a canary or 100).',
    );
    expect(rows(run)).toContainEqual(['Traffic', 'none yet (flow_ratio 0): give it traffic with the release action']);
    expect(fake.trafficOf(ENV, SERVICE)).toEqual({ 'pr-42-001': 100, 'pr-42-002': 0 });
  });

  it.each([
    ['512', 'mem: "512" is far more GB than an instance has: mem is in GB, not MB; for 512 MB give 0.5'],
    ['64', 'mem: "64" is far more GB than an instance has: mem is in GB, not MB; for 64 MB give 0.063'],
  ])('mem %s is refused as a likely MB value; nothing sent', async (mem, line) => {
    const run = await runStory('deploy', base({ mem }));
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)[0]).toBe(line);
  });

  describe('lifecycle edges (issue 17)', () => {
    const EMPTY_VERSIONS = '{"errcode":0,"errmsg":"ok rid: 1","total":0,"items":[]}';
    // A fault that changes nothing: the list before the create, and the first poll, pass through.
    const PASS: Fault = { kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH };
    const notListed: Fault = { kind: 'raw', status: 200, path: LIST_VERSIONS_PATH, body: EMPTY_VERSIONS };

    it('a version listed as building, then no longer listed: the last status is kept, and the failure says it is gone', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building' }];
      fake.failNext(PASS, PASS, notListed, notListed);
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(1);
      // Two reads in a row must miss it: one may while the list shifts under a concurrent change.
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(3)]);
      const line =
        'deploy: version "pr-42-001" is no longer listed (last status: building): it was deleted while it came up, ' +
        'perhaps by a delete or prune run at the same time; deploy again';
      expect(errors(run)).toEqual([line]);
      // The last read's answer: the raw empty list.
      const read = { errcode: '0', errmsg: 'ok rid: 1', rid: '1' };
      expect(run.outputs).toStrictEqual(outputs(read, 'pr-42-001', 'building', runIdOf(createAnswer())));
      expect(infos(run).slice(3)).toEqual([
        'Version "pr-42-001": building (after 0 s)',
        'Version "pr-42-001": no longer listed (last status: building) (after 5 s)',
      ]);
      expect(rows(run)).toEqual(summaryRows('pr-42-001', 'building (no longer listed)', '13 s', line, read));
    });

    it('missed once, then listed again: the wait goes on to normal', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
      fake.failNext(PASS, PASS, notListed);
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', 'normal'));
      expect(infos(run).slice(3, 6)).toEqual([
        'Version "pr-42-001": building (after 0 s)',
        'Version "pr-42-001": no longer listed (last status: building) (after 5 s)',
        'Version "pr-42-001": normal (after 13 s)',
      ]);
    });

    it('deploy_fail ends the wait at once, naming it and where to look', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'deploy_fail' }];
      const run = await runStory('deploy', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, ...polls(2)]);
      expect(errors(run)).toEqual([
        'deploy: version "pr-42-001" failed to deploy (deploy_fail): its image was built but its instances did not start: ' +
          'look at the version’s logs in the CloudBase console (service → versions → logs), check that container_port is the port ' +
          'the image listens on and that the container starts, then deploy again',
      ]);
      expect(run.outputs).toStrictEqual(polled('pr-42-001', 'deploy_fail'));
    });

    it('wait: false, and the one read after the create gets a gateway page: a warning, status empty, success', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext(PASS, { kind: 'html-502', path: LIST_VERSIONS_PATH });
      const run = await runStory('deploy', base({ wait: 'false', max_attempts: '1' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, CREATE, VERSIONS]);
      expect(errors(run)).toEqual([]);
      expect(warnings(run)).toEqual([
        `Could not read the new version's status (getcsversionlist failed: HTTP 502 Bad Gateway from ${url(LIST_VERSIONS_PATH)}, ` +
          `and the body is not JSON (it does not parse): ${BAD_GATEWAY}); the version was created: look at it in the CloudBase console.`,
      ]);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', ''));
    });

    it('wait: false, and the one read is refused: still a warning, not a failure (the version was created)', async () => {
      fake.addService(ENV, SERVICE);
      fake.failNext(PASS, { kind: 'errcode', errcode: 45009, errmsg: 'reach max api daily quota limit', path: LIST_VERSIONS_PATH });
      const run = await runStory('deploy', base({ wait: 'false' }));
      expect(run.exitCode).toBe(0);
      expect(warnings(run)).toHaveLength(1);
      expect(warnings(run)[0]).toMatch(/^Could not read the new version's status \(getcsversionlist failed: errcode 45009 /);
      expect(run.outputs).toStrictEqual(answered('pr-42-001', ''));
    });

    it('cancelled while waiting: stops, writes every output and the summary, one line says what may still be in flight, exit 130', async () => {
      fake.addService(ENV, SERVICE);
      fake.versionLifecycle = [{ status: 'building' }];
      const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
      clock.onSleep = () => {
        clock.onSleep = undefined;
        process.emit('SIGINT');
      };
      try {
        const run = await runStory('deploy', base());
        const line = 'deploy: cancelled (SIGINT) while waiting: version "pr-42-001" was created and may still come up';
        expect(errors(run)).toEqual([line]);
        expect(exit).toHaveBeenCalledTimes(1);
        expect(exit).toHaveBeenCalledWith(130);
        expect(run.outputs).toStrictEqual(answered('pr-42-001', 'building'));
        expect(rows(run)).toContainEqual(['Result', 'cancelled (SIGINT)']);
        expect(rows(run)).toContainEqual(['Version', 'pr-42-001']);
      } finally {
        exit.mockRestore();
      }
    });

    it('cancelled before anything was sent: says nothing is in flight, exit 143 on SIGTERM', async () => {
      fake.addService(ENV, SERVICE);
      const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
      // The lookup answers after 300 ms: the moment to cancel.
      fake.failNext({ kind: 'delay', ms: 300, path: LIST_SERVICES_PATH });
      const timer = setTimeout(() => process.emit('SIGTERM'), 50);
      try {
        const run = await runStory('deploy', base());
        expect(errors(run)[0]).toBe('deploy: cancelled (SIGTERM) with nothing of this run in flight at WeChat');
        expect(exit).toHaveBeenCalledWith(143);
        expect(run.outputs).toStrictEqual(outputs(NO_ANSWER, '', '', ''));
      } finally {
        clearTimeout(timer);
        exit.mockRestore();
      }
    });
  });
});

// ── every action: inputs, outputs, summary ────────────────────────────────────────────

describe('every action', () => {
  it('invalid inputs: one error line each, then one line that counts them; nothing sent; no input taken into the outputs', async () => {
    const run = await runStory('delete', {
      access_token: TOKEN,
      env_id: ENV,
      service_name: 'PR_42',
      if_missing: 'maybe',
      api_base_url: fake.url,
    });
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'service_name: "PR_42" is not a valid service name: use lowercase letters, digits and -, starting with a letter, at most 20 characters, e.g. "pr-42"',
      'if_missing: "maybe" is not skip (succeed when the service is already gone) or fail',
      '2 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
    expect(run.outputs).toStrictEqual({
      errcode: '',
      errmsg: '',
      rid: '',
      env_id: '',
      service_name: '',
      deleted: 'false',
      existed: 'false',
    });
    expect(rows(run)).toEqual([
      ['Environment', ''],
      ['Service', ''],
      ['Result', '2 invalid inputs (see the errors above); nothing was sent to WeChat'],
      ['errcode', ''],
      ['rid', ''],
    ]);
  });

  describe.each([
    ['delete', {}, 'nothing was deleted'],
    ['deploy', { image_url: IMAGE }, 'nothing was deployed'],
  ] as const)('%s with the platform credentials', (action, own, notDone) => {
    const inputs = (more: Record<string, string>) => ({
      access_token: '',
      component_appid: fake.platform.appid,
      component_appsecret: fake.platform.appsecret,
      component_verify_ticket: fake.platform.verifyTicket,
      env_id: ENV,
      service_name: SERVICE,
      api_base_url: fake.url,
      ...own,
      ...more,
    });

    it('a token step refused says what was not done', async () => {
      const run = await runStory(action, inputs({ component_appsecret: 'wrong-appsecret' }));
      expect(run.exitCode).toBe(1);
      expect(fake.requests.map((r) => r.path)).toEqual([TOKEN_PATH]);
      expect(errors(run)[0]).toMatch(new RegExp(`^api_component_token failed \\(the token step: ${notDone}\\): errcode 40001 `));
    });

    it('dry run: the token request comes first', async () => {
      const run = await runStory(action, inputs({ dry_run: 'true' }));
      expect(run.exitCode).toBe(0);
      expect(fake.requests).toEqual([]);
      expect(infos(run).slice(1, 3)).toEqual([
        'Dry run: the inputs are valid; nothing is sent to WeChat.',
        `Would POST ${url(TOKEN_PATH)} with:`,
      ]);
    });
  });

  it('an input given under a near name (INPUT_SERVICE-NAME, as the runner passes `service-name:`) is named in the error; empty ones are not', async () => {
    vi.stubEnv('INPUT_SERVICE-NAME', 'pr-42');
    vi.stubEnv('INPUT_ENV-ID', '   ');
    vi.stubEnv('SERVICE_NAMES', 'pr-42');
    const run = await runStory('delete', { access_token: TOKEN, env_id: ENV, api_base_url: fake.url });
    vi.unstubAllEnvs();
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)[0]).toBe('service_name: is required (the step gives "service-name": the input is named service_name)');
    expect(errors(run)).toHaveLength(2);
  });

  it('a second signal while the first is handled: one line, one exit', async () => {
    fake.addService(ENV, SERVICE);
    fake.versionLifecycle = [{ status: 'building' }];
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    clock.onSleep = () => {
      clock.onSleep = undefined;
      process.emit('SIGINT');
      process.emit('SIGTERM');
    };
    try {
      const run = await runStory('deploy', {
        access_token: TOKEN,
        env_id: ENV,
        service_name: SERVICE,
        image_url: IMAGE,
        api_base_url: fake.url,
      });
      expect(errors(run)).toEqual(['deploy: cancelled (SIGINT) while waiting: version "pr-42-001" was created and may still come up']);
      expect(exit).toHaveBeenCalledTimes(1);
      expect(exit).toHaveBeenCalledWith(130);
      expect(process.listenerCount('SIGINT')).toBe(0);
    } finally {
      exit.mockRestore();
    }
  });

  it('one invalid input is counted in the singular', async () => {
    const run = await runStory('deploy', { access_token: TOKEN, env_id: ENV, service_name: SERVICE, api_base_url: fake.url });
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual(['image_url: is required', '1 invalid input (see the errors above); nothing was sent to WeChat']);
  });

  it('escapes the values it shows in the summary, line breaks too', async () => {
    const run = await runStory('create', {
      access_token: TOKEN,
      env_id: `<b>x</b>&"'\n\n# heading`,
      service_name: SERVICE,
      is_public: 'true',
      dry_run: 'true',
    });
    expect(run.exitCode).toBe(0);
    expect(rows(run)[0]).toEqual(['Environment', '<code>&#60;b&#62;x&#60;/b&#62;&#38;&#34;&#39;&#10;&#10;# heading</code>']);
    expect(run.summary).not.toContain('\n\n# heading');
  });

  it('outputs that cannot be written: one error line that says so; the step’s result stays what WeChat made it', async () => {
    fake.addService(ENV, SERVICE);
    const missing = join(dir, 'no-such-dir', 'output');
    const run = await runStory(
      'delete',
      { access_token: TOKEN, env_id: ENV, service_name: SERVICE, api_base_url: fake.url },
      { outputs: missing },
    );
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([
      `Could not write the step's outputs (Missing file at path: ${missing}): later steps will not see them; ` +
        "the runner's GITHUB_OUTPUT file must exist and be writable",
    ]);
    expect(fake.services(ENV)).toEqual([]);
    expect(rows(run)[3]).toEqual(['Result', 'deleted']);
  });

  it('a summary that cannot be written: one error line that says so; the step’s result stays what WeChat made it', async () => {
    const run = await runStory(
      'create',
      { access_token: TOKEN, env_id: ENV, service_name: SERVICE, is_public: 'true', api_base_url: fake.url },
      { summary: 'directory' },
    );
    expect(run.exitCode).toBe(0);
    const [line, ...more] = errors(run);
    expect(more).toEqual([]);
    expect(line).toMatch(
      /^Could not write the job summary \(EISDIR: illegal operation on a directory, .*\): the runner's GITHUB_STEP_SUMMARY file must exist and be writable$/,
    );
    expect(run.outputs['created']).toBe('true');
    expect(fake.services(ENV)).toEqual([SERVICE]);
  });

  it('a runner that stops reading the log (EPIPE on stdout) does not turn the step into a crash', async () => {
    const run = await runStory(
      'create',
      { access_token: TOKEN, env_id: ENV, service_name: SERVICE, is_public: 'true', api_base_url: fake.url },
      { stdoutBroken: true },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs['created']).toBe('true');
    expect(errors(run)).toEqual([]);
  });

  it('leaves no listener behind on stdout, whatever the story', async () => {
    const before = process.stdout.listenerCount('error');
    await runStory('create', { access_token: TOKEN, env_id: ENV, service_name: SERVICE, is_public: 'true', dry_run: 'true' });
    await runStory('delete', { access_token: TOKEN, env_id: ENV, service_name: 'PR_42' });
    expect(process.stdout.listenerCount('error')).toBe(before);
  });

  it('no summary when the runner gives no GITHUB_STEP_SUMMARY, and no error either', async () => {
    const run = await runStory(
      'create',
      { access_token: TOKEN, env_id: ENV, service_name: SERVICE, is_public: 'true', api_base_url: fake.url },
      { summary: 'unset' },
    );
    expect(run.exitCode).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(run.summary).toBe('');
    expect(run.outputs['created']).toBe('true');
  });
});

/**
 * The release action's story, in process (see story.ts): run() of src/release.ts against the
 * fake, whose traffic calls keep each version's share. Each test states, from SPEC §1.4a and
 * §2 release, exactly which requests WeChat received, the outputs, the failure line and the
 * summary's shares before and after.
 */
import { describe, expect, it, vi } from 'vitest';
import { RELEASE_INPUTS } from '../src/inputs.ts';
import { run } from '../src/release.ts';
import { LIST_SERVICES_PATH, LIST_VERSIONS_PATH, RELEASE_VERSION_PATH, SET_TRAFFIC_PATH, type VersionSeed } from '../tools/fake-wechat.ts';
import { TOKEN } from './fixtures.ts';
import {
  answerOf,
  clock,
  ENV,
  errors,
  fake,
  infos,
  LOOKUP,
  lostWhy,
  NO_ANSWER,
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

useStories({ release: { run, names: RELEASE_INPUTS.names } });

const base = (more: Record<string, string> = {}) => ({
  access_token: TOKEN,
  env_id: ENV,
  service_name: SERVICE,
  api_base_url: fake.url,
  ...more,
});

const outputs = (
  answer: object,
  own: { version_name: string; previous_version: string; flow_ratio: string; changed: boolean; release_order_id?: string },
) => ({
  ...answer,
  env_id: ENV,
  service_name: SERVICE,
  version_name: own.version_name,
  previous_version: own.previous_version,
  flow_ratio: own.flow_ratio,
  changed: String(own.changed),
  release_order_id: own.release_order_id ?? '',
});

// SPEC §1.4a: each call with its generation's field names.
const RELEASE = (version: string): [string, unknown] => [
  'releasecloudbaserunversion',
  { env_id: ENV, server_name: SERVICE, release_version: version },
];
const SPLIT = (version: string, share: number, keeper: string): [string, unknown] => [
  'setcspropotion',
  {
    env: ENV,
    service_name: SERVICE,
    items: [
      { version_name: version, flow_ratio: share },
      { version_name: keeper, flow_ratio: 100 - share },
    ],
  },
];

/** pr-42-001 serves everything; pr-42-002, newer, runs without traffic (a deploy with flow_ratio 0). */
const DEPLOYED: VersionSeed[] = [
  { version_name: 'pr-42-001', flow_ratio: 100 },
  { version_name: 'pr-42-002', flow_ratio: 0 },
];
/** A canary: pr-42-002 has 10 %, pr-42-001 the rest. */
const CANARY: VersionSeed[] = [
  { version_name: 'pr-42-001', flow_ratio: 90 },
  { version_name: 'pr-42-002', flow_ratio: 10 },
];

describe('release', () => {
  describe('a full release (flow_ratio 100, the default)', () => {
    it('latest: releasecloudbaserunversion for the newest running version, then polls until the list shows 100 %', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.trafficDelay = { reads: 1 };
      const run = await runStory('release', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-002'), VERSIONS, VERSIONS]);
      expect(clock.sleeps).toEqual([5000]);
      const release = fake.requestsTo(RELEASE_VERSION_PATH)[0];
      expect(release?.answer).toMatchObject({ errcode: 0, result: 'success', release_order_id: expect.any(Number) });
      const orderId = String(release?.answer?.['release_order_id']);
      expect(run.outputs).toStrictEqual(
        outputs(answerOf(release), {
          version_name: 'pr-42-002',
          previous_version: 'pr-42-001',
          flow_ratio: '100',
          changed: true,
          release_order_id: orderId,
        }),
      );
      expect(infos(run)).toEqual([
        `Releasing latest of CloudBase Run service "${SERVICE}" in environment "${ENV}" to 100 % of its traffic`,
        'Releasing version "pr-42-002" to all of the traffic.',
        `POST ${url(RELEASE_VERSION_PATH)} (attempt 1 of 3)`,
        'Version "pr-42-002": 0 % of the traffic (after 0 s)',
        'Version "pr-42-002": 100 % of the traffic (after 5 s)',
        'Version "pr-42-002" has 100 % of the traffic. To roll back: release version "pr-42-001" (or version: previous) with flow_ratio 100.',
      ]);
      expect(rows(run)).toEqual([
        ['Environment', `<code>${ENV}</code>`],
        ['Service', `<code>${SERVICE}</code>`],
        ['Share of pr-42-002', '0 % → 100 %'],
        ['Share of pr-42-001', '100 % → 0 %'],
        ['Result', 'released: 100 % of the traffic'],
        ['errcode', '0'],
        ['rid', `<code>${answerOf(release).rid}</code>`],
      ]);
      expect(fake.trafficOf(ENV, SERVICE)).toEqual({ 'pr-42-001': 0, 'pr-42-002': 100 });
    });

    it('a version by name', async () => {
      fake.addService(ENV, SERVICE, [...DEPLOYED, { version_name: 'pr-42-003', flow_ratio: 0 }]);
      const run = await runStory('release', base({ version: 'pr-42-002' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-002'), VERSIONS]);
      expect(run.outputs['version_name']).toBe('pr-42-002');
      expect(run.outputs['flow_ratio']).toBe('100');
    });

    it('result "failed" with errcode 0 is a failure: its line, the outputs carry its answer, changed false', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.failNext({
        kind: 'raw',
        status: 200,
        path: RELEASE_VERSION_PATH,
        body: '{"errcode":0,"errmsg":"ok rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d","result":"failed"}',
      });
      const run = await runStory('release', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-002')]);
      expect(errors(run)).toEqual([
        'releasecloudbaserunversion failed: WeChat answered result "failed" (ok): version "pr-42-002" was not released: ' +
          'check in the CloudBase console that it runs, then run again rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d',
      ]);
      expect(run.outputs).toStrictEqual(
        outputs(
          { errcode: '0', errmsg: 'ok rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d', rid: '0a1b2c3d-0a1b2c3d-0a1b2c3d' },
          { version_name: 'pr-42-002', previous_version: 'pr-42-001', flow_ratio: '0', changed: false },
        ),
      );
    });
  });

  describe('a canary (flow_ratio below 100)', () => {
    it('setcspropotion with exactly two items: the version at the share, the one serving the most now at the rest', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      const run = await runStory('release', base({ flow_ratio: '10' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, SPLIT('pr-42-002', 10, 'pr-42-001'), VERSIONS]);
      const split = fake.requestsTo(SET_TRAFFIC_PATH)[0];
      expect(run.outputs).toStrictEqual(
        outputs(answerOf(split), { version_name: 'pr-42-002', previous_version: 'pr-42-001', flow_ratio: '10', changed: true }),
      );
      expect(infos(run)).toContain('Giving version "pr-42-002" 10 % of the traffic and "pr-42-001" the other 90 %.');
      expect(rows(run).slice(2, 4)).toEqual([
        ['Share of pr-42-002', '0 % → 10 %'],
        ['Share of pr-42-001', '100 % → 90 %'],
      ]);
    });

    it('promotes a canary: 10 % to 50 %, the rest staying with the version that had it', async () => {
      fake.addService(ENV, SERVICE, CANARY);
      const run = await runStory('release', base({ flow_ratio: '50', version: 'pr-42-002' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, SPLIT('pr-42-002', 50, 'pr-42-001'), VERSIONS]);
      expect(fake.trafficOf(ENV, SERVICE)).toEqual({ 'pr-42-001': 50, 'pr-42-002': 50 });
    });

    it('no other version has traffic: fails, a canary needs a version that keeps the rest; nothing sent', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 0 },
        { version_name: 'pr-42-002', flow_ratio: 0 },
      ]);
      const run = await runStory('release', base({ flow_ratio: '10' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS]);
      expect(errors(run)).toEqual([
        `release: a canary needs a version that keeps the rest of the traffic, and no other version of service "${SERVICE}" has any now: ` +
          'release version "pr-42-002" with flow_ratio 100 instead',
      ]);
      expect(run.outputs['changed']).toBe('false');
    });
  });

  describe('previous: a rollback', () => {
    it('during a canary: the version the canary shares the traffic with gets all of it', async () => {
      fake.addService(ENV, SERVICE, CANARY);
      const run = await runStory('release', base({ version: 'previous' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-001'), VERSIONS]);
      expect(run.outputs).toMatchObject({ version_name: 'pr-42-001', previous_version: 'pr-42-002', flow_ratio: '100', changed: 'true' });
      expect(fake.trafficOf(ENV, SERVICE)).toEqual({ 'pr-42-001': 100, 'pr-42-002': 0 });
    });

    it('after a full release: the newest running version created before the one serving now', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 0 },
        { version_name: 'pr-42-002', flow_ratio: 0, status: 'build_fail' },
        { version_name: 'pr-42-003', flow_ratio: 0 },
        { version_name: 'pr-42-004', flow_ratio: 100 },
        { version_name: 'pr-42-005', flow_ratio: 0 },
      ]);
      const run = await runStory('release', base({ version: 'previous' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-003'), VERSIONS]);
      expect(run.outputs).toMatchObject({ version_name: 'pr-42-003', previous_version: 'pr-42-004' });
    });

    it('nothing older runs: fails listing the versions with their statuses and shares; nothing sent', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 0, status: 'build_fail' },
        { version_name: 'pr-42-002', flow_ratio: 100 },
      ]);
      const run = await runStory('release', base({ version: 'previous' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS]);
      expect(errors(run)).toEqual([
        `release: no version of service "${SERVICE}" fits version: previous (no version that runs (normal) was created before the one serving now: ` +
          'name the version to release); versions: pr-42-002 (normal, 100 %), pr-42-001 (build_fail, 0 %)',
      ]);
    });

    it('no version has traffic: nothing to roll back from', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 0 }]);
      const run = await runStory('release', base({ version: 'previous' }));
      expect(errors(run)).toEqual([
        `release: no version of service "${SERVICE}" fits version: previous (no version has traffic now, so there is nothing to roll back from: ` +
          'name the version to release); versions: pr-42-001 (normal, 0 %)',
      ]);
    });
  });

  describe('what the list shows decides (SPEC §2)', () => {
    it('already at the share asked for: success, nothing sent, changed false (safe to run again)', async () => {
      fake.addService(ENV, SERVICE, CANARY);
      const run = await runStory('release', base({ version: 'pr-42-002', flow_ratio: '10' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS]);
      // SPEC §2: it ends on what the version list showed: that read's answer.
      expect(run.outputs).toStrictEqual(
        outputs(answerOf(fake.requestsTo(LIST_VERSIONS_PATH)[0]), {
          version_name: 'pr-42-002',
          previous_version: 'pr-42-001',
          flow_ratio: '10',
          changed: false,
        }),
      );
      expect(infos(run).at(-1)).toBe('Version "pr-42-002" has 10 % of the traffic already: nothing to change.');
      expect(rows(run).slice(2, 5)).toEqual([
        ['Share of pr-42-002', '10 % → 10 %'],
        ['Share of pr-42-001', '90 % → 90 %'],
        ['Result', 'already at 10 %: nothing sent'],
      ]);
    });

    it('a version that is not normal is refused, naming its status', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 100 },
        { version_name: 'pr-42-002', status: 'deploy_fail' },
      ]);
      const run = await runStory('release', base({ version: 'pr-42-002' }));
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS]);
      expect(errors(run)).toEqual([
        'release: version "pr-42-002" is deploy_fail, not normal: only a running version can get traffic; ' +
          'versions: pr-42-002 (deploy_fail, 0 %), pr-42-001 (normal, 100 %)',
      ]);
    });

    it('a version name that is not listed: fails listing the versions', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      const run = await runStory('release', base({ version: 'pr-42-009' }));
      expect(errors(run)).toEqual([
        `release: no version of service "${SERVICE}" fits version: pr-42-009 (there is no version "pr-42-009"); ` +
          'versions: pr-42-002 (normal, 0 %), pr-42-001 (normal, 100 %)',
      ]);
    });

    it('latest with no running version: fails', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', status: 'build_fail' }]);
      const run = await runStory('release', base());
      expect(errors(run)).toEqual([
        `release: no version of service "${SERVICE}" fits version: latest (no version runs (normal)); versions: pr-42-001 (build_fail, 0 %)`,
      ]);
    });

    it('a service that does not exist: the action’s name first, the lookup’s answer as outputs', async () => {
      fake.addService(ENV, 'pr-41');
      const run = await runStory('release', base());
      expect(run.exitCode).toBe(1);
      expect(sent()).toStrictEqual([LOOKUP]);
      expect(errors(run)).toEqual([
        `release: service "${SERVICE}" does not exist in environment "${ENV}": run the create and deploy actions first`,
      ]);
      expect(run.outputs).toStrictEqual(
        outputs(answerOf(fake.requests[0]), { version_name: '', previous_version: '', flow_ratio: '', changed: false }),
      );
    });
  });

  describe('never twice, and a wait that ends (SPEC §3)', () => {
    it('a lost answer: the list shows the share, so it is not sent again; changed true, no answer to output', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: SET_TRAFFIC_PATH });
      const run = await runStory('release', base({ flow_ratio: '10' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, SPLIT('pr-42-002', 10, 'pr-42-001'), VERSIONS, VERSIONS]);
      const why = lostWhy(SET_TRAFFIC_PATH);
      expect(infos(run)).toContain(`The answer was lost (${why}), but the version list shows the change: this run made it.`);
      expect(run.outputs).toStrictEqual(
        outputs(NO_ANSWER, { version_name: 'pr-42-002', previous_version: 'pr-42-001', flow_ratio: '10', changed: true }),
      );
    });

    it('a change that never arrived: the list does not show it, so it is sent again as attempt 2 of 3', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.failNext({ kind: 'reset', path: RELEASE_VERSION_PATH });
      const run = await runStory('release', base());
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-002'), VERSIONS, RELEASE('pr-42-002'), VERSIONS]);
      expect(infos(run).filter((line) => line.startsWith('POST '))).toEqual([
        `POST ${url(RELEASE_VERSION_PATH)} (attempt 1 of 3)`,
        `POST ${url(RELEASE_VERSION_PATH)} (attempt 2 of 3)`,
      ]);
      expect(fake.requestsTo(RELEASE_VERSION_PATH)).toHaveLength(2);
    });

    it('a change that never arrived on any attempt: fails saying WeChat may still apply it (the list is slow to show it)', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.failAlways({ kind: 'reset', path: RELEASE_VERSION_PATH });
      const run = await runStory('release', base({ max_attempts: '2' }));
      expect(run.exitCode).toBe(1);
      expect(errors(run)).toEqual([
        `releasecloudbaserunversion failed: no answer on 2 attempts (the last: ${lostWhy(RELEASE_VERSION_PATH)}); ` +
          'a read after each did not show it yet, but WeChat may still apply it (it takes a while to show): ' +
          'look at the service in the CloudBase console, then run again (the same change twice is one)',
      ]);
      expect(run.outputs['changed']).toBe('false');
    });

    it('the list does not show the share by the deadline: fails saying WeChat accepted it; changed true', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.trafficDelay = { reads: 100 };
      const run = await runStory('release', base({ wait_timeout_seconds: '20' }));
      expect(run.exitCode).toBe(1);
      expect(clock.sleeps).toEqual([5000, 7500, 7500]);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-002'), VERSIONS, VERSIONS, VERSIONS, VERSIONS]);
      expect(errors(run)).toEqual([
        'release: WeChat accepted the change, but version "pr-42-002" has 0 % of the traffic 20 s later, not 100 %: ' +
          'the list may still catch up: look at the service in the CloudBase console, or raise wait_timeout_seconds',
      ]);
      const orderId = String(fake.requestsTo(RELEASE_VERSION_PATH)[0]?.answer?.['release_order_id']);
      expect(run.outputs).toMatchObject({ changed: 'true', flow_ratio: '0', release_order_id: orderId });
    });

    it('cancelled while waiting: the line says the change was accepted and may still take effect; every output written', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.trafficDelay = { reads: 100 };
      const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
      clock.onSleep = () => {
        clock.onSleep = undefined;
        process.emit('SIGINT');
      };
      try {
        const run = await runStory('release', base());
        expect(errors(run)).toEqual([
          'release: cancelled (SIGINT) while waiting: WeChat accepted the change for version "pr-42-002", which may still take effect',
        ]);
        expect(exit).toHaveBeenCalledWith(130);
        expect(run.outputs).toMatchObject({ version_name: 'pr-42-002', previous_version: 'pr-42-001', flow_ratio: '0', changed: 'true' });
        expect(rows(run)).toContainEqual(['Result', 'cancelled (SIGINT)']);
      } finally {
        exit.mockRestore();
      }
    });

    it('wait: false: one read right after the change, best effort; a read that fails is a warning', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.failNext({ kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH }, { kind: 'html-502', path: LIST_VERSIONS_PATH });
      const run = await runStory('release', base({ wait: 'false', max_attempts: '1' }));
      expect(run.exitCode).toBe(0);
      expect(sent()).toStrictEqual([LOOKUP, VERSIONS, RELEASE('pr-42-002'), VERSIONS]);
      expect(warnings(run)).toHaveLength(1);
      expect(warnings(run)[0]).toMatch(/^Could not read the versions' traffic \(getcsversionlist failed: HTTP 502 /);
      expect(run.outputs).toMatchObject({ changed: 'true', flow_ratio: '0' });
      expect(rows(run)).toContainEqual(['Result', 'traffic change accepted (not waited for)']);
    });
  });

  describe('edges of what the list says', () => {
    it('a version listed without a status is refused as of no status; a service without versions lists none', async () => {
      fake.failNext(
        { kind: 'delay', ms: 0, path: LIST_SERVICES_PATH },
        {
          kind: 'raw',
          status: 200,
          path: LIST_VERSIONS_PATH,
          body: '{"errcode":0,"errmsg":"ok","total":1,"items":[{"version_name":"pr-42-001","flow_ratio":100}]}',
        },
      );
      fake.addService(ENV, SERVICE);
      const run = await runStory('release', base({ version: 'pr-42-001' }));
      expect(errors(run)).toEqual([
        'release: version "pr-42-001" is of no status, not normal: only a running version can get traffic; versions: pr-42-001 (no status, 100 %)',
      ]);
      const none = await runStory('release', base());
      expect(errors(none)).toEqual([
        `release: no version of service "${SERVICE}" fits version: latest (no version runs (normal)); versions: none`,
      ]);
      expect(none.outputs['previous_version']).toBe('');
    });

    it('two versions with the same share: the newer keeps the rest of a canary', async () => {
      fake.addService(ENV, SERVICE, [
        { version_name: 'pr-42-001', flow_ratio: 50 },
        { version_name: 'pr-42-002', flow_ratio: 50 },
        { version_name: 'pr-42-003', flow_ratio: 0 },
      ]);
      const run = await runStory('release', base({ flow_ratio: '10' }));
      expect(run.exitCode).toBe(0);
      expect(sent()[2]).toStrictEqual(SPLIT('pr-42-003', 10, 'pr-42-002'));
      expect(run.outputs['previous_version']).toBe('pr-42-002');
      expect(rows(run)).toContainEqual(['Share of pr-42-001', '50 % → 0 %']);
    });

    it('the released version no longer listed while waiting: its share is unknown, and the summary says it is not listed', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      fake.trafficDelay = { reads: 100 };
      const gone = '{"errcode":0,"errmsg":"ok","total":1,"items":[{"version_name":"pr-42-001","status":"normal","flow_ratio":100}]}';
      fake.after(RELEASE_VERSION_PATH, () => fake.failAlways({ kind: 'raw', status: 200, path: LIST_VERSIONS_PATH, body: gone }));
      const run = await runStory('release', base({ wait_timeout_seconds: '5' }));
      expect(run.exitCode).toBe(1);
      expect(infos(run)).toContain('Version "pr-42-002": 0 % of the traffic (after 0 s)');
      expect(rows(run)).toContainEqual(['Share of pr-42-002', '0 % → not listed']);
      expect(errors(run)[0]).toMatch(
        /^release: WeChat accepted the change, but version "pr-42-002" has 0 % of the traffic 5 s later, not 100 %/,
      );
    });

    it('a full release with no version serving before: no previous version, and no rollback hint', async () => {
      fake.addService(ENV, SERVICE, [{ version_name: 'pr-42-001', flow_ratio: 0 }]);
      const run = await runStory('release', base());
      expect(run.exitCode).toBe(0);
      expect(run.outputs['previous_version']).toBe('');
      expect(infos(run).at(-1)).toBe('Version "pr-42-001" has 100 % of the traffic.');
    });

    it('wait: false says the list may not show it yet; a dry run is a dry run in the summary', async () => {
      fake.addService(ENV, SERVICE, DEPLOYED);
      const run = await runStory('release', base({ wait: 'false' }));
      expect(infos(run).at(-1)).toBe(
        'Version "pr-42-002" has 100 % of the traffic (once the list shows it). To roll back: release version "pr-42-001" (or version: previous) with flow_ratio 100.',
      );
      const dry = await runStory('release', base({ dry_run: 'true' }));
      expect(rows(dry)).toContainEqual(['Result', 'dry run: validated, nothing sent']);
      expect(infos(dry)).toContain('then, unless version latest has 100 % already:');
      expect(infos(dry)).toContain('  "release_version": "<the latest version>"');
    });
  });

  it('dry run: sends nothing; shows the list and the traffic call it may send', async () => {
    const run = await runStory('release', base({ dry_run: 'true', flow_ratio: '10' }));
    expect(run.exitCode).toBe(0);
    expect(fake.requests).toEqual([]);
    expect(infos(run)).toEqual([
      `Releasing latest of CloudBase Run service "${SERVICE}" in environment "${ENV}" to 10 % of its traffic`,
      'Dry run: the inputs are valid; nothing is sent to WeChat.',
      `Would POST ${url(LIST_VERSIONS_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      `  "service_name": "${SERVICE}",`,
      '  "offset": 0,',
      '  "limit": 20',
      '}',
      'then, unless version latest has 10 % already:',
      `Would POST ${url(SET_TRAFFIC_PATH)}?access_token=*** with:`,
      '{',
      `  "env": "${ENV}",`,
      `  "service_name": "${SERVICE}",`,
      '  "items": [',
      '    {',
      '      "version_name": "<the latest version>",',
      '      "flow_ratio": 10',
      '    },',
      '    {',
      '      "version_name": "<the version with the most traffic now>",',
      '      "flow_ratio": 90',
      '    }',
      '  ]',
      '}',
    ]);
    expect(run.outputs['changed']).toBe('false');
  });

  it('dry run of a full release shows releasecloudbaserunversion with the version named', async () => {
    const run = await runStory('release', base({ dry_run: 'true', version: 'pr-42-007' }));
    expect(infos(run).slice(-6)).toEqual([
      `Would POST ${url(RELEASE_VERSION_PATH)}?access_token=*** with:`,
      '{',
      `  "env_id": "${ENV}",`,
      `  "server_name": "${SERVICE}",`,
      '  "release_version": "pr-42-007"',
      '}',
    ]);
  });

  it('invalid inputs: one line each, nothing sent', async () => {
    const run = await runStory('release', base({ flow_ratio: '0', version: 'two words' }));
    expect(run.exitCode).toBe(1);
    expect(fake.requests).toEqual([]);
    expect(errors(run)).toEqual([
      'version: "two words" is not a version: give a version name (e.g. app-007), latest or previous',
      'flow_ratio: "0" is not a whole number from 1 to 100',
      '2 invalid inputs (see the errors above); nothing was sent to WeChat',
    ]);
  });
});

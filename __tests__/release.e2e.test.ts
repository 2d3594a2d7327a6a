/**
 * End to end: the release action's committed bundle (dist/release/index.js), run as the
 * runner runs it, against the fake WeChat API with its traffic calls. Each test states,
 * from SPEC.md (§1.4a, §2 "release", §3), exactly which requests WeChat received, the whole
 * outputs file and the failure line. After every test, no secret may appear anywhere the
 * run left text.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LIST_SERVICES_PATH,
  LIST_VERSIONS_PATH,
  RELEASE_VERSION_PATH,
  SET_TRAFFIC_PATH,
  type ReceivedRequest,
} from '../tools/fake-wechat.ts';
import { e2eSuite, errors, warnings } from './e2e.ts';

const TOKEN = `tok-${randomUUID()}`;
const ENV = 'prod-2g59lad002c864a6';
const SERVICE = 'app';

const suite = e2eSuite('release', TOKEN);
const base = (more: Record<string, string> = {}) => ({
  access_token: TOKEN,
  env_id: ENV,
  service_name: SERVICE,
  api_base_url: suite.fake.url,
  ...more,
});

type Sent = [path: string, body: Record<string, unknown>];
const LOOKUP: Sent = [LIST_SERVICES_PATH, { env: ENV, offset: 0, limit: 20 }];
const VERSIONS: Sent = [LIST_VERSIONS_PATH, { env: ENV, service_name: SERVICE, offset: 0, limit: 20 }];
const release = (version: string): Sent => [RELEASE_VERSION_PATH, { env_id: ENV, server_name: SERVICE, release_version: version }];
const split = (version: string, share: number, keeper: string): Sent => [
  SET_TRAFFIC_PATH,
  {
    env: ENV,
    service_name: SERVICE,
    items: [
      { version_name: version, flow_ratio: share },
      { version_name: keeper, flow_ratio: 100 - share },
    ],
  },
];

function expectSent(expected: Sent[]): void {
  const { requests } = suite.fake;
  expect(requests.map((r) => [r.path, r.json])).toStrictEqual(expected);
  for (const request of requests) {
    expect(request.query).toStrictEqual({ access_token: TOKEN });
    expect(request.headers['content-type']).toMatch(/^application\/json\b/);
  }
}

const ridOf = (request: ReceivedRequest | undefined) => /rid: (\S+)$/.exec(String(request?.answer?.['errmsg']))?.[1] ?? '';
const answerOf = (request: ReceivedRequest | undefined) => ({
  errcode: String(request?.answer?.['errcode']),
  errmsg: String(request?.answer?.['errmsg']),
  rid: ridOf(request),
});

const outputs = (answer: object, own: Record<string, string>) => ({
  ...answer,
  env_id: ENV,
  service_name: SERVICE,
  version_name: '',
  previous_version: '',
  flow_ratio: '',
  changed: 'false',
  release_order_id: '',
  ...own,
});

/** app-001 serves everything; app-002, newer, runs without traffic (deployed with flow_ratio 0). */
const deployed = () =>
  suite.fake.addService(ENV, SERVICE, [
    { version_name: 'app-001', flow_ratio: 100 },
    { version_name: 'app-002', flow_ratio: 0 },
  ]);

describe('release (the bundle)', () => {
  it('a canary, then the promotion, then a rollback: each the call SPEC §1.4a gives, the list read back', async () => {
    deployed();
    const canary = await suite.act(base({ flow_ratio: '10' }));
    expect(canary.exitCode).toBe(0);
    expectSent([LOOKUP, VERSIONS, split('app-002', 10, 'app-001'), VERSIONS]);
    expect(canary.outputs).toStrictEqual(
      outputs(answerOf(suite.fake.requestsTo(SET_TRAFFIC_PATH)[0]), {
        version_name: 'app-002',
        previous_version: 'app-001',
        flow_ratio: '10',
        changed: 'true',
      }),
    );
    expect(canary.summary).toContain('<tr><td>Share of app-002</td><td>0 % → 10 %</td></tr>');
    expect(canary.summary).toContain('<tr><td>Share of app-001</td><td>100 % → 90 %</td></tr>');

    suite.fake.requests.length = 0;
    const promoted = await suite.act(base());
    expect(promoted.exitCode).toBe(0);
    expectSent([LOOKUP, VERSIONS, release('app-002'), VERSIONS]);
    const order = suite.fake.requestsTo(RELEASE_VERSION_PATH)[0];
    expect(promoted.outputs).toStrictEqual(
      outputs(answerOf(order), {
        version_name: 'app-002',
        previous_version: 'app-001',
        flow_ratio: '100',
        changed: 'true',
        release_order_id: String(order?.answer?.['release_order_id']),
      }),
    );

    suite.fake.requests.length = 0;
    const rolledBack = await suite.act(base({ version: 'previous' }));
    expect(rolledBack.exitCode).toBe(0);
    expectSent([LOOKUP, VERSIONS, release('app-001'), VERSIONS]);
    expect(rolledBack.outputs).toMatchObject({ version_name: 'app-001', previous_version: 'app-002', flow_ratio: '100', changed: 'true' });
    expect(suite.fake.trafficOf(ENV, SERVICE)).toEqual({ 'app-001': 100, 'app-002': 0 });
  });

  it('run again at the share it has: nothing sent, changed false', async () => {
    deployed();
    const run = await suite.act(base({ version: 'app-001' }));
    expect(run.exitCode).toBe(0);
    expectSent([LOOKUP, VERSIONS]);
    // It ends on what the version list showed: that read's answer (SPEC §2).
    expect(run.outputs).toStrictEqual(
      outputs(answerOf(suite.fake.requestsTo(LIST_VERSIONS_PATH)[0]), { version_name: 'app-001', flow_ratio: '100', changed: 'false' }),
    );
  });

  it('a release that takes a while to show: polled on the deploy’s schedule until the list shows it', async () => {
    deployed();
    suite.fake.trafficDelay = { reads: 1 };
    const run = await suite.act(base());
    expect(run.exitCode).toBe(0);
    expectSent([LOOKUP, VERSIONS, release('app-002'), VERSIONS, VERSIONS]);
    expect(run.durationMs).toBeGreaterThan(4500);
    expect(run.outputs['flow_ratio']).toBe('100');
  });

  it('the deadline holds: a list that never shows it ends the wait at wait_timeout_seconds, changed true', async () => {
    deployed();
    suite.fake.trafficDelay = { reads: 1000 };
    const run = await suite.act(base({ wait_timeout_seconds: '3' }));
    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(7000);
    expect(errors(run)).toEqual([
      'release: WeChat accepted the change, but version "app-002" has 0 % of the traffic 3 s later, not 100 %: ' +
        'the list may still catch up: look at the service in the CloudBase console, or raise wait_timeout_seconds',
    ]);
    expect(run.outputs['changed']).toBe('true');
  });

  it('a lost answer to the traffic call: the list shows it, so it is not sent again', async () => {
    deployed();
    suite.fake.failNext({ kind: 'act-then', fault: { kind: 'reset' }, path: RELEASE_VERSION_PATH });
    const run = await suite.act(base());
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requestsTo(RELEASE_VERSION_PATH)).toHaveLength(1);
    expect(run.outputs).toMatchObject({ errcode: '', changed: 'true', flow_ratio: '100' });
  });

  it('result "failed" with errcode 0 fails the step with the call’s name', async () => {
    suite.fake.addService(ENV, SERVICE, [
      { version_name: 'app-001', flow_ratio: 100 },
      { version_name: 'app-002', flow_ratio: 0 },
    ]);
    suite.fake.failNext({ kind: 'raw', status: 200, path: RELEASE_VERSION_PATH, body: '{"errcode":0,"errmsg":"ok","result":"failed"}' });
    const run = await suite.act(base());
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([
      'releasecloudbaserunversion failed: WeChat answered result "failed" (ok): version "app-002" was not released: ' +
        'check in the CloudBase console that it runs, then run again',
    ]);
    expect(run.outputs).toMatchObject({ errcode: '0', errmsg: 'ok', changed: 'false' });
  });

  it('a version that does not run is refused before anything is sent; a canary with no version to keep the rest too', async () => {
    suite.fake.addService(ENV, SERVICE, [
      { version_name: 'app-001', flow_ratio: 0 },
      { version_name: 'app-002', status: 'build_fail' },
    ]);
    const failed = await suite.act(base({ version: 'app-002' }));
    expect(errors(failed)).toEqual([
      'release: version "app-002" is build_fail, not normal: only a running version can get traffic; versions: app-002 (build_fail, 0 %), app-001 (normal, 0 %)',
    ]);
    const canary = await suite.act(base({ version: 'app-001', flow_ratio: '10' }));
    expect(errors(canary)[0]).toMatch(/^release: a canary needs a version that keeps the rest of the traffic/);
    expect(suite.fake.requestsTo(RELEASE_VERSION_PATH)).toEqual([]);
    expect(suite.fake.requestsTo(SET_TRAFFIC_PATH)).toEqual([]);
  });

  it('wait: false: one read after the change; a gateway page on it is one warning', async () => {
    deployed();
    suite.fake.failNext({ kind: 'delay', ms: 0, path: LIST_VERSIONS_PATH }, { kind: 'html-502', path: LIST_VERSIONS_PATH });
    const run = await suite.act(base({ wait: 'false', max_attempts: '1' }));
    expect(run.exitCode).toBe(0);
    expect(warnings(run)).toHaveLength(1);
    expect(run.outputs).toMatchObject({ changed: 'true', version_name: 'app-002' });
  });

  it('dry run: nothing sent, the list and the traffic call shown with the token as ***', async () => {
    const run = await suite.act(base({ dry_run: 'true', flow_ratio: '25', version: 'app-002' }));
    expect(run.exitCode).toBe(0);
    expect(suite.fake.requests).toEqual([]);
    expect(run.stdout).toContain(`Would POST ${suite.fake.url}${LIST_VERSIONS_PATH}?access_token=*** with:`);
    expect(run.stdout).toContain(`Would POST ${suite.fake.url}${SET_TRAFFIC_PATH}?access_token=*** with:`);
    expect(run.stdout).toContain('"version_name": "app-002",');
    expect(run.stdout).toContain('"flow_ratio": 75');
  });
});

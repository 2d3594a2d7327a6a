import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CREATE_PATH,
  CREATE_VERSION_PATH,
  DELETE_SERVICE_PATH,
  DELETE_VERSION_PATH,
  LIST_SERVICES_PATH,
  LIST_VERSIONS_PATH,
  RELEASE_VERSION_PATH,
  SET_TRAFFIC_PATH,
  TOKEN_PATH,
  startFakeWeChat,
  type FakeWeChat,
} from '../tools/fake-wechat.ts';
import { NODE24, ROOT } from '../tools/run-action.ts';

// The fake stands in for WeChat in every other test, so it is tested against the API's documented behaviour.
let fake: FakeWeChat;
beforeAll(async () => {
  fake = await startFakeWeChat();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const TOKEN = 'test-component-access-token';
const minimal = { env_id: 'test-6gxk23no5605e14f', service_name: 'ss1', is_public: true };

async function call(path: string, init: { method?: string; token?: string; body?: string } = {}) {
  const query = init.token === undefined ? '' : `?access_token=${encodeURIComponent(init.token)}`;
  const response = await fetch(`${fake.url}${path}${query}`, {
    method: init.method ?? 'POST',
    ...(init.body !== undefined && { body: init.body }),
  });
  return { status: response.status, text: await response.text() };
}

async function errcode(init: { method?: string; token?: string; body?: string }) {
  const { text } = await call(CREATE_PATH, init);
  const answer = JSON.parse(text) as { errcode: number; errmsg: string };
  expect(answer.errmsg).toMatch(/ rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  return answer.errcode;
}

describe('fake createCloudbaseService', () => {
  it('creates a service for a valid token and body, with a rid in errmsg', async () => {
    expect(await errcode({ token: TOKEN, body: JSON.stringify(minimal) })).toBe(0);
    expect(fake.created).toEqual(['test-6gxk23no5605e14f/ss1']);
    expect(fake.requests).toMatchObject([{ method: 'POST', path: CREATE_PATH, query: { access_token: TOKEN } }]);
  });

  it.each([
    ['GET instead of POST', { method: 'GET', token: TOKEN }, 43002],
    ['no access_token', { body: JSON.stringify(minimal) }, 41001],
    ['an unknown token', { token: 'nope', body: JSON.stringify(minimal) }, 40014],
    ['an expired token', { token: 'expired-component-access-token', body: JSON.stringify(minimal) }, 42001],
    ['an empty body', { token: TOKEN, body: '' }, 44002],
    ['a body that is not JSON', { token: TOKEN, body: '{"env_id":' }, 47001],
    ['a missing required field', { token: TOKEN, body: JSON.stringify({ env_id: 'e', is_public: true }) }, 40101],
    ['the doc sample’s " service_name" typo', { token: TOKEN, body: '{"env_id":"e"," service_name":"s","is_public":true}' }, 40101],
    ['is_public as a string', { token: TOKEN, body: JSON.stringify({ ...minimal, is_public: 'true' }) }, 40097],
    ['public_access nested in vpc_info', { token: TOKEN, body: JSON.stringify({ ...minimal, vpc_info: { public_access: 1 } }) }, 40097],
    ['a port as a string', { token: TOKEN, body: JSON.stringify({ ...minimal, es_info: { port: '9200' } }) }, 40097],
  ])('answers %s with its documented errcode', async (_, init, expected) => {
    expect(await errcode(init)).toBe(expected);
    expect(fake.created).toEqual([]);
  });

  it('answers 85088 for an environment without CloudBase and 61004 for a caller off the IP whitelist', async () => {
    fake.environmentsWithoutCloudBase.add(minimal.env_id);
    expect(await errcode({ token: TOKEN, body: JSON.stringify(minimal) })).toBe(85088);
    fake.ipWhitelist = ['203.0.113.7'];
    const { text } = await call(CREATE_PATH, { token: TOKEN, body: JSON.stringify(minimal) });
    expect(JSON.parse(text).errmsg).toMatch(/^access clientip is not registered requestIP: 127\.0\.0\.1 rid: /);
  });

  it('misbehaves on demand, once per queued fault, in order', async () => {
    fake.failNext({ kind: 'busy' }, { kind: 'html-502' }, { kind: 'empty-503' }, { kind: 'truncated-json' });
    const body = JSON.stringify(minimal);
    expect(await errcode({ token: TOKEN, body })).toBe(-1);
    expect(await call(CREATE_PATH, { token: TOKEN, body })).toMatchObject({
      status: 502,
      text: expect.stringContaining('<h1>502 Bad Gateway</h1>'),
    });
    expect(await call(CREATE_PATH, { token: TOKEN, body })).toEqual({ status: 503, text: '' });
    expect(await call(CREATE_PATH, { token: TOKEN, body })).toEqual({ status: 200, text: '{"errcode":0' });
    expect(await errcode({ token: TOKEN, body })).toBe(0);
    expect(fake.requestsTo(CREATE_PATH)).toHaveLength(5);
    expect(fake.created).toEqual([`${minimal.env_id}/ss1`]);
  });

  it('drops the connection on demand', async () => {
    fake.failNext({ kind: 'reset' });
    await expect(call(CREATE_PATH, { token: TOKEN, body: '{}' })).rejects.toThrow();
    expect(fake.requests).toHaveLength(1);
  });
});

describe('fake api_component_token', () => {
  const credentials = () => ({
    component_appid: fake.platform.appid,
    component_appsecret: fake.platform.appsecret,
    component_verify_ticket: fake.platform.verifyTicket,
  });

  it('issues a token that createCloudbaseService then accepts', async () => {
    const { text } = await call(TOKEN_PATH, { body: JSON.stringify(credentials()) });
    const answer = JSON.parse(text) as { component_access_token: string; expires_in: number };
    expect(answer.expires_in).toBe(7200);
    expect(await errcode({ token: answer.component_access_token, body: JSON.stringify(minimal) })).toBe(0);
  });

  it.each([
    ['a wrong appsecret', { component_appsecret: 'wrong' }, 40001],
    ['an expired ticket', { component_verify_ticket: 'ticket@@@expired' }, 61005],
    ['an unknown ticket', { component_verify_ticket: 'ticket@@@other' }, 61006],
  ])('answers %s with %s', async (_, change, expected) => {
    const { text } = await call(TOKEN_PATH, { body: JSON.stringify({ ...credentials(), ...change }) });
    expect(JSON.parse(text).errcode).toBe(expected);
  });
});

const ENV = minimal.env_id;
const OK = /^ok rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const notFound = (what: string) =>
  new RegExp(String.raw`^tcb api error TcbCode: \[ResourceNotFound\] TcbMessage: \[${what} not found\] rid: \S+$`);
const newVersion = {
  env_id: ENV,
  server_name: 'ss1',
  upload_type: 'image',
  flow_ratio: 100,
  cpu: 0.25,
  mem: 0.5,
  min_num: 0,
  max_num: 5,
  policy_type: 'cpu',
  policy_threshold: 60,
  container_port: 80,
  image_info: { image_url: 'ccr.ccs.tencentyun.com/ns/app:1' },
  env_params: JSON.stringify({ NODE_ENV: 'preview' }),
  version_remark: 'pr-7',
  image_secret_info: { registry_server: 'ccr.ccs.tencentyun.com', user_name: 'u', password: 'p', email: 'e@example.com' },
};

/** POSTs a JSON body with the valid token; WeChat's answer. */
async function post(path: string, body: unknown): Promise<Record<string, unknown> & { errcode: number; errmsg: string }> {
  const { text } = await call(path, { token: TOKEN, body: JSON.stringify(body) });
  return JSON.parse(text) as Record<string, unknown> & { errcode: number; errmsg: string };
}

const listVersionStatuses = async (body: Record<string, unknown> = {}) =>
  ((await post(LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1', ...body })).items as Array<{ status: string }>).map(
    (item) => item.status,
  );

/** A time WeChat shows, in Beijing time, as milliseconds since the epoch. */
const beijing = (time: unknown) => Date.parse(`${String(time).replace(' ', 'T')}+08:00`);

describe('fake CloudBase Run state across calls', () => {
  it('refuses a second create of the same name with ResourceInUse and changes nothing', async () => {
    expect((await post(CREATE_PATH, minimal)).errcode).toBe(0);
    const again = await post(CREATE_PATH, { ...minimal, is_public: false });
    expect(again.errcode).toBe(-501000);
    expect(again.errmsg).toMatch(/^tcb api error TcbCode: \[ResourceInUse\] TcbMessage: \[service already exists\] rid: [0-9a-f-]{26}$/);
    expect(fake.created).toEqual([`${ENV}/ss1`]);
    expect(fake.services(ENV)).toEqual(['ss1']);
    // The same name in another environment is another service.
    expect((await post(CREATE_PATH, { ...minimal, env_id: 'other-env' })).errcode).toBe(0);
    expect(fake.created).toEqual([`${ENV}/ss1`, 'other-env/ss1']);
  });

  it('lists created and seeded services with getcslist, in creation order, with the documented fields', async () => {
    const before = Date.now();
    fake.addService(ENV, 'seeded');
    expect((await post(CREATE_PATH, minimal)).errcode).toBe(0);
    fake.addService('other-env', 'elsewhere');
    const answer = await post(LIST_SERVICES_PATH, { env: ENV, offset: 0, limit: 20 });
    const item = (server_name: string) => ({
      server_name,
      status: 'succ',
      vpcid: '',
      image_repo: '',
      created_time: expect.stringMatching(TIME),
      updated_time: expect.stringMatching(TIME),
    });
    expect(answer).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK), total: 2, cslist: [item('seeded'), item('ss1')] });
    const cslist = answer['cslist'] as Array<Record<string, unknown>>;
    // Beijing time, to the second.
    for (const time of cslist.flatMap((entry) => [entry['created_time'], entry['updated_time']])) {
      expect(beijing(time)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(beijing(time)).toBeLessThanOrEqual(Date.now());
    }
    expect(fake.services(ENV)).toEqual(['seeded', 'ss1']);
    expect(await post(LIST_SERVICES_PATH, { env: 'empty-env' })).toEqual({
      errcode: 0,
      errmsg: expect.stringMatching(OK),
      total: 0,
      cslist: [],
    });
  });

  it('creates versions named <service>-NNN and lists them with getcsversionlist, with the documented fields', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-002', status: 'build_fail', flow_ratio: 30 }]);
    const created = await post(CREATE_VERSION_PATH, newVersion);
    expect(created).toEqual({
      errcode: 0,
      errmsg: expect.stringMatching(OK),
      result: 'creating',
      version_name: 'ss1-001',
      run_id: expect.stringMatching(/^run-[0-9a-f]{16}$/),
    });
    // The seeded ss1-002 is skipped, not given twice.
    expect((await post(CREATE_VERSION_PATH, { ...newVersion, flow_ratio: 0, min_num: 1, max_num: 50 }))['version_name']).toBe('ss1-003');
    const answer = await post(LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1', offset: 0, limit: 20 });
    const item = (version_name: string, status: string, flow_ratio: number, min_replicas: number, max_replicas: number) => ({
      version_name,
      status,
      created_time: expect.stringMatching(TIME),
      updated_time: expect.stringMatching(TIME),
      flow_ratio,
      buildid: expect.any(Number),
      upload_type: 'image',
      min_replicas,
      max_replicas,
    });
    expect(answer).toEqual({
      errcode: 0,
      errmsg: expect.stringMatching(OK),
      total: 3,
      // A version has no traffic until it runs, whatever flow_ratio its create asked for.
      items: [item('ss1-002', 'build_fail', 30, 0, 5), item('ss1-001', 'building', 0, 0, 5), item('ss1-003', 'building', 0, 1, 50)],
    });
    const buildids = (answer['items'] as Array<{ buildid: number }>).map((entry) => entry.buildid);
    expect(new Set(buildids).size).toBe(3);
    expect(fake.versions(ENV, 'ss1').map((version) => version.version_name)).toEqual(['ss1-002', 'ss1-001', 'ss1-003']);
    expect(fake.versions(ENV, 'nothing')).toEqual([]);
  });

  it('deletes versions; the last one with is_delete_server takes the service with it', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001' }, { version_name: 'ss1-002' }]);
    const deleted = await post(DELETE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001', is_delete_server: true });
    expect(deleted).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK), result: 'succ' });
    // Not the last version: the service stays.
    expect(fake.services(ENV)).toEqual(['ss1']);
    expect(fake.versions(ENV, 'ss1').map((version) => version.version_name)).toEqual(['ss1-002']);
    const again = await post(DELETE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001' });
    expect(again.errcode).toBe(-501000);
    expect(again.errmsg).toMatch(notFound('version'));
    const last = await post(DELETE_VERSION_PATH, {
      env_id: ENV,
      server_name: 'ss1',
      version_name: 'ss1-002',
      is_delete_server: true,
      is_delete_image: true,
    });
    expect(last.errcode).toBe(0);
    expect(fake.services(ENV)).toEqual([]);
    expect((await post(LIST_SERVICES_PATH, { env: ENV }))['total']).toBe(0);
    const gone = await post(DELETE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', version_name: 'ss1-002' });
    expect(gone.errmsg).toMatch(notFound('service'));
  });

  it('keeps a service whose last version is deleted without is_delete_server', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001' }]);
    expect(
      (await post(DELETE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001', is_delete_server: false })).errcode,
    ).toBe(0);
    expect(fake.services(ENV)).toEqual(['ss1']);
    expect(fake.versions(ENV, 'ss1')).toEqual([]);
  });

  it('delcontainerservice refuses a service with versions and deletes one without', async () => {
    expect((await post(CREATE_PATH, minimal)).errcode).toBe(0);
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    const refused = await post(DELETE_SERVICE_PATH, { env: ENV, service_name: 'ss1' });
    expect(refused.errcode).toBe(-501000);
    expect(refused.errmsg).toMatch(
      /^tcb api error TcbCode: \[OperationDenied\] TcbMessage: \[service has versions, delete them first\] rid: \S+$/,
    );
    expect(fake.services(ENV)).toEqual(['ss1']);
    expect((await post(DELETE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001' })).errcode).toBe(0);
    expect(await post(DELETE_SERVICE_PATH, { env: ENV, service_name: 'ss1' })).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK) });
    expect(fake.services(ENV)).toEqual([]);
    // Created again, it starts over.
    expect((await post(CREATE_PATH, minimal)).errcode).toBe(0);
    expect(fake.created).toEqual([`${ENV}/ss1`, `${ENV}/ss1`]);
    expect(fake.versions(ENV, 'ss1')).toEqual([]);
  });

  it.each([
    ['getcsversionlist', LIST_VERSIONS_PATH, { env: ENV, service_name: 'nope' }],
    ['delcontainerservice', DELETE_SERVICE_PATH, { env: ENV, service_name: 'nope' }],
    ['deletecloudbaserunserverversion', DELETE_VERSION_PATH, { env_id: ENV, server_name: 'nope', version_name: 'nope-001' }],
    ['createcloudbaserunserverversion', CREATE_VERSION_PATH, { ...newVersion, server_name: 'nope' }],
  ])('%s answers ResourceNotFound for an unknown service', async (_, path, body) => {
    fake.addService('other-env', 'nope', [{ version_name: 'nope-001' }]);
    const answer = await post(path, body);
    expect(answer).toEqual({ errcode: -501000, errmsg: expect.stringMatching(notFound('service')) });
    expect(fake.services(ENV)).toEqual([]);
    expect(fake.versions('other-env', 'nope')).toHaveLength(1);
  });
});

describe('fake list paging', () => {
  const names = (answer: Record<string, unknown>) => (answer['cslist'] as Array<{ server_name: string }>).map((item) => item.server_name);

  it('pages getcslist by offset and limit, with the whole total, 20 by default', async () => {
    for (let i = 1; i <= 25; i += 1) fake.addService(ENV, `s${i}`);
    const page = await post(LIST_SERVICES_PATH, { env: ENV, offset: 3, limit: 2 });
    expect(page['total']).toBe(25);
    expect(names(page)).toEqual(['s4', 's5']);
    const first = await post(LIST_SERVICES_PATH, { env: ENV });
    expect(names(first)).toEqual(Array.from({ length: 20 }, (_, i) => `s${i + 1}`));
    expect(names(await post(LIST_SERVICES_PATH, { env: ENV, offset: 20 }))).toEqual(['s21', 's22', 's23', 's24', 's25']);
    const past = await post(LIST_SERVICES_PATH, { env: ENV, offset: 25, limit: 5 });
    expect([past['total'], past['cslist']]).toEqual([25, []]);
  });

  it('caps a page at pageCap whatever limit asks, for both lists', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'v1' }, { version_name: 'v2' }, { version_name: 'v3' }, { version_name: 'v4' }]);
    for (let i = 1; i <= 4; i += 1) fake.addService(ENV, `s${i}`);
    fake.pageCap = 3;
    const services = await post(LIST_SERVICES_PATH, { env: ENV, offset: 1, limit: 20 });
    expect([services['total'], names(services)]).toEqual([5, ['s1', 's2', 's3']]);
    expect(names(await post(LIST_SERVICES_PATH, { env: ENV, limit: 2 }))).toEqual(['ss1', 's1']);
    const versions = await post(LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1', offset: 0, limit: 20 });
    expect(versions['total']).toBe(4);
    expect((versions['items'] as Array<{ version_name: string }>).map((item) => item.version_name)).toEqual(['v1', 'v2', 'v3']);
    const rest = await post(LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1', offset: 3 });
    expect((rest['items'] as Array<{ version_name: string }>).map((item) => item.version_name)).toEqual(['v4']);
  });
});

describe('fake version lifecycle', () => {
  beforeEach(() => fake.addService(ENV, 'ss1'));

  it('builds for two reads, then runs, by default', async () => {
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    // Reading the fake's own state is not a read.
    expect(fake.versions(ENV, 'ss1').map((version) => version.status)).toEqual(['building']);
    expect(await listVersionStatuses()).toEqual(['building']);
    expect(await listVersionStatuses()).toEqual(['building']);
    expect(await listVersionStatuses()).toEqual(['normal']);
    expect(await listVersionStatuses()).toEqual(['normal']);
    expect(fake.versions(ENV, 'ss1').map((version) => version.status)).toEqual(['normal']);
  });

  it('follows versionLifecycle, counting only the reads whose page lists the version', async () => {
    fake.versionLifecycle = [{ status: 'building', reads: 3 }, { status: 'build_fail' }];
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    fake.versionLifecycle = [{ status: 'building' }];
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    // A page that lists only the second version leaves the first one's count alone.
    expect(await listVersionStatuses({ offset: 1 })).toEqual(['building']);
    expect(await listVersionStatuses()).toEqual(['building', 'building']);
    expect(await listVersionStatuses()).toEqual(['building', 'building']);
    expect(await listVersionStatuses()).toEqual(['building', 'building']);
    expect(await listVersionStatuses()).toEqual(['build_fail', 'building']);
    for (let i = 0; i < 5; i += 1) expect(await listVersionStatuses()).toEqual(['build_fail', 'building']);
  });

  it('ends a time-based step ms after it began, whether read or not, and dates the change', async () => {
    fake.versionLifecycle = [{ status: 'building', ms: 300 }, { status: 'deploying', ms: 300 }, { status: 'normal' }];
    const start = Date.now();
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    expect(await listVersionStatuses()).toEqual(['building']);
    expect(await listVersionStatuses()).toEqual(['building']);
    await new Promise((resolve) => setTimeout(resolve, 700 - (Date.now() - start)));
    const [item] = (await post(LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1' }))['items'] as Array<Record<string, unknown>>;
    expect(item?.['status']).toBe('normal');
    // It became normal 600 ms after the create (to the second).
    expect(beijing(item?.['updated_time'])).toBeGreaterThanOrEqual(Math.floor((start + 600) / 1000) * 1000);
    expect(beijing(item?.['updated_time'])).toBeLessThanOrEqual(Date.now());
  });

  it('takes the lifecycle when the version is created', async () => {
    fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    // Changed in place as well as replaced.
    fake.versionLifecycle.splice(0, 2, { status: 'building', reads: 5 });
    expect(await listVersionStatuses()).toEqual(['building']);
    fake.versionLifecycle = [{ status: 'building' }];
    expect(await listVersionStatuses()).toEqual(['normal']);
  });

  it('answers without version_name when omitVersionName is set', async () => {
    fake.omitVersionName = true;
    const answer = await post(CREATE_VERSION_PATH, newVersion);
    expect(answer).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK), result: 'creating', run_id: expect.stringMatching(/^run-/) });
    expect(fake.versions(ENV, 'ss1').map((version) => version.version_name)).toEqual(['ss1-001']);
  });
});

describe('fake parameter checks of the CloudBase Run calls', () => {
  const calls = [
    ['getcslist', LIST_SERVICES_PATH, { env: ENV, offset: 0, limit: 20 }],
    ['getcsversionlist', LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1', offset: 0, limit: 20 }],
    ['delcontainerservice', DELETE_SERVICE_PATH, { env: ENV, service_name: 'ss1' }],
    ['deletecloudbaserunserverversion', DELETE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001' }],
    ['createcloudbaserunserverversion', CREATE_VERSION_PATH, newVersion],
    ['releasecloudbaserunversion', RELEASE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', release_version: 'ss1-001' }],
    ['setcspropotion', SET_TRAFFIC_PATH, { env: ENV, service_name: 'ss1', items: [{ version_name: 'ss1-001', flow_ratio: 100 }] }],
  ] as const;

  it.each(calls)('%s makes the shared checks in order, and acts on none of them', async (_, path, body) => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001' }]);
    const valid = JSON.stringify(body);
    const refusal = async (init: { method?: string; token?: string; body?: string }) => {
      const { text } = await call(path, init);
      const answer = JSON.parse(text) as { errcode: number; errmsg: string };
      expect(answer.errmsg).toMatch(/ rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
      return `${answer.errcode} ${answer.errmsg.replace(/ rid: .*$/, '')}`;
    };
    expect(await refusal({ method: 'GET', token: TOKEN })).toBe('43002 require POST method');
    expect(await refusal({ body: valid })).toBe('41001 access_token missing');
    expect(await refusal({ token: 'expired-component-access-token', body: valid })).toBe('42001 access_token expired');
    expect(await refusal({ token: 'nope', body: valid })).toBe('40014 invalid access_token');
    expect(await refusal({ token: TOKEN, body: '' })).toBe('44002 empty post data');
    expect(await refusal({ token: TOKEN, body: '{"env":' })).toBe('47001 data format error');
    expect(await refusal({ token: TOKEN, body: '[]' })).toBe('47001 data format error');
    expect(await refusal({ token: TOKEN, body: JSON.stringify({ ...body, surprise: 1 }) })).toBe('40097 invalid args surprise');
    fake.environmentsWithoutCloudBase.add(ENV);
    expect(await refusal({ token: TOKEN, body: valid })).toBe('85088 no qbase privilege');
    fake.ipWhitelist = ['203.0.113.7'];
    // The IP check comes before the body's.
    expect(await refusal({ token: TOKEN, body: '' })).toBe('61004 access clientip is not registered requestIP: 127.0.0.1');
    expect(fake.services(ENV)).toEqual(['ss1']);
    expect(fake.versions(ENV, 'ss1').map((version) => version.version_name)).toEqual(['ss1-001']);
  });

  it.each([
    ['getcslist with env_id', LIST_SERVICES_PATH, { env_id: ENV }, 'env'],
    ['getcsversionlist with env_id', LIST_VERSIONS_PATH, { env_id: ENV, service_name: 'ss1' }, 'env'],
    ['getcsversionlist with server_name', LIST_VERSIONS_PATH, { env: ENV, server_name: 'ss1' }, 'service_name'],
    ['delcontainerservice with env_id', DELETE_SERVICE_PATH, { env_id: ENV, service_name: 'ss1' }, 'env'],
    ['delcontainerservice with server_name', DELETE_SERVICE_PATH, { env: ENV, server_name: 'ss1' }, 'service_name'],
    ['deletecloudbaserunserverversion with env', DELETE_VERSION_PATH, { env: ENV, server_name: 'ss1', version_name: 'ss1-001' }, 'env_id'],
    [
      'deletecloudbaserunserverversion with service_name',
      DELETE_VERSION_PATH,
      { env_id: ENV, service_name: 'ss1', version_name: 'ss1-001' },
      'server_name',
    ],
    [
      'createcloudbaserunserverversion with service_name',
      CREATE_VERSION_PATH,
      { ...newVersion, server_name: undefined, service_name: 'ss1' },
      'server_name',
    ],
    ['createcloudbaserunserverversion with env', CREATE_VERSION_PATH, { ...newVersion, env_id: undefined, env: ENV }, 'env_id'],
    [
      'createcloudbaserunserverversion without container_port',
      CREATE_VERSION_PATH,
      { ...newVersion, container_port: undefined },
      'container_port',
    ],
    ['establishcloudbaserunserver with server_name', CREATE_PATH, { env_id: ENV, server_name: 'ss1', is_public: true }, 'service_name'],
    [
      'releasecloudbaserunversion with service_name',
      RELEASE_VERSION_PATH,
      { env_id: ENV, service_name: 'ss1', release_version: 'ss1-001' },
      'server_name',
    ],
    ['releasecloudbaserunversion with env', RELEASE_VERSION_PATH, { env: ENV, server_name: 'ss1', release_version: 'ss1-001' }, 'env_id'],
    [
      'releasecloudbaserunversion with version_name',
      RELEASE_VERSION_PATH,
      { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001' },
      'release_version',
    ],
    [
      'setcspropotion with env_id',
      SET_TRAFFIC_PATH,
      { env_id: ENV, service_name: 'ss1', items: [{ version_name: 'ss1-001', flow_ratio: 100 }] },
      'env',
    ],
    [
      'setcspropotion with server_name',
      SET_TRAFFIC_PATH,
      { env: ENV, server_name: 'ss1', items: [{ version_name: 'ss1-001', flow_ratio: 100 }] },
      'service_name',
    ],
    ['setcspropotion without items', SET_TRAFFIC_PATH, { env: ENV, service_name: 'ss1' }, 'items'],
  ])('answers %s (the other generation’s name) with 40101', async (_, path, body, missing) => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001' }]);
    const answer = await post(path, body);
    expect(answer).toEqual({ errcode: 40101, errmsg: expect.stringMatching(new RegExp(`^missing parameter ${missing} rid: \\S+$`)) });
    expect(fake.versions(ENV, 'ss1')).toHaveLength(1);
  });

  it.each([
    ['env_params as an object', { env_params: { NODE_ENV: 'preview' } }, 'env_params'],
    ['env_params as a string that is not a JSON object', { env_params: '["a"]' }, 'env_params'],
    ['container_port as a numeric string', { container_port: '80' }, 'container_port'],
    ['container_port 0', { container_port: 0 }, 'container_port'],
    ['cpu as a numeric string', { cpu: '0.25' }, 'cpu'],
    ['mem 0', { mem: 0 }, 'mem'],
    ['flow_ratio above 100', { flow_ratio: 101 }, 'flow_ratio'],
    ['flow_ratio below 0', { flow_ratio: -1 }, 'flow_ratio'],
    ['max_num above 50', { max_num: 51 }, 'max_num'],
    ['min_num below 0', { min_num: -1 }, 'min_num'],
    ['min_num above max_num', { min_num: 6, max_num: 5 }, 'min_num'],
    ['policy_threshold as a string', { policy_threshold: '60' }, 'policy_threshold'],
    ['an unknown upload_type', { upload_type: 'docker' }, 'upload_type'],
    ['server_name as a number', { server_name: 1 }, 'server_name'],
    ['an empty server_name', { server_name: '' }, 'server_name'],
    ['image_info with an unknown key', { image_info: { image_url: 'x', tag: '1' } }, 'image_info'],
    ['image_info as a string', { image_info: 'ccr.ccs.tencentyun.com/ns/app:1' }, 'image_info'],
    ['image_secret_info with a numeric password', { image_secret_info: { password: 1234 } }, 'image_secret_info'],
    ['version_remark as null', { version_remark: null }, 'version_remark'],
  ])('createcloudbaserunserverversion answers %s with 40097', async (_, change, field) => {
    fake.addService(ENV, 'ss1');
    const answer = await post(CREATE_VERSION_PATH, { ...newVersion, ...change });
    expect(answer).toEqual({ errcode: 40097, errmsg: expect.stringMatching(new RegExp(`^invalid args ${field} rid: \\S+$`)) });
    expect(fake.versions(ENV, 'ss1')).toEqual([]);
  });

  it.each([
    ['getcslist limit as a numeric string', LIST_SERVICES_PATH, { env: ENV, limit: '20' }, 'limit'],
    ['getcslist a negative offset', LIST_SERVICES_PATH, { env: ENV, offset: -1 }, 'offset'],
    ['getcslist limit 0', LIST_SERVICES_PATH, { env: ENV, limit: 0 }, 'limit'],
    ['getcslist env as a number', LIST_SERVICES_PATH, { env: 1 }, 'env'],
    ['getcsversionlist offset as a numeric string', LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1', offset: '0' }, 'offset'],
    ['delcontainerservice an extra env_id', DELETE_SERVICE_PATH, { env: ENV, service_name: 'ss1', env_id: ENV }, 'env_id'],
    [
      'deletecloudbaserunserverversion is_delete_server as a string',
      DELETE_VERSION_PATH,
      { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001', is_delete_server: 'true' },
      'is_delete_server',
    ],
    [
      'deletecloudbaserunserverversion is_delete_image as 1',
      DELETE_VERSION_PATH,
      { env_id: ENV, server_name: 'ss1', version_name: 'ss1-001', is_delete_image: 1 },
      'is_delete_image',
    ],
  ])('answers %s with 40097', async (_, path, body, field) => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001' }]);
    const answer = await post(path, body);
    expect(answer).toEqual({ errcode: 40097, errmsg: expect.stringMatching(new RegExp(`^invalid args ${field} rid: \\S+$`)) });
    expect(fake.services(ENV)).toEqual(['ss1']);
    expect(fake.versions(ENV, 'ss1')).toHaveLength(1);
  });

  it('records the parsed body of each request, and none when it is not JSON', async () => {
    await call(LIST_SERVICES_PATH, { token: TOKEN, body: JSON.stringify({ env: ENV }) });
    await call(LIST_SERVICES_PATH, { token: TOKEN, body: '{"env":' });
    expect(fake.requests.map((request) => request.json)).toEqual([{ env: ENV }, undefined]);
    expect(fake.requests[0]?.answer).toMatchObject({ errcode: 0, total: 0, cslist: [] });
  });
});

describe('fake faults', () => {
  it('gives a fault with a path to the next request to that path only, keeping the queue in order', async () => {
    fake.addService(ENV, 'ss1');
    fake.failNext({ kind: 'busy', path: CREATE_VERSION_PATH }, { kind: 'html-502' }, { kind: 'empty-503', path: CREATE_VERSION_PATH });
    // The first fault that applies to getcslist is the html-502.
    expect((await call(LIST_SERVICES_PATH, { token: TOKEN, body: JSON.stringify({ env: ENV }) })).status).toBe(502);
    expect((await post(LIST_SERVICES_PATH, { env: ENV })).errcode).toBe(0);
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(-1);
    expect(await call(CREATE_VERSION_PATH, { token: TOKEN, body: JSON.stringify(newVersion) })).toEqual({ status: 503, text: '' });
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    expect(fake.versions(ENV, 'ss1').map((version) => version.version_name)).toEqual(['ss1-001']);
  });

  it('applies failAlways with a path to that path only', async () => {
    fake.failAlways({ kind: 'busy', path: LIST_SERVICES_PATH });
    expect((await post(LIST_SERVICES_PATH, { env: ENV })).errcode).toBe(-1);
    expect((await post(LIST_SERVICES_PATH, { env: ENV })).errcode).toBe(-1);
    expect((await post(CREATE_PATH, minimal)).errcode).toBe(0);
    expect(fake.created).toEqual([`${ENV}/ss1`]);
  });

  it('act-then acts and then drops the connection: the create landed, its answer is lost', async () => {
    fake.failNext({ kind: 'act-then', fault: { kind: 'reset' } });
    await expect(call(CREATE_PATH, { token: TOKEN, body: JSON.stringify(minimal) })).rejects.toThrow();
    expect(fake.created).toEqual([`${ENV}/ss1`]);
    expect(fake.services(ENV)).toEqual(['ss1']);
    expect(fake.requests[0]?.answer).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK) });
    // The retry a careless client would send meets the service it already created.
    expect((await post(CREATE_PATH, minimal)).errmsg).toMatch(/\[ResourceInUse\]/);
  });

  it('act-then acts before reset-mid-body and truncated-json too', async () => {
    fake.addService(ENV, 'ss1');
    fake.failNext({ kind: 'act-then', fault: { kind: 'reset-mid-body' } }, { kind: 'act-then', fault: { kind: 'truncated-json' } });
    await expect(call(CREATE_VERSION_PATH, { token: TOKEN, body: JSON.stringify(newVersion) })).rejects.toThrow();
    expect(await call(CREATE_VERSION_PATH, { token: TOKEN, body: JSON.stringify(newVersion) })).toEqual({
      status: 200,
      text: '{"errcode":0',
    });
    expect(fake.versions(ENV, 'ss1').map((version) => version.version_name)).toEqual(['ss1-001', 'ss1-002']);
    expect(fake.requestsTo(CREATE_VERSION_PATH).map((request) => request.answer?.['version_name'])).toEqual(['ss1-001', 'ss1-002']);
  });

  it('act-then with an errcode records the answer it would have given and sends the errcode', async () => {
    fake.failNext({ kind: 'act-then', fault: { kind: 'busy' } });
    expect((await post(CREATE_PATH, minimal)).errcode).toBe(-1);
    expect(fake.created).toEqual([`${ENV}/ss1`]);
    expect(fake.requests[0]?.answer?.['errcode']).toBe(0);
  });

  it('act-then with a delay acts at once and answers after ms', async () => {
    fake.failNext({ kind: 'act-then', fault: { kind: 'delay', ms: 400 } });
    const start = Date.now();
    const pending = call(CREATE_PATH, { token: TOKEN, body: JSON.stringify(minimal) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.created).toEqual([`${ENV}/ss1`]);
    const { status, text } = await pending;
    expect(Date.now() - start).toBeGreaterThanOrEqual(400);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK) });
  });

  it('a plain delay acts only if the caller is still there', async () => {
    fake.failNext({ kind: 'delay', ms: 300 });
    await expect(
      fetch(`${fake.url}${CREATE_PATH}?access_token=${TOKEN}`, {
        method: 'POST',
        body: JSON.stringify(minimal),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(fake.created).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('answers a raw fault exactly: a BOM before the JSON, a gzip body, headers as given', async () => {
    const json = JSON.stringify({ errcode: 0, errmsg: 'ok rid: 1' });
    fake.failNext(
      { kind: 'raw', status: 200, body: `\uFEFF${json}`, headers: { 'Content-Type': 'application/json' } },
      {
        kind: 'raw',
        status: 200,
        body: gzipSync(json),
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'X-Fake': 'yes' },
      },
      { kind: 'raw', status: 418, body: 'short and stout' },
    );
    const bom = await fetch(`${fake.url}${TOKEN_PATH}`, { method: 'POST', body: '{}' });
    expect([...new Uint8Array(await bom.arrayBuffer())].slice(0, 4)).toEqual([0xef, 0xbb, 0xbf, 0x7b]);
    expect(bom.headers.get('content-type')).toBe('application/json');
    const gzip = await fetch(`${fake.url}${CREATE_PATH}?access_token=${TOKEN}`, { method: 'POST', body: JSON.stringify(minimal) });
    expect([gzip.headers.get('content-encoding'), gzip.headers.get('x-fake'), await gzip.text()]).toEqual(['gzip', 'yes', json]);
    expect(await call(CREATE_PATH, { token: TOKEN, body: JSON.stringify(minimal) })).toEqual({ status: 418, text: 'short and stout' });
    // A raw answer does not act.
    expect(fake.created).toEqual([]);
    expect(fake.requests.map((request) => request.answer)).toEqual([undefined, undefined, undefined]);
  });

  it('sends an errcode fault’s errmsg as given with rid: false, and with a rid otherwise', async () => {
    fake.failNext(
      { kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized', rid: false },
      { kind: 'errcode', errcode: 48001, errmsg: 'api unauthorized' },
    );
    expect(await post(LIST_SERVICES_PATH, { env: ENV })).toEqual({ errcode: 48001, errmsg: 'api unauthorized' });
    expect((await post(LIST_SERVICES_PATH, { env: ENV })).errmsg).toMatch(/^api unauthorized rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect(fake.requests[0]?.answer).toEqual({ errcode: 48001, errmsg: 'api unauthorized' });
  });
});

describe('fake reset', () => {
  it('clears services, versions, faults and knobs, and keeps tokens', async () => {
    fake.tokens.add('kept-token');
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001' }]);
    expect((await post(CREATE_PATH, { ...minimal, service_name: 'ss2' })).errcode).toBe(0);
    fake.trafficDelay = { reads: 5 };
    expect((await post(RELEASE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', release_version: 'ss1-001' }))['result']).toBe('success');
    fake.pageCap = 1;
    fake.versionLifecycle = [{ status: 'building' }];
    fake.omitVersionName = true;
    fake.failNext({ kind: 'busy', path: CREATE_VERSION_PATH });
    fake.failAlways({ kind: 'html-502', path: DELETE_SERVICE_PATH });
    fake.ipWhitelist = ['203.0.113.7'];
    fake.environmentsWithoutCloudBase.add('other-env');
    let hooked = 0;
    fake.after(LIST_SERVICES_PATH, () => {
      hooked += 1;
    });

    fake.reset();
    expect([fake.services(ENV), fake.versions(ENV, 'ss1'), fake.created, fake.requests]).toEqual([[], [], [], []]);
    expect([fake.pageCap, fake.versionLifecycle, fake.omitVersionName, fake.ipWhitelist]).toEqual([
      undefined,
      [{ status: 'building', reads: 2 }, { status: 'normal' }],
      false,
      undefined,
    ]);
    expect(fake.tokens.has('kept-token')).toBe(true);
    expect(fake.environmentsWithoutCloudBase.size).toBe(0);
    expect(fake.trafficDelay).toBeUndefined();

    // The same name can be created again; no fault is left; the default lifecycle and paging are back.
    expect((await post(CREATE_PATH, minimal)).errcode).toBe(0);
    expect((await post(CREATE_PATH, { ...minimal, service_name: 'ss2' })).errcode).toBe(0);
    expect((await post(LIST_SERVICES_PATH, { env: ENV }))['total']).toBe(2);
    expect((await post(LIST_SERVICES_PATH, { env: ENV }))['cslist']).toHaveLength(2);
    expect((await post(CREATE_VERSION_PATH, newVersion))['version_name']).toBe('ss1-001');
    expect(await listVersionStatuses()).toEqual(['building']);
    expect(await listVersionStatuses()).toEqual(['building']);
    expect(await listVersionStatuses()).toEqual(['normal']);
    expect(await post(DELETE_SERVICE_PATH, { env: ENV, service_name: 'ss2' })).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK) });
    // The hook went with the reset; no traffic delay is left.
    expect(hooked).toBe(0);
    fake.addService(ENV, 'ss3', [{ version_name: 'a', flow_ratio: 100 }, { version_name: 'b' }]);
    expect((await post(RELEASE_VERSION_PATH, { env_id: ENV, server_name: 'ss3', release_version: 'b' }))['result']).toBe('success');
    expect(fake.trafficOf(ENV, 'ss3')).toEqual({ a: 0, b: 100 });
  });
});

/** Each version's share as a getcsversionlist read shows it (the read counts). */
async function listedShares(service = 'ss1'): Promise<Record<string, number>> {
  const answer = await post(LIST_VERSIONS_PATH, { env: ENV, service_name: service });
  expect(answer.errcode).toBe(0);
  return Object.fromEntries(
    (answer['items'] as Array<{ version_name: string; flow_ratio: number }>).map((item) => [item.version_name, item.flow_ratio]),
  );
}

const release = (version: string, service = 'ss1') =>
  post(RELEASE_VERSION_PATH, { env_id: ENV, server_name: service, release_version: version });
const split = (items: Array<[string, number]>, service = 'ss1') =>
  post(SET_TRAFFIC_PATH, {
    env: ENV,
    service_name: service,
    items: items.map(([version_name, flow_ratio]) => ({ version_name, flow_ratio })),
  });
const invalidParameter = /^tcb api error TcbCode: \[InvalidParameter\] TcbMessage: \[[^\]]+\] rid: \S+$/;
const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fake releasecloudbaserunversion (SPEC §1.4a)', () => {
  beforeEach(() =>
    fake.addService(ENV, 'ss1', [
      { version_name: 'ss1-001', flow_ratio: 70 },
      { version_name: 'ss1-002', flow_ratio: 30 },
      { version_name: 'ss1-003' },
      { version_name: 'ss1-004', status: 'build_fail' },
      { version_name: 'ss1-005', status: 'deploy_fail' },
    ]),
  );

  it('gives the version all the traffic and every other version none, answering result success and a release_order_id', async () => {
    const answer = await release('ss1-003');
    expect(answer).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK), result: 'success', release_order_id: expect.any(Number) });
    expect(Number.isInteger(answer['release_order_id']) && (answer['release_order_id'] as number) > 0).toBe(true);
    const expected = { 'ss1-001': 0, 'ss1-002': 0, 'ss1-003': 100, 'ss1-004': 0, 'ss1-005': 0 };
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(expected);
    expect(await listedShares()).toEqual(expected);
    // Released again: the same split, another order.
    const again = await release('ss1-003');
    expect(again['result']).toBe('success');
    expect(again['release_order_id']).not.toBe(answer['release_order_id']);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(expected);
  });

  it.each(['ss1-004', 'ss1-005'])('answers errcode 0 with result failed for %s, a failed version, and changes nothing', async (version) => {
    expect(await release(version)).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK), result: 'failed' });
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 70, 'ss1-002': 30, 'ss1-003': 0, 'ss1-004': 0, 'ss1-005': 0 });
  });

  it('answers result failed for a version still building', async () => {
    fake.versionLifecycle = [{ status: 'building' }];
    expect((await post(CREATE_VERSION_PATH, newVersion))['version_name']).toBe('ss1-006');
    expect(await release('ss1-006')).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK), result: 'failed' });
    expect(fake.trafficOf(ENV, 'ss1')['ss1-001']).toBe(70);
  });

  it('answers ResourceNotFound for an unknown service or version', async () => {
    const service = await release('ss1-001', 'nope');
    expect([service.errcode, service.errmsg]).toEqual([-501000, expect.stringMatching(notFound('service'))]);
    const version = await release('ss1-009');
    expect([version.errcode, version.errmsg]).toEqual([-501000, expect.stringMatching(notFound('version'))]);
    expect(fake.trafficOf(ENV, 'ss1')['ss1-001']).toBe(70);
  });

  it.each([
    ['release_version as a number', { release_version: 3 }, 'release_version'],
    ['an empty release_version', { release_version: '' }, 'release_version'],
    ['server_name as a number', { server_name: 1 }, 'server_name'],
    ['an extra flow_ratio', { flow_ratio: 100 }, 'flow_ratio'],
  ])('answers %s with 40097', async (_, change, field) => {
    const answer = await post(RELEASE_VERSION_PATH, { env_id: ENV, server_name: 'ss1', release_version: 'ss1-003', ...change });
    expect(answer).toEqual({ errcode: 40097, errmsg: expect.stringMatching(new RegExp(`^invalid args ${field} rid: \\S+$`)) });
    expect(fake.trafficOf(ENV, 'ss1')['ss1-001']).toBe(70);
  });
});

describe('fake setcspropotion (SPEC §1.4a)', () => {
  beforeEach(() =>
    fake.addService(ENV, 'ss1', [
      { version_name: 'ss1-001', flow_ratio: 100 },
      { version_name: 'ss1-002' },
      { version_name: 'ss1-003' },
      { version_name: 'ss1-004', status: 'build_fail' },
    ]),
  );
  const before = { 'ss1-001': 100, 'ss1-002': 0, 'ss1-003': 0, 'ss1-004': 0 };

  it('sets the split, answering {errcode 0, errmsg}; a version left out gets 0', async () => {
    expect(
      await split([
        ['ss1-002', 70],
        ['ss1-003', 30],
      ]),
    ).toEqual({ errcode: 0, errmsg: expect.stringMatching(OK) });
    expect(await listedShares()).toEqual({ 'ss1-001': 0, 'ss1-002': 70, 'ss1-003': 30, 'ss1-004': 0 });
    // A version at 0 may be listed; a failed one too, with no share.
    expect(
      (
        await split([
          ['ss1-001', 100],
          ['ss1-002', 0],
          ['ss1-004', 0],
        ])
      ).errcode,
    ).toBe(0);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(before);
  });

  it.each([
    [
      'add up to 90',
      [
        ['ss1-001', 60],
        ['ss1-002', 30],
      ],
      90,
    ],
    [
      'add up to 110',
      [
        ['ss1-001', 60],
        ['ss1-002', 50],
      ],
      110,
    ],
    ['add up to 0', [['ss1-001', 0]], 0],
  ] as Array<[string, Array<[string, number]>, number]>)(
    'refuses shares that %s with InvalidParameter about the sum',
    async (_, items, sum) => {
      const answer = await split(items);
      expect(answer.errcode).toBe(-501000);
      expect(answer.errmsg).toMatch(invalidParameter);
      expect(answer.errmsg).toContain(`add up to ${sum}, not 100`);
      expect(fake.trafficOf(ENV, 'ss1')).toEqual(before);
    },
  );

  it('refuses a version listed twice with InvalidParameter, and unknown services and versions with ResourceNotFound', async () => {
    const twice = await split([
      ['ss1-002', 50],
      ['ss1-002', 50],
    ]);
    expect([twice.errcode, twice.errmsg]).toEqual([-501000, expect.stringMatching(invalidParameter)]);
    const version = await split([
      ['ss1-002', 50],
      ['ss1-009', 50],
    ]);
    expect([version.errcode, version.errmsg]).toEqual([-501000, expect.stringMatching(notFound('version'))]);
    const service = await split([['ss1-001', 100]], 'nope');
    expect([service.errcode, service.errmsg]).toEqual([-501000, expect.stringMatching(notFound('service'))]);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(before);
  });

  it('refuses a share for a version that is not normal with InvalidParameter', async () => {
    const answer = await split([
      ['ss1-001', 50],
      ['ss1-004', 50],
    ]);
    expect([answer.errcode, answer.errmsg]).toEqual([-501000, expect.stringMatching(invalidParameter)]);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(before);
  });

  it.each([
    ['an empty array', []],
    ['an object', { version_name: 'ss1-001', flow_ratio: 100 }],
    ['an item with an extra key', [{ version_name: 'ss1-001', flow_ratio: 100, weight: 1 }]],
    ['an item without flow_ratio', [{ version_name: 'ss1-001' }]],
    ['an item with server_name for version_name', [{ server_name: 'ss1-001', flow_ratio: 100 }]],
    ['flow_ratio 101', [{ version_name: 'ss1-001', flow_ratio: 101 }]],
    ['flow_ratio -1', [{ version_name: 'ss1-001', flow_ratio: -1 }]],
    ['flow_ratio 50.5', [{ version_name: 'ss1-001', flow_ratio: 50.5 }]],
    ['flow_ratio as a string', [{ version_name: 'ss1-001', flow_ratio: '100' }]],
    ['version_name as a number', [{ version_name: 1, flow_ratio: 100 }]],
    ['an empty version_name', [{ version_name: '', flow_ratio: 100 }]],
    ['an item that is a string', ['ss1-001']],
  ])('answers items that are %s with 40097 invalid args items', async (_, items) => {
    const answer = await post(SET_TRAFFIC_PATH, { env: ENV, service_name: 'ss1', items });
    expect(answer).toEqual({ errcode: 40097, errmsg: expect.stringMatching(/^invalid args items rid: \S+$/) });
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(before);
  });
});

describe('fake traffic delay', () => {
  beforeEach(() =>
    fake.addService(ENV, 'ss1', [
      { version_name: 'ss1-001', flow_ratio: 100 },
      { version_name: 'ss1-002', flow_ratio: 0 },
    ]),
  );
  const old = { 'ss1-001': 100, 'ss1-002': 0 };
  const released = { 'ss1-001': 0, 'ss1-002': 100 };

  it('shows a change at once by default', async () => {
    expect(fake.trafficDelay).toBeUndefined();
    expect((await release('ss1-002'))['result']).toBe('success');
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(released);
  });

  it('shows a release only after `reads` reads of the service; the fake’s own views are not reads', async () => {
    fake.trafficDelay = { reads: 2 };
    fake.addService(ENV, 'other', [{ version_name: 'o-1', flow_ratio: 100 }]);
    expect((await release('ss1-002'))['result']).toBe('success');
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(old);
    expect(fake.versions(ENV, 'ss1').map((version) => version.flow_ratio)).toEqual([100, 0]);
    // Another service's reads do not count.
    await listedShares('other');
    expect(await listedShares()).toEqual(old);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(old);
    expect(await listedShares()).toEqual(old);
    expect(await listedShares()).toEqual(released);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(released);
  });

  it('shows a setcspropotion change after `ms`, read or not', async () => {
    fake.trafficDelay = { ms: 300 };
    expect(
      (
        await split([
          ['ss1-001', 20],
          ['ss1-002', 80],
        ])
      ).errcode,
    ).toBe(0);
    expect(await listedShares()).toEqual(old);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual(old);
    await sleepMs(350);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 20, 'ss1-002': 80 });
    expect(await listedShares()).toEqual({ 'ss1-001': 20, 'ss1-002': 80 });
  });

  it('shows the change after reads or ms, whichever comes first', async () => {
    fake.trafficDelay = { reads: 1, ms: 60_000 };
    expect((await release('ss1-002'))['result']).toBe('success');
    expect(await listedShares()).toEqual(old);
    expect(await listedShares()).toEqual(released);
    fake.trafficDelay = { reads: 1000, ms: 200 };
    expect((await release('ss1-001'))['result']).toBe('success');
    expect(await listedShares()).toEqual(released);
    await sleepMs(250);
    expect(await listedShares()).toEqual(old);
  });

  it('replaces a pending change with a second one, whose delay starts when it is made', async () => {
    fake.trafficDelay = { reads: 2 };
    expect((await release('ss1-002'))['result']).toBe('success');
    expect(await listedShares()).toEqual(old);
    expect(
      (
        await split([
          ['ss1-001', 60],
          ['ss1-002', 40],
        ])
      ).errcode,
    ).toBe(0);
    expect(await listedShares()).toEqual(old);
    expect(await listedShares()).toEqual(old);
    expect(await listedShares()).toEqual({ 'ss1-001': 60, 'ss1-002': 40 });
    expect(await listedShares()).toEqual({ 'ss1-001': 60, 'ss1-002': 40 });
  });
});

describe('fake versions’ traffic and created_time', () => {
  it('dates seeds a second apart in seed order, and a version created through the API later than every seed', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-c' }, { version_name: 'ss1-a' }, { version_name: 'ss1-b' }]);
    fake.versionLifecycle = [{ status: 'normal' }];
    expect((await post(CREATE_VERSION_PATH, newVersion))['version_name']).toBe('ss1-001');
    const times = (await post(LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1' }))['items'] as Array<{ created_time: string }>;
    const [c = 0, a = 0, b = 0, created = 0] = times.map((item) => beijing(item.created_time));
    expect([a - c, b - a]).toEqual([1000, 1000]);
    expect(created).toBeGreaterThan(b);
    expect(created).toBeLessThanOrEqual(Date.now());
  });

  it('takes a seed’s created_time as WeChat’s text or as ms since the epoch, and refuses other text', () => {
    fake.addService(ENV, 'ss1', [
      { version_name: 'ss1-001', created_time: '2020-12-07 21:30:44' },
      { version_name: 'ss1-002', created_time: Date.UTC(2021, 0, 2, 3, 4, 5) },
    ]);
    expect(fake.versions(ENV, 'ss1').map((version) => [version.created_time, version.updated_time])).toEqual([
      ['2020-12-07 21:30:44', '2020-12-07 21:30:44'],
      ['2021-01-02 11:04:05', '2021-01-02 11:04:05'],
    ]);
    expect(() => fake.addService(ENV, 'ss2', [{ version_name: 'x', created_time: '2020-12-07T21:30:44' }])).toThrow(/created_time/);
  });

  it('gives a new version no traffic until it is normal, then its flow_ratio, scaling the others to the rest', async () => {
    fake.addService(ENV, 'ss1', [
      { version_name: 'ss1-001', flow_ratio: 70 },
      { version_name: 'ss1-002', flow_ratio: 30 },
    ]);
    fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
    expect((await post(CREATE_VERSION_PATH, { ...newVersion, flow_ratio: 50 }))['version_name']).toBe('ss1-003');
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 70, 'ss1-002': 30, 'ss1-003': 0 });
    expect(await listedShares()).toEqual({ 'ss1-001': 70, 'ss1-002': 30, 'ss1-003': 0 });
    expect(await listedShares()).toEqual({ 'ss1-001': 35, 'ss1-002': 15, 'ss1-003': 50 });
    // Once: a later read changes nothing.
    expect(await listedShares()).toEqual({ 'ss1-001': 35, 'ss1-002': 15, 'ss1-003': 50 });
  });

  it('takes flow_ratio 100 from every other version', async () => {
    fake.addService(ENV, 'ss1', [
      { version_name: 'ss1-001', flow_ratio: 70 },
      { version_name: 'ss1-002', flow_ratio: 30 },
    ]);
    fake.versionLifecycle = [{ status: 'normal' }];
    expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 0, 'ss1-002': 0, 'ss1-003': 100 });
  });

  it('scales the others by largest remainder, in whole numbers adding up to 100', async () => {
    fake.addService(ENV, 'ss1', [
      { version_name: 'ss1-001', flow_ratio: 50 },
      { version_name: 'ss1-002', flow_ratio: 30 },
      { version_name: 'ss1-003', flow_ratio: 20 },
    ]);
    fake.versionLifecycle = [{ status: 'normal' }];
    expect((await post(CREATE_VERSION_PATH, { ...newVersion, flow_ratio: 33 })).errcode).toBe(0);
    // 67 in proportion 50:30:20 is 33.5, 20.1, 13.4: the one left over goes to the largest remainder.
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 34, 'ss1-002': 20, 'ss1-003': 13, 'ss1-004': 33 });
  });

  it('gives the only serving version 100 whatever its flow_ratio, and leaves a flow_ratio 0 version at 0', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001', flow_ratio: 0 }]);
    fake.versionLifecycle = [{ status: 'normal' }];
    expect((await post(CREATE_VERSION_PATH, { ...newVersion, flow_ratio: 30 })).errcode).toBe(0);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 0, 'ss1-002': 100 });
    expect((await post(CREATE_VERSION_PATH, { ...newVersion, flow_ratio: 0 })).errcode).toBe(0);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 0, 'ss1-002': 100, 'ss1-003': 0 });
  });

  it('applies the share when a time-based step makes the version normal, without a read', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001', flow_ratio: 100 }]);
    fake.versionLifecycle = [{ status: 'building', ms: 200 }, { status: 'normal' }];
    expect((await post(CREATE_VERSION_PATH, { ...newVersion, flow_ratio: 10 })).errcode).toBe(0);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 100, 'ss1-002': 0 });
    await sleepMs(250);
    expect(fake.trafficOf(ENV, 'ss1')).toEqual({ 'ss1-001': 90, 'ss1-002': 10 });
  });

  it.each(['deploy_fail', 'build_fail'])(
    'lists a version whose lifecycle ends in %s, with no traffic, the others untouched',
    async (status) => {
      fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001', flow_ratio: 100 }]);
      fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'deploying', reads: 1 }, { status }];
      expect((await post(CREATE_VERSION_PATH, newVersion)).errcode).toBe(0);
      expect(await listVersionStatuses()).toEqual(['normal', 'building']);
      expect(await listVersionStatuses()).toEqual(['normal', 'deploying']);
      for (let i = 0; i < 3; i += 1) expect(await listVersionStatuses()).toEqual(['normal', status]);
      expect(await listedShares()).toEqual({ 'ss1-001': 100, 'ss1-002': 0 });
    },
  );
});

describe('fake hooks for races', () => {
  it('addVersion adds a version to an existing service, as another run would, and the numbering moves past it', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001' }]);
    fake.addVersion(ENV, 'ss1', { version_name: 'ss1-004', status: 'deploy_fail' });
    expect(fake.versions(ENV, 'ss1').map((version) => [version.version_name, version.status, version.flow_ratio])).toEqual([
      ['ss1-001', 'normal', 0],
      ['ss1-004', 'deploy_fail', 0],
    ]);
    const [seeded = 0, added = 0] = fake.versions(ENV, 'ss1').map((version) => beijing(version.created_time));
    expect(added).toBeGreaterThan(seeded);
    expect((await post(CREATE_VERSION_PATH, newVersion))['version_name']).toBe('ss1-005');
    expect(() => fake.addVersion(ENV, 'nope', { version_name: 'x' })).toThrow(/does not exist/);
    expect(() => fake.addVersion(ENV, 'ss1', { version_name: 'ss1-004' })).toThrow(/already/);
  });

  it('after(path) runs once, right after the next request to that path acted and before its answer is sent', async () => {
    fake.addService(ENV, 'ss1', [{ version_name: 'ss1-001', flow_ratio: 100 }]);
    const seen: Array<[number, unknown]> = [];
    fake.after(LIST_VERSIONS_PATH, () => {
      const request = fake.requestsTo(LIST_VERSIONS_PATH).at(-1);
      seen.push([fake.requestsTo(LIST_VERSIONS_PATH).length, request?.answer?.['total']]);
      fake.addVersion(ENV, 'ss1', { version_name: 'ss1-002' });
    });
    // A request to another path, and one that a fault answers without acting, leave it waiting.
    expect((await post(LIST_SERVICES_PATH, { env: ENV })).errcode).toBe(0);
    fake.failNext({ kind: 'busy', path: LIST_VERSIONS_PATH });
    expect((await post(LIST_VERSIONS_PATH, { env: ENV, service_name: 'ss1' })).errcode).toBe(-1);
    expect(seen).toEqual([]);
    // This read was answered before the other run's version existed; the next one lists it.
    expect(await listedShares()).toEqual({ 'ss1-001': 100 });
    expect(seen).toEqual([[2, 1]]);
    expect(await listedShares()).toEqual({ 'ss1-001': 100, 'ss1-002': 0 });
    expect(seen).toEqual([[2, 1]]);
  });

  it('after() registered by a hook waits for the request after', async () => {
    fake.addService(ENV, 'ss1');
    const order: string[] = [];
    fake.after(LIST_SERVICES_PATH, () => {
      order.push('first');
      fake.after(LIST_SERVICES_PATH, () => order.push('second'));
    });
    fake.after(LIST_SERVICES_PATH, () => order.push('also first'));
    await post(LIST_SERVICES_PATH, { env: ENV });
    expect(order).toEqual(['first', 'also first']);
    await post(LIST_SERVICES_PATH, { env: ENV });
    expect(order).toEqual(['first', 'also first', 'second']);
    await post(LIST_SERVICES_PATH, { env: ENV });
    expect(order).toHaveLength(3);
  });
});

describe('fake echo-request fault', () => {
  // A quote, a backslash and a line break: each escaping doubles the backslashes in front of them.
  const PASSWORD = 'pa"ss\\wo\nrd';

  it('answers 200 with errmsg quoting the raw request body as a JSON string, so a secret is escaped twice over in the raw answer', async () => {
    fake.addService(ENV, 'ss1');
    fake.failNext({ kind: 'echo-request', errcode: 40097 });
    const body = JSON.stringify({ ...newVersion, image_secret_info: { ...newVersion.image_secret_info, password: PASSWORD } });
    // The request's JSON.
    expect(body).toContain(String.raw`"password":"pa\"ss\\wo\nrd"`);
    const { status, text } = await call(CREATE_VERSION_PATH, { token: TOKEN, body });
    expect(status).toBe(200);
    // Once by the request's JSON, once by JSON.stringify of the body, once more by the answer's JSON.
    expect(text).toContain(String.raw`\\\"password\\\":\\\"pa\\\\\\\"ss\\\\\\\\wo\\\\nrd\\\"`);
    const answer = JSON.parse(text) as { errcode: number; errmsg: string };
    expect(answer.errcode).toBe(40097);
    const quoted = /^invalid args, request: (".*") rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/s.exec(answer.errmsg)?.[1];
    expect(JSON.parse(quoted ?? 'null')).toBe(body);
    // Without acting.
    expect(fake.versions(ENV, 'ss1')).toEqual([]);
    expect(fake.requests[0]?.answer).toEqual(answer);
  });
});

describe('fake request log', () => {
  it('logs one line per request with its token, secrets and echoes blanked', async () => {
    const lines: string[] = [];
    const logged = await startFakeWeChat({ log: (line) => lines.push(line) });
    try {
      const send = async (path: string, init: { method?: string; token?: string; body?: string } = {}) => {
        const query = init.token === undefined ? '' : `?access_token=${encodeURIComponent(init.token)}`;
        const response = await fetch(`${logged.url}${path}${query}`, {
          method: init.method ?? 'POST',
          ...(init.body !== undefined && { body: init.body }),
        });
        return response.text();
      };
      const credentials = {
        component_appid: logged.platform.appid,
        component_appsecret: logged.platform.appsecret,
        component_verify_ticket: logged.platform.verifyTicket,
      };
      const issued = (JSON.parse(await send(TOKEN_PATH, { body: JSON.stringify(credentials) })) as { component_access_token: string })
        .component_access_token;
      await send(LIST_SERVICES_PATH, { token: issued, body: JSON.stringify({ env: ENV }) });
      await send(CREATE_VERSION_PATH, {
        token: TOKEN,
        body: JSON.stringify({ env_id: ENV, server_name: 'ss1', image_secret_info: { user_name: 'u', password: 'hunter2' } }),
      });
      await send(LIST_SERVICES_PATH, { token: TOKEN, body: '{"env":"e",\n"password":"hun\\"ter2' });
      logged.failNext({ kind: 'echo-request', errcode: 40097 });
      await send(LIST_SERVICES_PATH, { token: TOKEN, body: JSON.stringify({ env: ENV, password: 'hunter2' }) });
      logged.failNext({ kind: 'echo-url-502' });
      await send(LIST_SERVICES_PATH, { token: TOKEN, body: '{}' });
      await send(LIST_SERVICES_PATH, { method: 'GET' });
      await send('/nowhere', { body: '{}' });

      expect(lines.map((line) => line.replace(/rid: [0-9a-f-]+/g, 'rid: R'))).toEqual([
        'POST /cgi-bin/component/api_component_token ' +
          '{"component_appid":"wx-test-component-appid","component_appsecret":"***","component_verify_ticket":"***"} → ' +
          '{"component_access_token":"***","expires_in":7200}',
        `POST /componenttcb/getcslist?access_token=*** {"env":"${ENV}"} → {"errcode":0,"errmsg":"ok rid: R","total":0,"cslist":[]}`,
        `POST /componenttcb/createcloudbaserunserverversion?access_token=*** ` +
          `{"env_id":"${ENV}","server_name":"ss1","image_secret_info":{"user_name":"u","password":"***"}} → ` +
          '{"errcode":40101,"errmsg":"missing parameter upload_type rid: R"}',
        String.raw`POST /componenttcb/getcslist?access_token=*** {"env":"e",\n"password":"***" → {"errcode":47001,"errmsg":"data format error rid: R"}`,
        `POST /componenttcb/getcslist?access_token=*** {"env":"${ENV}","password":"***"} → fault echo-request (errcode 40097)`,
        'POST /componenttcb/getcslist?access_token=*** {} → fault echo-url-502',
        'GET /componenttcb/getcslist → {"errcode":43002,"errmsg":"require POST method rid: R"}',
        'POST /nowhere {} → 404 not found',
      ]);
      for (const secret of [issued, TOKEN, 'hunter2', 'hun', logged.platform.appsecret, logged.platform.verifyTicket]) {
        expect(lines.join('\n')).not.toContain(secret);
      }
    } finally {
      await logged.close();
    }
  });
});

describe('tools/serve-fake.ts', () => {
  const serveFake = (...args: string[]) =>
    spawnSync(NODE24, [join(ROOT, 'tools', 'serve-fake.ts'), ...args], { encoding: 'utf8', timeout: 20_000 });

  it('ends in one line and exit code 1 when the port is in use', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const result = serveFake(String(port));
      expect([result.status, result.stdout, result.stderr]).toEqual([
        1,
        '',
        `fake WeChat API: port ${port} is in use: stop what listens there, or give another port: node tools/serve-fake.ts ${port + 1}\n`,
      ]);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it.each(['abc', '70000', '-1', '80.5'])('ends in one line naming an invalid port argument %j and exit code 1', (argument) => {
    const result = serveFake(argument);
    expect([result.status, result.stdout, result.stderr]).toEqual([
      1,
      '',
      `fake WeChat API: "${argument}" is not a port: give a number from 0 to 65535 (0 picks a free one): node tools/serve-fake.ts 8089\n`,
    ]);
  });

  it('says where it listens, logs each request prefixed `fake: ` with the token blanked, and stops on SIGTERM', async () => {
    const child = spawn(NODE24, [join(ROOT, 'tools', 'serve-fake.ts'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = (await lines.next()).value as string;
      const url = /^fake WeChat API at (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
      expect(url).toBeDefined();
      await fetch(`${url}${LIST_SERVICES_PATH}?access_token=${TOKEN}`, { method: 'POST', body: JSON.stringify({ env: ENV }) });
      expect(((await lines.next()).value as string).replace(/rid: [0-9a-f-]+/, 'rid: R')).toBe(
        `fake: POST /componenttcb/getcslist?access_token=*** {"env":"${ENV}"} → {"errcode":0,"errmsg":"ok rid: R","total":0,"cslist":[]}`,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

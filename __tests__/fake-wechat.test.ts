import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_PATH, TOKEN_PATH, startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';

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
    expect(await call(CREATE_PATH, { token: TOKEN, body })).toMatchObject({ status: 502, text: expect.stringContaining('<h1>502 Bad Gateway</h1>') });
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

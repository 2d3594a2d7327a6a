/**
 * Running the action the ecosystem's way: `@github/local-action` runs src/create.ts (not the
 * bundle) with the inputs of a .env file. The shipped .env.example must work as it is,
 * against the fake WeChat API.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CREATE_PATH, LIST_SERVICES_PATH, startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';
import { actionMetadata, NODE24, ROOT } from '../tools/run-action.ts';

const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
let fake: FakeWeChat;
let dir: string;

beforeAll(async () => {
  fake = await startFakeWeChat();
  dir = mkdtempSync(join(tmpdir(), 'local-action-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

it('.env.example names only inputs that action.yml declares, and points at the fake API', () => {
  const declared = Object.keys(actionMetadata().inputs);
  const names = [...example.matchAll(/^(INPUT_[A-Z_]+)=/gm)].map((match) => match[1]);
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) expect(declared.map((input) => `INPUT_${input.toUpperCase()}`)).toContain(name);
  expect(example).toMatch(/^INPUT_API_BASE_URL=http:\/\/127\.0\.0\.1:8089$/m); // where `npm run fake` listens
});

it('runs src/create.ts with .env.example and creates the service', async () => {
  // The same file, with the fake's port of this test run.
  const env = join(dir, '.env');
  writeFileSync(env, example.replace('http://127.0.0.1:8089', fake.url));
  const bin = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');
  // Not spawnSync: the fake answers from this process, whose event loop must keep running.
  const result = await promisify(execFile)(NODE24, [bin, 'run', ROOT, 'src/create.ts', env], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: dir, NO_COLOR: '1' },
    timeout: 60_000,
  });
  expect(fake.requests.map((r) => r.path)).toEqual([LIST_SERVICES_PATH, CREATE_PATH]);
  const [request] = fake.requestsTo(CREATE_PATH);
  expect(request?.query).toEqual({ access_token: 'test-component-access-token' });
  expect(request?.body).toBe(
    '{"env_id":"test-6gxk23no5605e14f","service_name":"pr-42","is_public":true,"remark":"preview for pull request 42"}',
  );
  expect(result.stdout).toMatch(/'created'\s*│\s*'true'/);
  expect(result.stdout).toContain('Created service "pr-42"');
});

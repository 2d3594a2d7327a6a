import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PATH, startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';
import { NODE24, ROOT } from '../tools/run-action.ts';

const run = promisify(execFile);
const start = (env: Record<string, string>) =>
  run(NODE24, [join(ROOT, 'tools', 'start.ts')], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env } });

describe('npm start', () => {
  let fake: FakeWeChat;
  beforeAll(async () => {
    fake = await startFakeWeChat();
  });
  afterAll(() => fake.close());

  it('runs the bundle against the embedded fake API with no credentials and shows log, outputs and summary', async () => {
    const { stdout } = await start({});
    expect(stdout).toContain('against the fake WeChat API');
    expect(stdout).toMatch(/Created service "pr-42" \(rid: [0-9a-f-]+\)\./);
    expect(stdout).toMatch(/^created=true$/m);
    expect(stdout).toMatch(/^errcode=0$/m);
    expect(stdout).toContain('<tr><td>Result</td><td>created</td></tr>');
    expect(stdout).toMatch(/Exit code 0 in \d+ ms/);
  });

  it('passes INPUT_* variables through when credentials are given, and calls the API they name', async () => {
    const token = [...fake.tokens][0] ?? '';
    const { stdout } = await start({
      INPUT_ACCESS_TOKEN: token,
      INPUT_ENV_ID: 'env-from-environment',
      INPUT_SERVICE_NAME: 'svc-from-environment',
      INPUT_IS_PUBLIC: 'false',
      INPUT_API_BASE_URL: fake.url,
    });
    expect(stdout).toContain(`dist/index.js against the WeChat API at ${fake.url} (inputs from INPUT_* variables)`);
    expect(fake.requestsTo(CREATE_PATH).map((r) => r.body)).toEqual([
      '{"env_id":"env-from-environment","service_name":"svc-from-environment","is_public":false}',
    ]);
    expect(stdout).toMatch(/^created=true$/m);
    expect(stdout).not.toContain(token);
  });
});

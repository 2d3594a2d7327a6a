import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PATH, LIST_SERVICES_PATH, startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';
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

  it('plays a preview’s life against the embedded fake API with no credentials: create, create again, deploy, delete', async () => {
    const { stdout } = await start({});
    expect(stdout).toContain('against the fake WeChat API');
    const steps = stdout.split(/^── /m).slice(1);
    expect(steps.map((step) => step.split('\n')[0]?.replace(/ ─+$/, ''))).toEqual([
      '1. create (pull request opened)',
      '2. create again (a new push: the service is already there)',
      '3. deploy the pull request’s image',
      '4. delete (pull request closed)',
      'Done: exit code 0',
    ]);
    const [created, again, deployed, deleted] = steps;
    expect(created).toMatch(/Created service "pr-42" \(rid: [0-9a-f-]+\)\./);
    expect(created).toMatch(/^ {2}created=true$/m);
    expect(created).toContain('<tr><td>Result</td><td>created</td></tr>');
    expect(again).toContain('Service "pr-42" already exists in environment "test-6gxk23no5605e14f": nothing to create (if_exists: skip).');
    expect(again).toMatch(/^ {2}created=false$/m);
    expect(again).toMatch(/^ {2}existed=true$/m);
    expect(deployed).toMatch(/Version "pr-42-001": building \(after 0 s\)\nVersion "pr-42-001": normal \(after \d+ s\)/);
    expect(deployed).toMatch(/^ {2}status=normal$/m);
    expect(deleted).toMatch(/^ {2}deleted=true$/m);
    // What the runner shows by default: no debug lines.
    expect(stdout).not.toContain('##[debug]');
    for (const step of [created, again, deployed, deleted]) expect(step).toMatch(/Exit code 0 in \d+ ms/);
  });

  it('passes INPUT_* variables through when credentials are given, and calls the API they name', async () => {
    fake.reset();
    const token = [...fake.tokens][0] ?? '';
    const { stdout } = await start({
      INPUT_ACCESS_TOKEN: token,
      INPUT_ENV_ID: 'env-from-environment',
      INPUT_SERVICE_NAME: 'svc-from-environment',
      INPUT_IS_PUBLIC: 'false',
      INPUT_API_BASE_URL: fake.url,
    });
    expect(stdout).toContain(`create: dist/create/index.js against the WeChat API at ${fake.url} (inputs from INPUT_* variables)`);
    expect(fake.requests.map((r) => r.path)).toEqual([LIST_SERVICES_PATH, CREATE_PATH]);
    expect(fake.requestsTo(CREATE_PATH).map((r) => r.body)).toEqual([
      '{"env_id":"env-from-environment","service_name":"svc-from-environment","is_public":false}',
    ]);
    expect(stdout).toMatch(/^ {2}created=true$/m);
    expect(stdout).not.toContain(token);
  });

  it('runs the action START_ACTION names', async () => {
    fake.reset();
    fake.addService('env-from-environment', 'svc-from-environment');
    const { stdout } = await start({
      START_ACTION: 'delete',
      INPUT_ACCESS_TOKEN: [...fake.tokens][0] ?? '',
      INPUT_ENV_ID: 'env-from-environment',
      INPUT_SERVICE_NAME: 'svc-from-environment',
      INPUT_API_BASE_URL: fake.url,
    });
    expect(stdout).toContain('delete: dist/delete/index.js against the WeChat API');
    expect(fake.services('env-from-environment')).toEqual([]);
    expect(stdout).toMatch(/^ {2}deleted=true$/m);
  });
});

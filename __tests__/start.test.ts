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

  it('plays a preview’s life and a release’s against the embedded fake API with no credentials', async () => {
    const { stdout } = await start({});
    expect(stdout.split('\n')[0]).toMatch(
      /^Demo: a pull-request preview's life, then a release's, against the fake WeChat API at http:\/\/127\.0\.0\.1:\d+\.$/,
    );
    const steps = stdout.split(/^── /m).slice(1);
    expect(steps.map((step) => step.split('\n')[0]?.replace(/ ─+$/, ''))).toEqual([
      '1. create (pull request 42 opened)',
      '2. create again (a new push: the service is already there)',
      '3. deploy the pull request’s image',
      '4. delete (pull request 42 closed)',
      '5. prune (the schedule: pull request 9 is still open)',
      '6. create the release service',
      '7. deploy v1.0.0 with all the traffic',
      '8. deploy v1.1.0 without traffic',
      '9. release v1.1.0 to 10 % (a canary)',
      '10. promote it to 100 %',
      '11. roll back (version: previous)',
      'Done: exit code 0',
    ]);
    const [created, again, deployed, deleted, pruned, , , withoutTraffic, canary, promoted, rolledBack] = steps;
    expect(created).toMatch(/Created service "pr-42" \(rid: [0-9a-f-]+\)\./);
    expect(created).toMatch(/^ {2}created=true$/m);
    expect(created).toContain('<tr><td>Result</td><td>created</td></tr>');
    expect(again).toContain('Service "pr-42" already exists in environment "test-6gxk23no5605e14f": nothing to create (if_exists: skip).');
    expect(again).toMatch(/^ {2}created=false$/m);
    expect(again).toMatch(/^ {2}existed=true$/m);
    expect(deployed).toMatch(/Version "pr-42-001": building \(after 0 s\)\nVersion "pr-42-001": normal \(after \d+ s\)/);
    expect(deployed).toMatch(/^ {2}status=normal$/m);
    expect(deleted).toMatch(/^ {2}deleted=true$/m);
    expect(pruned).toMatch(/^ {2}deleted=pr-7,pr-8$/m);
    expect(pruned).toMatch(/^ {2}kept=pr-9$/m);
    expect(withoutTraffic).toMatch(/^ {2}version_name=app-002$/m);
    expect(canary).toMatch(/^ {2}flow_ratio=10$/m);
    expect(canary).toContain('POST /componenttcb/setcspropotion?access_token=***');
    expect(promoted).toMatch(/^ {2}flow_ratio=100$/m);
    expect(promoted).toContain('POST /componenttcb/releasecloudbaserunversion?access_token=***');
    expect(rolledBack).toMatch(/^ {2}version_name=app-001$/m);
    expect(rolledBack).toMatch(/^ {2}previous_version=app-002$/m);
    // What the runner shows by default: no debug lines; and the fake's lines never show the token.
    expect(stdout).not.toContain('##[debug]');
    expect(stdout).not.toContain('test-component-access-token');
    for (const step of steps.slice(0, -1)) expect(step).toMatch(/Exit code 0 in \d+ ms/);
  });

  it('a mistyped START_ACTION: one line that names the actions, exit 2, no stack trace', async () => {
    const failed = await start({ START_ACTION: 'delte', INPUT_ACCESS_TOKEN: 'x' }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toBe('npm start: START_ACTION "delte" is not an action: give one of create, deploy, release, delete, prune\n');
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

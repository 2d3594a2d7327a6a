/**
 * Makes a release commit and its tags, locally; pushes nothing.
 *
 *   npm run release -- 1.1.0                  (= node tools/release.ts 1.1.0)
 *   node tools/release.ts 1.1.0 --cwd <repo>  (another repository: used by the tests)
 *
 * It refuses, with a one-line reason and exit code 1, and without changing anything:
 * a version that is not x.y.z, HEAD not on main, a working tree with changes or untracked
 * files, an existing tag vX.Y.Z, a CHANGELOG.md whose `## [Unreleased]` section is empty
 * or missing, one that already has the version (or a newer one), and a dist/ that is not a
 * fresh build of src/ (tools/check-dist.ts).
 *
 * Otherwise it moves the `[Unreleased]` entries under `## [X.Y.Z] - YYYY-MM-DD` (leaving an
 * empty `## [Unreleased]`, and updating the compare links at the bottom when the file has
 * them), sets `version` in package.json (and package-lock.json), commits "Release X.Y.Z",
 * creates the annotated tag vX.Y.Z on that commit, moves the major tag vX to it, and prints
 * the `git push` command that publishes it all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDist as checkDistOf, describeDistCheck, type DistCheck } from './check-dist.ts';
import { findSection, releasedVersions } from './release-notes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A release that must not be made, and why, in one line. Nothing was changed. */
export class ReleaseRefused extends Error {
  override name = 'ReleaseRefused';
}

export interface ReleaseOptions {
  /** The version to release, `x.y.z`. */
  version: string;
  /** The repository's root. Default: this repository. */
  cwd?: string;
  /** The branch releases are made from. Default: `main`. */
  branch?: string;
  /** The date of the CHANGELOG heading, `YYYY-MM-DD`. Default: today, local time. */
  date?: string;
  /** The environment of the git commands. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The dist/ check. Default: tools/check-dist.ts's, which builds src/ in `cwd`. */
  checkDist?: (cwd: string) => DistCheck;
}

export interface Release {
  version: string;
  /** `v1.1.0` */
  tag: string;
  /** `v1` */
  majorTag: string;
  /** The release commit. */
  commit: string;
  /** What the major tag pointed at before (a commit or a tag object), if it existed. */
  previousMajor: string | undefined;
  /** The command that publishes the release. */
  push: string;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  for (let i = 0; i < 3; i++) {
    const difference = (x?.[i] ?? 0) - (y?.[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * CHANGELOG.md with the `[Unreleased]` entries under `## [version] - date`, and the compare
 * links updated when the file has an `[Unreleased]: …` link definition.
 */
export function changelogForRelease(changelog: string, version: string, date: string): string {
  const lines = changelog.split('\n');
  const unreleased = findSection(lines, 'Unreleased');
  if (!unreleased) throw new ReleaseRefused('CHANGELOG.md has no "## [Unreleased]" section');
  if (findSection(lines, version)) throw new ReleaseRefused(`CHANGELOG.md already has a "## [${version}]" section`);
  if (unreleased.body.length === 0) {
    throw new ReleaseRefused('nothing to release: the "## [Unreleased]" section of CHANGELOG.md is empty');
  }
  const latest = releasedVersions(lines).sort(compareVersions).at(-1);
  if (latest !== undefined && compareVersions(version, latest) <= 0) {
    throw new ReleaseRefused(`${version} is not newer than ${latest}, the latest release in CHANGELOG.md`);
  }

  const rest = lines.slice(unreleased.end);
  const restIsBlank = rest.every((line) => line.trim() === '');
  const released = [
    ...lines.slice(0, unreleased.heading),
    lines[unreleased.heading] ?? '## [Unreleased]',
    '',
    `## [${version}] - ${date}`,
    '',
    ...unreleased.body,
    ...(restIsBlank ? [''] : ['', ...rest]),
  ];

  // [Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD  ->  …/compare/v1.1.0...HEAD,
  // and [1.1.0]: …/compare/v1.0.0...v1.1.0 (…/releases/tag/v1.1.0 when there was no release before).
  const link = released.findIndex((line) => /^\[Unreleased\]:\s*\S/i.test(line));
  const url = link < 0 ? undefined : released[link]?.replace(/^\[Unreleased\]:\s*/i, '').trim();
  const base = url && /^(https?:\/\/[^/]+\/[^/]+\/[^/]+)/.exec(url)?.[1];
  if (base) {
    const previous = /\/compare\/(.+)\.\.\.HEAD$/.exec(url ?? '')?.[1];
    released.splice(
      link,
      1,
      `[Unreleased]: ${base}/compare/v${version}...HEAD`,
      `[${version}]: ${previous ? `${base}/compare/${previous}...v${version}` : `${base}/releases/tag/v${version}`}`,
    );
  }
  return released.join('\n');
}

/** Makes the release commit and tags, or throws ReleaseRefused having changed nothing. */
export function release(options: ReleaseOptions): Release {
  const { version } = options;
  const cwd = options.cwd ?? ROOT;
  const branch = options.branch ?? 'main';
  const env = options.env ?? process.env;
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd();
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(`git ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
    }
  };
  const gitMaybe = (...args: string[]) => {
    try {
      return git(...args);
    } catch {
      return undefined;
    }
  };

  if (version === '') throw new ReleaseRefused('give the version to release: npm run release -- x.y.z');
  if (!SEMVER.test(version)) {
    const hint = SEMVER.test(version.replace(/^v/, '')) ? ` (give ${version.replace(/^v/, '')}, without the "v")` : '';
    throw new ReleaseRefused(`"${version}" is not a version x.y.z${hint}`);
  }
  const [major] = version.split('.');
  const tag = `v${version}`;
  const majorTag = `v${major}`;

  if (gitMaybe('rev-parse', '--show-prefix') !== '') throw new ReleaseRefused(`${cwd} is not the root of a git repository`);
  const current = gitMaybe('symbolic-ref', '--quiet', '--short', 'HEAD');
  if (current !== branch) {
    throw new ReleaseRefused(`releases are made from ${branch}, and HEAD is ${current ? `on ${current}` : 'detached'}`);
  }
  const changes = git('status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean);
  if (changes.length > 0) {
    const files = changes.map((line) => line.slice(3));
    const shown = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
    throw new ReleaseRefused(`the working tree is not clean (${shown}): commit or stash first`);
  }
  if (gitMaybe('rev-parse', '--quiet', '--verify', `refs/tags/${tag}`) !== undefined) {
    throw new ReleaseRefused(`the tag ${tag} already exists`);
  }

  const changelogPath = join(cwd, 'CHANGELOG.md');
  if (!existsSync(changelogPath)) throw new ReleaseRefused('there is no CHANGELOG.md');
  const changelog = changelogForRelease(readFileSync(changelogPath, 'utf8'), version, options.date ?? today());

  const packagePath = join(cwd, 'package.json');
  if (!existsSync(packagePath)) throw new ReleaseRefused('there is no package.json');
  const packageJson = withVersion(readFileSync(packagePath, 'utf8'), version, false);
  const lockPath = join(cwd, 'package-lock.json');
  const lockJson = existsSync(lockPath) ? withVersion(readFileSync(lockPath, 'utf8'), version, true) : undefined;

  let dist: DistCheck;
  try {
    dist = (options.checkDist ?? checkDistOf)(cwd);
  } catch (error) {
    throw new ReleaseRefused(`dist/ could not be checked: building src/ failed (${String(error).split('\n')[0]})`);
  }
  if (!dist.fresh) throw new ReleaseRefused(describeDistCheck(dist));

  // Everything is checked: from here on, any failure puts the repository back as it was.
  const head = git('rev-parse', 'HEAD');
  const previousMajor = gitMaybe('rev-parse', '--quiet', '--verify', `refs/tags/${majorTag}`);
  let tagged = false;
  try {
    writeFileSync(changelogPath, changelog);
    writeFileSync(packagePath, packageJson);
    if (lockJson !== undefined) writeFileSync(lockPath, lockJson);
    git('add', '--', 'CHANGELOG.md', 'package.json', ...(lockJson !== undefined ? ['package-lock.json'] : []));
    git('commit', '--quiet', '-m', `Release ${version}`);
    const commit = git('rev-parse', 'HEAD');
    git('tag', '--annotate', '-m', `Release ${version}`, tag, commit);
    tagged = true;
    git('tag', '--force', '--annotate', '-m', `${majorTag} is ${tag}`, majorTag, commit);
    return {
      version,
      tag,
      majorTag,
      commit,
      previousMajor,
      push: `git push origin ${branch} ${tag} && git push --force origin ${majorTag}`,
    };
  } catch (error) {
    git('reset', '--quiet', '--hard', head);
    if (tagged) git('tag', '--delete', tag);
    if (previousMajor !== undefined) git('update-ref', `refs/tags/${majorTag}`, previousMajor);
    else gitMaybe('tag', '--delete', majorTag);
    throw error;
  }
}

/** package.json (or package-lock.json, whose root package has a version too) with `version` set, formatted as npm does. */
function withVersion(text: string, version: string, lock: boolean): string {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ReleaseRefused(`${lock ? 'package-lock.json' : 'package.json'} is not valid JSON`);
  }
  json['version'] = version;
  const root = lock ? (json['packages'] as Record<string, Record<string, unknown>> | undefined)?.[''] : undefined;
  if (root) root['version'] = version;
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** What the command prints after a release: what was made, and how to publish it. */
export function releaseReport(made: Release): string {
  const major = made.previousMajor === undefined ? `${made.majorTag} created on it` : `${made.majorTag} moved to it`;
  return [
    `Released ${made.version}: commit ${made.commit.slice(0, 7)} "Release ${made.version}", annotated tag ${made.tag}, ${major}.`,
    'Nothing is pushed yet. To publish the release:',
    '',
    `  ${made.push}`,
    '',
    `Pushing ${made.tag} runs .github/workflows/release.yml: it tests the tag, then creates the GitHub release from CHANGELOG.md.`,
    '',
  ].join('\n');
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--cwd');
  const cwd = at >= 0 ? args.splice(at, 2)[1] : undefined;
  try {
    process.stdout.write(releaseReport(release({ version: args[0] ?? '', ...(cwd !== undefined && { cwd }) })));
  } catch (error) {
    console.error(
      error instanceof ReleaseRefused
        ? `release refused: ${error.message}`
        : `release failed, and the repository is as it was: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  }
}

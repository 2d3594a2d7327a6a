/**
 * Fails when dist/ differs from a fresh build of src/: users run dist/ straight from
 * the tag, so what is committed there must be exactly what src/ builds to.
 *
 *   node tools/check-dist.ts        (npm run check-dist)
 *
 * `checkDist(root)` is the same check for other tools: `npm run release` refuses a stale dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the folder above tools/. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface DistCheck {
  /** dist/ is byte for byte a fresh build of src/. */
  fresh: boolean;
  /** Every file in dist/ or in the fresh build. */
  files: string[];
  /** The files that differ, or exist on one side only. */
  differing: string[];
}

/** The files under `dir`, as paths relative to it (`index.js`, `create/index.js`). */
function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Builds src/ into a temporary folder (`npm run build -- -o <tmp>`) in `root` and compares it with `root`/dist. */
export function checkDist(root: string = ROOT): DistCheck {
  const fresh = mkdtempSync(join(tmpdir(), 'check-dist-'));
  try {
    execFileSync('npm', ['run', '--silent', 'build', '--', '-o', fresh, '--quiet'], { cwd: root, stdio: 'inherit' });
    const committed = join(root, 'dist');
    const files = [...new Set([...filesIn(committed), ...filesIn(fresh)])].sort();
    const differing = files.filter((file) => {
      try {
        return !readFileSync(join(committed, file)).equals(readFileSync(join(fresh, file)));
      } catch {
        return true;
      }
    });
    return { fresh: differing.length === 0, files, differing };
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

/** The one line that says what the check found. */
export function describeDistCheck(check: DistCheck): string {
  return check.fresh
    ? `dist/ matches a fresh build of src/ (${check.files.join(', ')}).`
    : `dist/ is not a fresh build of src/: ${check.differing.join(', ')} differ. Run \`npm run build\` and commit dist/.`;
}

if (import.meta.main) {
  const check = checkDist();
  if (check.fresh) {
    console.log(describeDistCheck(check));
  } else {
    console.error(describeDistCheck(check));
    process.exitCode = 1;
  }
}

/**
 * Fails when dist/ differs from a fresh build of src/: users run dist/ straight from
 * the tag, so what is committed there must be exactly what src/ builds to.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './run-action.ts';

const fresh = mkdtempSync(join(tmpdir(), 'check-dist-'));
try {
  execFileSync('npm', ['run', '--silent', 'build', '--', '-o', fresh, '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  const committed = join(ROOT, 'dist');
  const files = [...new Set([...readdirSync(committed), ...readdirSync(fresh)])].sort();
  const differing = files.filter((file) => {
    try {
      return !readFileSync(join(committed, file)).equals(readFileSync(join(fresh, file)));
    } catch {
      return true;
    }
  });
  if (differing.length > 0) {
    console.error(`dist/ is not a fresh build of src/: ${differing.join(', ')} differ. Run \`npm run build\` and commit dist/.`);
    process.exitCode = 1;
  } else {
    console.log(`dist/ matches a fresh build of src/ (${files.join(', ')}).`);
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}

/**
 * `npm run build`: one bundle per action with ncc, dist/<action>/index.js, as each
 * action.yml's `main` names it (the layout of actions/cache).
 *
 *   node tools/build.ts [-o DIR] [--quiet] [ACTION …]      (default DIR: dist; default: every action)
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const ACTIONS = ['create', 'deploy', 'release', 'delete', 'prune'] as const;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NCC = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

const { values, positionals } = parseArgs({
  options: { o: { type: 'string', default: 'dist' }, quiet: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const unknown = positionals.filter((name) => !(ACTIONS as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`build: no action ${unknown.join(', ')}: give any of ${ACTIONS.join(', ')}`);
  process.exit(2);
}
const out = resolve(ROOT, values.o);
for (const action of ACTIONS.filter((name) => positionals.length === 0 || positionals.includes(name))) {
  const target = join(out, action);
  rmSync(target, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [NCC, 'build', `src/entries/${action}.ts`, '-o', target, '--license', 'licenses.txt', ...(values.quiet ? ['--quiet'] : [])],
    { cwd: ROOT, stdio: 'inherit' },
  );
}

/**
 * `npm run bench`: the startup budget. Whole processes under Node 24 against the local fake
 * WeChat API, timed after a warm-up:
 *   (a) the bundled action on its success path, and
 *   (b) the floor: tools/bench-floor.mjs, the same call with Node built-ins only.
 * Prints the median wall time and peak RSS of each, the ratio a/b and the bundle's size,
 * and exits 1 when a target is missed. Timed runs and memory runs are separate, so the
 * memory probe (a preloaded module) never adds to the times.
 *
 *   npm run bench [-- --runs 30] [-- --bundle path/to/index.js] [-- --cpu-prof]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeWeChat } from './fake-wechat.ts';
import { BUNDLE, NODE24, ROOT, runAction } from './run-action.ts';

const TARGET_RATIO = 1.5;
const TARGET_BUNDLE_BYTES = 700_000;
const TARGET_RSS_MB = 80;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '25' },
    warmup: { type: 'string', default: '5' },
    bundle: { type: 'string', default: BUNDLE },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const warmup = Number(args.warmup);
const bundle = args.bundle;
const floor = join(ROOT, 'tools', 'bench-floor.mjs');
const rssProbe = join(ROOT, 'tools', 'bench-rss.mjs');

const fake = await startFakeWeChat();
const dir = mkdtempSync(join(tmpdir(), 'bench-'));
const inputs = {
  access_token: 'test-component-access-token',
  env_id: 'prod-2g59lad002c864a6',
  service_name: 'bench',
  is_public: 'true',
  api_base_url: fake.url,
};

/** One whole process, run as a runner runs it; its wall time in ms. Fails loudly if the run did not succeed. */
async function timed(entry: string, nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<number> {
  const run = await runAction({ inputs, entry, nodeArgs, env });
  if (run.exitCode !== 0 || run.outputs['created'] !== 'true') {
    throw new Error(`${relative(ROOT, entry)} did not succeed (exit ${run.exitCode}): ${run.stderr}`);
  }
  return run.durationMs;
}

async function peakRssMb(entry: string): Promise<number> {
  const file = join(dir, 'rss');
  await timed(entry, ['--import', rssProbe], { BENCH_RSS_FILE: file });
  return Number(readFileSync(file, 'utf8')) / 1024;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

try {
  if (args['cpu-prof']) {
    await timed(bundle, ['--cpu-prof', '--cpu-prof-dir', dir]);
    const profile = readdirSync(dir).find((name) => name.endsWith('.cpuprofile')) ?? '';
    writeFileSync(join(ROOT, 'bench.cpuprofile'), readFileSync(join(dir, profile)));
    console.log('CPU profile of one run of the bundle: bench.cpuprofile (open it in Chrome DevTools → Performance)');
  }
  for (let i = 0; i < warmup; i++) {
    await timed(bundle);
    await timed(floor);
  }
  const times = { bundle: [] as number[], floor: [] as number[] };
  const rss = { bundle: [] as number[], floor: [] as number[] };
  // Interleaved, so that drift in the machine's load hits both alike.
  for (let i = 0; i < runs; i++) {
    times.bundle.push(await timed(bundle));
    times.floor.push(await timed(floor));
  }
  for (let i = 0; i < Math.min(runs, 5); i++) {
    rss.bundle.push(await peakRssMb(bundle));
    rss.floor.push(await peakRssMb(floor));
  }

  const a = median(times.bundle);
  const b = median(times.floor);
  const ratio = a / b;
  const size = statSync(bundle).size;
  const peak = Math.max(...rss.bundle);
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const rows: [string, string, string][] = [
    ['', 'median wall', 'peak RSS'],
    [`(a) ${relative(ROOT, bundle)}`, `${a.toFixed(1)} ms`, `${peak.toFixed(1)} MB`],
    ['(b) floor: Node built-ins only', `${b.toFixed(1)} ms`, `${Math.max(...rss.floor).toFixed(1)} MB`],
  ];
  console.log(`Startup budget: Node ${execFileSync(NODE24, ['--version'], { encoding: 'utf8' }).trim()}, ${runs} runs each after ${warmup} warm-up runs, fake WeChat API on 127.0.0.1\n`);
  for (const [name, wall, memory] of rows) console.log(`${name.padEnd(36)}${wall.padStart(12)}${memory.padStart(12)}`);
  console.log('');
  console.log(`ratio a/b     ${ratio.toFixed(2)}   (target ≤ ${TARGET_RATIO})   ${verdict(ratio <= TARGET_RATIO)}`);
  console.log(`bundle        ${size.toLocaleString('en')} bytes   (target < ${TARGET_BUNDLE_BYTES.toLocaleString('en')})   ${verdict(size < TARGET_BUNDLE_BYTES)}`);
  console.log(`peak RSS (a)  ${peak.toFixed(1)} MB   (target < ${TARGET_RSS_MB} MB)   ${verdict(peak < TARGET_RSS_MB)}`);
  if (ratio > TARGET_RATIO || size >= TARGET_BUNDLE_BYTES || peak >= TARGET_RSS_MB) process.exitCode = 1;
} finally {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}

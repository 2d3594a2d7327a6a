/**
 * `npm run bench`: the action's budgets, whole processes under Node 24 against the local
 * fake WeChat API.
 *
 * The startup budget, timed after a warm-up:
 *   (a) the bundled create action on its success path, and
 *   (b) the floor: tools/bench-floor.mjs, the same call with Node built-ins only.
 * Prints the median wall time and peak RSS of each, the ratio a/b and the bundle's size.
 * Timed runs and memory runs are separate, so the memory probe (a preloaded module) never
 * adds to the times.
 *
 * The polling cost of the deploy action (SPEC §2: a read right after the create answer,
 * then after 5 s, × 1.5 each time, at most 15 s): for each N, a version that becomes
 * `normal` N seconds after it was created. The step must end within one poll interval of
 * that moment, after no more getcsversionlist calls than SPEC's schedule makes. Prints a
 * table: N, when the step ended (seconds after the create), the target, the calls, the
 * expected most.
 *
 * The same for the release action's wait (SPEC §2: the deploy's schedule after the traffic
 * call): a full release the version list shows N seconds after releasecloudbaserunversion.
 *
 * The default run does both, the startup budget first; --startup or --polling does one.
 * Exits 1 when a target is missed.
 *
 *   npm run bench [-- --runs 30] [-- --bundle path/to/index.js] [-- --cpu-prof]
 *   npm run bench -- --polling [--normal-after 3,8,20] [--deploy-bundle …] [--release-bundle …]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CREATE_VERSION_PATH, LIST_VERSIONS_PATH, RELEASE_VERSION_PATH, startFakeWeChat } from './fake-wechat.ts';
import { BUNDLE, bundleOf, NODE24, ROOT, runAction, type ActionRun } from './run-action.ts';

const TARGET_RATIO = 1.5;
const TARGET_BUNDLE_BYTES = 700_000;
const TARGET_RSS_MB = 80;
// SPEC §2's poll schedule, written here independently of src/.
const FIRST_POLL_MS = 5000;
const POLL_FACTOR = 1.5;
const MAX_POLL_MS = 15_000;
// What a step takes beyond the schedule: the reads themselves, writing the outputs and the summary, exiting.
const POLL_SLACK_MS = 1000;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '25' },
    warmup: { type: 'string', default: '5' },
    bundle: { type: 'string', default: BUNDLE },
    'cpu-prof': { type: 'boolean', default: false },
    startup: { type: 'boolean', default: false },
    polling: { type: 'boolean', default: false },
    'normal-after': { type: 'string', default: '3,8,20' },
    'deploy-bundle': { type: 'string', default: bundleOf('deploy') },
    'release-bundle': { type: 'string', default: bundleOf('release') },
  },
});
// Neither flag: both sections.
const sections = { startup: args.startup || !args.polling, polling: args.polling || !args.startup };
const normalAfter = args['normal-after'].split(',').map(Number);
if (normalAfter.some((n) => !Number.isFinite(n) || n <= 0))
  throw new Error(`--normal-after: give seconds above 0, e.g. 3,8,20 (not ${args['normal-after']})`);
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
  // Every run creates the service afresh: the action looks it up first, and would find the last run's.
  fake.reset();
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

/** The startup budget: true when every target is met. */
async function startupBudget(): Promise<boolean> {
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
  console.log(
    `Startup budget: Node ${execFileSync(NODE24, ['--version'], { encoding: 'utf8' }).trim()}, ${runs} runs each after ${warmup} warm-up runs, fake WeChat API on 127.0.0.1\n`,
  );
  for (const [name, wall, memory] of rows) console.log(`${name.padEnd(36)}${wall.padStart(12)}${memory.padStart(12)}`);
  console.log('');
  console.log(`ratio a/b     ${ratio.toFixed(2)}   (target ≤ ${TARGET_RATIO})   ${verdict(ratio <= TARGET_RATIO)}`);
  console.log(
    `bundle        ${size.toLocaleString('en')} bytes   (target < ${TARGET_BUNDLE_BYTES.toLocaleString('en')})   ${verdict(size < TARGET_BUNDLE_BYTES)}`,
  );
  console.log(`peak RSS (a)  ${peak.toFixed(1)} MB   (target < ${TARGET_RSS_MB} MB)   ${verdict(peak < TARGET_RSS_MB)}`);
  return ratio <= TARGET_RATIO && size < TARGET_BUNDLE_BYTES && peak < TARGET_RSS_MB;
}

/**
 * SPEC §2's schedule for a version that becomes normal `ms` after the create: the reads it
 * makes (the one that sees normal included), when that read comes, and the wait before it.
 */
function pollSchedule(ms: number): { reads: number; at: number; interval: number } {
  let at = 0;
  let interval = 0;
  let wait = FIRST_POLL_MS;
  let reads = 1;
  while (at < ms) {
    interval = wait;
    at += wait;
    reads += 1;
    wait = Math.min(wait * POLL_FACTOR, MAX_POLL_MS);
  }
  return { reads, at, interval };
}

interface Polled {
  seconds: number;
  /** From the write the wait follows (the version create, the traffic call) reaching WeChat to the step's end. */
  endedMs: number;
  targetMs: number;
  calls: number;
  expectedCalls: number;
  ok: boolean;
}

/** What one waiting action is measured on: the write its wait follows, how the fake delays what the list shows, its inputs. */
interface Waiting {
  action: 'deploy' | 'release';
  entry: string;
  /** The write the wait starts after (SPEC §2: the version create answer; the traffic call's). */
  write: string;
  /** Readies the fake: the list shows what the wait waits for `seconds` after the write. */
  arrange: (seconds: number) => void;
  inputs: Record<string, string>;
  /** The output that says the wait saw it. */
  done: [name: string, value: string];
}

const WAITS: Record<'deploy' | 'release', Waiting> = {
  deploy: {
    action: 'deploy',
    entry: args['deploy-bundle'],
    write: CREATE_VERSION_PATH,
    arrange: (seconds) => {
      fake.addService(inputs.env_id, 'bench');
      fake.versionLifecycle = [{ status: 'building', ms: seconds * 1000 }, { status: 'normal' }];
    },
    inputs: { service_name: 'bench', image_url: 'ccr.ccs.tencentyun.com/bench/app:1' },
    done: ['status', 'normal'],
  },
  release: {
    action: 'release',
    entry: args['release-bundle'],
    write: RELEASE_VERSION_PATH,
    arrange: (seconds) => {
      fake.addService(inputs.env_id, 'bench', [
        { version_name: 'bench-001', flow_ratio: 100 },
        { version_name: 'bench-002', flow_ratio: 0 },
      ]);
      fake.trafficDelay = { ms: seconds * 1000 };
    },
    inputs: { service_name: 'bench', version: 'bench-002' },
    done: ['flow_ratio', '100'],
  },
};

/** One run of a waiting action whose list shows what it waits for `seconds` after its write. */
async function polled(wait: Waiting, seconds: number): Promise<Polled> {
  fake.reset();
  wait.arrange(seconds);
  const schedule = pollSchedule(seconds * 1000);
  // The fake runs in this process: watch for the write, to time the step from the moment WeChat has it.
  let writtenAt: number | undefined;
  const watch = setInterval(() => {
    if (writtenAt === undefined && fake.requestsTo(wait.write).length > 0) writtenAt = performance.now();
  }, 2);
  let run: ActionRun;
  let endedAt: number;
  try {
    run = await runAction({
      action: wait.action,
      entry: wait.entry,
      inputs: { access_token: inputs.access_token, env_id: inputs.env_id, api_base_url: fake.url, ...wait.inputs },
      killAfterMs: (seconds + 120) * 1000,
    });
    endedAt = performance.now();
  } finally {
    clearInterval(watch);
  }
  const [output, value] = wait.done;
  if (run.exitCode !== 0 || run.outputs[output] !== value || writtenAt === undefined) {
    throw new Error(
      `${relative(ROOT, wait.entry)} did not end as it should (exit ${run.exitCode}, ${output} "${run.outputs[output]}"): ${run.stderr}`,
    );
  }
  // The list before the write, then the polls.
  const calls = fake.requestsTo(LIST_VERSIONS_PATH).length;
  const expectedCalls = 1 + schedule.reads;
  const endedMs = endedAt - writtenAt;
  const targetMs = seconds * 1000 + schedule.interval + POLL_SLACK_MS;
  return { seconds, endedMs, targetMs, calls, expectedCalls, ok: endedMs <= targetMs && calls <= expectedCalls };
}

/** The polling cost of one waiting action: true when every N meets both targets. */
async function pollingCost(wait: Waiting, what: string): Promise<boolean> {
  const rows: Polled[] = [];
  for (const seconds of normalAfter) rows.push(await polled(wait, seconds));
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `Polling cost: ${relative(ROOT, wait.entry)}, ${what} N s after its write; ` +
      `target: the step ends within one poll interval (+ ${s(POLL_SLACK_MS)}) of that moment, ` +
      `with no more getcsversionlist calls (the list before the write, then the polls) than SPEC §2's schedule makes\n`,
  );
  const table: string[][] = [
    ['N', 'ended after', 'target', 'calls', 'expected max', ''],
    ...rows.map((row) => [
      `${row.seconds} s`,
      s(row.endedMs),
      `≤ ${s(row.targetMs)}`,
      String(row.calls),
      String(row.expectedCalls),
      row.ok ? 'ok' : 'MISSED',
    ]),
  ];
  for (const [n = '', ...cells] of table) console.log(`${n.padEnd(8)}${cells.map((cell) => cell.padStart(14)).join('')}`);
  return rows.every((row) => row.ok);
}

try {
  const results: boolean[] = [];
  if (sections.startup) results.push(await startupBudget());
  if (sections.startup && sections.polling) console.log('');
  if (sections.polling) {
    results.push(await pollingCost(WAITS.deploy, 'a version normal'));
    console.log('');
    results.push(await pollingCost(WAITS.release, 'a release the version list shows'));
  }
  if (results.includes(false)) process.exitCode = 1;
} finally {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}

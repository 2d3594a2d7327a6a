/**
 * Bad input at scale: fast-check feeds random and hostile values to every input through
 * run(), the code the bundle runs, against the fake WeChat API, and checks after each run:
 * no uncaught exception, no request on invalid input, no secret in anything printed or
 * written, and no stdout line the runner would read as a command the action did not mean.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../src/create.ts';
import { CREATE_INPUTS, type RawInputs } from '../src/inputs.ts';
import { redact } from '../src/redact.ts';

const INPUT_NAMES = CREATE_INPUTS.names;
type InputName = string;
const parseInputs = (raw: RawInputs) => CREATE_INPUTS.parse(raw);
const secretsIn = (raw: RawInputs) => CREATE_INPUTS.secretsIn(raw);
import { startFakeWeChat, type FakeWeChat } from '../tools/fake-wechat.ts';
import { parseCommands } from '../tools/run-action.ts';

const TOKEN = 'property-test-access-token';
const ES_PASSWORD = 'es-password-for-the-property-test';
const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1500);

let fake: FakeWeChat;
let dir: string;
let stats: { runs: number; valid: number; requests: number };

beforeAll(async () => {
  fake = await startFakeWeChat();
  fake.tokens.add(TOKEN);
  dir = mkdtempSync(join(tmpdir(), 'property-'));
  stats = { runs: 0, valid: 0, requests: 0 };
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  // The count goes in the issue note; printed once, outside any run's captured stdout.
  console.info(`property test: ${stats.runs} runs, ${stats.valid} with valid inputs, ${stats.requests} requests to the fake`);
});

/** Inputs a real workflow would give; each property starts from these. */
const validInputs = (): RawInputs => ({
  ...(Object.fromEntries(INPUT_NAMES.map((name) => [name, ''])) as RawInputs),
  access_token: TOKEN,
  env_id: 'prod-2g59lad002c864a6',
  service_name: 'pr-42',
  is_public: 'true',
  es_info: JSON.stringify({ port: 9200, password: ES_PASSWORD }),
  api_base_url: fake.url,
  timeout_seconds: '5',
  max_attempts: '1',
});

const INJECTIONS = [
  '::add-mask::x',
  '::stop-commands::pwned',
  'x\n::set-output name=created::true',
  'x\r\n::error::injected',
  '  ::warning::injected',
  '##[error]injected',
  'x ##[set-output name=created;]true',
  '%0A::error::injected',
  'x\u0085::error::injected',
  'x\u2028::error::injected',
];
const CHARACTERS = [...'\n\r\t\u000b\u001b\u007f\u0085\u2028 :%#[]{}",=\\/_-<>&aZ09', '::', '##[', '%0A', '__proto__', '\u{1F600}'];

/** Hostile text: control characters, command markers, huge and deep values, numbers as strings. */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...CHARACTERS), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...INJECTIONS),
  fc.constantFrom('true', 'True', 'yes', '1', '0', '-1', '1e3', '0x10', '030', ' 30', '3.5', 'NaN', 'Infinity', '9'.repeat(400)),
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"port":"9200"}',
    '{"subnet_ids":"s"}',
    '{"password":null}',
    '[]',
    'null',
    '{',
  ),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.integer({ min: 1, max: 300_000 }).map((size) => 'x'.repeat(size)),
  fc.json({ maxDepth: 4 }),
  fc.constantFrom('ftp://x', 'http://user:pw@h', 'https://h?access_token=1', 'https://h#f', 'javascript:alert(1)', '//h', 'http://'),
);

/** What the runner can hand over: no NUL (an environment variable ends there), trimmed by core.getInput. */
const asEnv = (value: string) => value.replaceAll('\0', '');

interface Outcome {
  stdout: string;
  outputs: string;
  summary: string;
  exitCode: number | undefined;
}

async function runWith(raw: RawInputs): Promise<Outcome> {
  const outputsFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputsFile, '');
  writeFileSync(summaryFile, '');
  vi.stubEnv('GITHUB_OUTPUT', outputsFile);
  vi.stubEnv('GITHUB_STEP_SUMMARY', summaryFile);
  for (const name of INPUT_NAMES) vi.stubEnv(`INPUT_${name.toUpperCase()}`, raw[name]);
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
    vi.unstubAllEnvs();
  }
  const exitCode = process.exitCode === undefined ? undefined : Number(process.exitCode);
  process.exitCode = undefined;
  return { stdout: written.join(''), outputs: readFileSync(outputsFile, 'utf8'), summary: readFileSync(summaryFile, 'utf8'), exitCode };
}

/** Runs the action on `raw` and checks every property; returns nothing, throws on a violation. */
async function check(given: RawInputs): Promise<void> {
  const raw = Object.fromEntries(INPUT_NAMES.map((name) => [name, asEnv(given[name] ?? "")])) as RawInputs;
  const trimmed = Object.fromEntries(INPUT_NAMES.map((name) => [name, (raw[name] ?? "").trim()])) as RawInputs;
  const parsed = parseInputs(trimmed);
  // Never to the network: a valid api_base_url other than the fake's is not run.
  fc.pre(!parsed.ok || parsed.inputs.apiBaseUrl.origin === new URL(fake.url).origin);

  fake.reset();
  const tokensBefore = new Set(fake.tokens);
  const result = await runWith(raw);
  stats.runs += 1;
  stats.valid += parsed.ok ? 1 : 0;
  stats.requests += fake.requests.length;

  // No uncaught exception: run() resolved, and nothing unexpected was caught either.
  expect(result.stdout).not.toContain('failed unexpectedly');
  expect(result.stdout).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(Object.prototype).not.toHaveProperty('polluted');

  const lines = result.stdout.split(/\r\n|\r|\n/);
  const errorLines = parseCommands(result.stdout).filter((c) => c.command === 'error');
  if (!parsed.ok) {
    expect(fake.requests).toEqual([]);
    expect(result.exitCode).toBe(1);
    const count = parsed.problems.length;
    expect(errorLines.map((c) => c.value)).toHaveLength(count + 1);
    const last = `${count} invalid input${count > 1 ? 's' : ''} (see the errors above); nothing was sent to WeChat`;
    expect(errorLines.at(-1)?.value).toBe(redact(last, secretsIn(trimmed))); // a one-character secret masks digits too

  } else if (parsed.inputs.dryRun) {
    expect(fake.requests).toEqual([]);
  }

  // Only the commands the action means: masks of its secrets, and error lines.
  const issued = [...fake.tokens].filter((token) => !tokensBefore.has(token));
  const secrets = [...secretsIn(trimmed), ...issued];
  for (const line of lines) {
    if (!/^[\s\u0085]*::/.test(line)) {
      expect(line).not.toContain('##['); // the runner reads ##[name] anywhere in a line that is not a ::command::
      continue;
    }
    const [command] = parseCommands(line);
    expect(line).toMatch(/^::(add-mask|error)::/);
    if (command?.command === 'add-mask') expect(secrets).toContain(command.value);
  }

  // No secret anywhere: printed lines (commands decoded), outputs, summary.
  const printed = lines
    .filter((line) => !line.startsWith('::add-mask::'))
    .map((line) => parseCommands(line)[0]?.value ?? line)
    .join('\n');
  for (const secret of secrets.filter((s) => s.length >= 8)) {
    expect(printed).not.toContain(secret);
    expect(result.outputs).not.toContain(secret);
    expect(result.summary).not.toContain(secret);
  }
}

const input = fc.constantFrom(...INPUT_NAMES);

describe('every input, hostile', () => {
  it('one hostile input at a time, the others valid: the value reaches as far as the action lets it', async () => {
    await fc.assert(
      fc.asyncProperty(input, hostile, fc.boolean(), async (name: InputName, value, dryRun) => {
        await check({ ...validInputs(), dry_run: String(dryRun), [name]: value });
      }),
      { numRuns: RUNS },
    );
  });

  it('every input random or hostile at once', async () => {
    const anyValue = (name: InputName) => fc.oneof(fc.constant(validInputs()[name]), fc.constant(''), hostile);
    const inputs = fc.record(Object.fromEntries(INPUT_NAMES.map((name) => [name, anyValue(name)])) as Record<InputName, fc.Arbitrary<string>>);
    await fc.assert(
      fc.asyncProperty(inputs, async (raw) => check(raw)),
      { numRuns: RUNS },
    );
  });

  it('hostile platform credentials go through the token exchange without leaking', async () => {
    const secretish = fc.oneof(hostile, fc.string({ unit: fc.constantFrom(...CHARACTERS), minLength: 8, maxLength: 30 }));
    const orValid = (valid: string) => fc.oneof(fc.constant(valid), secretish);
    const { appid, appsecret, verifyTicket } = fake.platform;
    await fc.assert(
      fc.asyncProperty(orValid(appid), orValid(appsecret), orValid(verifyTicket), async (id, secret, ticket) => {
        const raw = { ...validInputs(), access_token: '', component_appid: id, component_appsecret: secret, component_verify_ticket: ticket };
        await check(raw);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

/**
 * Inputs at scale: fast-check feeds valid, nearly valid and hostile values to every input
 * of the three actions through run() (the code the bundles run, in process, so that
 * mutation testing judges src/ by it) against the fake WeChat API. The oracles are
 * independent of src/:
 *
 * - which inputs are valid, and what WeChat must receive when they are, come from the
 *   model in ./input-model.ts, written from SPEC §1–§2 and action.yml;
 * - the secrets are the ones the test itself generated (and the tokens the fake issued),
 *   looked for in every form tools/run-action.ts `leakForms` knows;
 * - workflow commands and outputs are read as the runner reads them (tools/run-action.ts).
 *
 * After each run: invalid inputs → exit 1, nothing sent, one error line per problem naming
 * the input, then the closing line; valid inputs → exit 0 (when the fake takes the
 * credentials), the exact request body, the exact outputs, and nothing at all on a dry
 * run; always → no crash, no prototype pollution, no command the action did not mean, no
 * secret anywhere, and every input secret masked before anything else is printed.
 *
 * PROPERTY_RUNS (default 500) sets the runs of the main property per action; the two
 * others take a third of it each; PROPERTY_SEED replays a run. The counts are printed
 * once, at the end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runCreate } from '../src/create.ts';
import { run as runDelete } from '../src/delete.ts';
import { run as runDeploy } from '../src/deploy.ts';
import {
  closedPort,
  CREATE_PATH,
  CREATE_VERSION_PATH,
  DELETE_SERVICE_PATH,
  DELETE_VERSION_PATH,
  LIST_SERVICES_PATH,
  startFakeWeChat,
  type FakeWeChat,
  type ReceivedRequest,
} from '../tools/fake-wechat.ts';
import { actionDefaults, actionMetadata, leakForms, parseCommands, parseOutputsFile, type WorkflowCommand } from '../tools/run-action.ts';
import {
  COMPONENT_INPUTS,
  createServiceBody,
  createVersionBody,
  deleteServiceBody,
  deleteVersionBody,
  inputNames,
  judge,
  PASSWORD_INPUTS,
  RULES,
  secretsOf,
  type ActionName,
  type FieldType,
  type Given,
  type Problem,
  type Verdict,
} from './input-model.ts';

const ACTIONS: readonly ActionName[] = ['create', 'delete', 'deploy'];
const RUN: Record<ActionName, () => Promise<void>> = { create: runCreate, delete: runDelete, deploy: runDeploy };
/** Runs of the main property, per action; the others take a share of it. */
const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 500);
/** PROPERTY_SEED replays a run (fast-check prints the seed of a failure); random otherwise. */
const SEED = process.env['PROPERTY_SEED'] === undefined ? {} : { seed: Number(process.env['PROPERTY_SEED']) };
const TOKEN = 'property-test-access-token';
const WRITES = [CREATE_PATH, DELETE_SERVICE_PATH, DELETE_VERSION_PATH, CREATE_VERSION_PATH];
/** Secrets shorter than this are not looked for in the output: too many ordinary texts hold them. */
const MIN_LEAK_LENGTH = 8;

/**
 * Passwords the generators hide in JSON inputs that do not parse (or whose other fields
 * are wrong): secret all the same, so they must not show anywhere.
 */
const HIDDEN_PASSWORDS = ['hidden-password-in-broken-json-1', 'hidden password\nof two lines-2', 'hídden-pässwörd-3 "quoted"'];

let fake: FakeWeChat;
let dir: string;
let deadProxy: string;
type Counts = { runs: number; invalid: number; dryRun: number; done: number; refused: number; requests: number };
const stats = Object.fromEntries(
  ACTIONS.map((action) => [action, { runs: 0, invalid: 0, dryRun: 0, done: 0, refused: 0, requests: 0 }]),
) as Record<ActionName, Counts>;
const started = performance.now();

beforeAll(async () => {
  fake = await startFakeWeChat();
  fake.tokens.add(TOKEN);
  dir = mkdtempSync(join(tmpdir(), 'property-'));
  // Anything that is not the fake goes to a proxy nobody listens on: a run never reaches the network.
  deadProxy = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  // The counts go in the issue note; printed once, outside any run's captured stdout.
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  for (const action of ACTIONS) {
    const s = stats[action];
    console.info(
      `property test, ${action}: ${s.runs} runs — ${s.invalid} with invalid inputs, ${s.dryRun} valid dry runs, ` +
        `${s.done} valid runs WeChat acted on, ${s.refused} valid runs whose credentials the fake refused; ${s.requests} requests to the fake`,
    );
  }
  console.info(`property test: ${ACTIONS.reduce((n, a) => n + stats[a].runs, 0)} runs in ${seconds} s`);
});

// ── generators ─────────────────────────────────────────────────────────────────────────

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

/** Text a secret may be: long enough to look for, with the characters that break things. */
const secretish: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...CHARACTERS), minLength: MIN_LEAK_LENGTH, maxLength: 30 }),
  fc.string({ minLength: MIN_LEAK_LENGTH, maxLength: 30 }),
  fc.constantFrom('line one of a key\nline two of the key', 'p%40ss w0rd&x=1+2', 'quote"back\\slash', 'ab', ' '),
);

/** Text with something in it besides white space, and characters that break things around it. */
const text: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('ccr.ccs.tencentyun.com/my-ns/my-app:1.2.3', 'a', 'Preview of #42'),
  fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...CHARACTERS), maxLength: 15 }),
      fc.constantFrom('a', 'Z', '9', '{', '::', '##['),
      fc.string({ maxLength: 15 }),
    )
    .map((parts) => parts.join('')),
);

const spelled = (values: readonly (string | number)[]) => fc.constantFrom(...values.map(String));

/** A JSON object of the documented keys, each of its type (some absent), written compactly or not. */
function documentedObject(fields: Readonly<Record<string, FieldType>>): fc.Arbitrary<string> {
  const arbitraryOf = (key: string, type: FieldType): fc.Arbitrary<unknown> => {
    if (key === 'password') return fc.oneof(fc.constant('es-or-registry-password-for-the-property-test'), secretish);
    if (type === 'number') return fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    if (type === 'string[]') return fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 });
    return fc.string({ maxLength: 12 });
  };
  const shape = Object.fromEntries(Object.entries(fields).map(([key, type]) => [key, arbitraryOf(key, type)]));
  return fc
    .tuple(fc.record(shape, { requiredKeys: [] }), fc.boolean())
    .map(([object, pretty]) => (pretty ? JSON.stringify(object, null, 2) : JSON.stringify(object)));
}

/** A JSON object of strings, written by hand so that any key (`__proto__` too) is a key of it. */
const stringsObject: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('NODE_ENV', 'API_URL', '__proto__', 'constructor', ''), fc.string({ maxLength: 8 })),
      fc.string({ maxLength: 12 }),
    ),
    {
      maxLength: 4,
    },
  )
  .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`);

/** A valid value for one input, per SPEC §2 (the model still judges it). */
function validValue(action: ActionName, name: string): fc.Arbitrary<string> {
  switch (name) {
    case 'access_token':
      return fc.constantFrom(TOKEN, ` ${TOKEN}\n`);
    case 'component_appid':
      return fc.constant(fake.platform.appid);
    case 'component_appsecret':
      return fc.constant(fake.platform.appsecret);
    case 'component_verify_ticket':
      return fc.constant(fake.platform.verifyTicket);
    case 'env_id':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('prod-2g59lad002c864a6', 'test-6gxk23no5605e14f') },
        { weight: 1, arbitrary: text },
      );
    case 'service_name':
      return fc.oneof(fc.constantFrom('pr-42', 'a', 'a'.repeat(20), 'z-', 'a--9'), fc.stringMatching(/^[a-z][a-z0-9-]{0,19}$/));
    case 'api_base_url':
      return fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(fake.url, `${fake.url}/`, fake.url.replace('http://', 'HTTP://')) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'https://api.weixin.qq.com',
            'http://gateway.example/wx/',
            'https://[::1]:8443',
            'https://h?',
            'https://h#',
          ),
        },
      );
    case 'max_attempts':
      // Few attempts: a run that retries waits for real (0.5–1 s, 1–2 s, …).
      return fc.oneof({ weight: 6, arbitrary: spelled([1, 2]) }, { weight: 1, arbitrary: fc.integer({ min: 3, max: 10 }).map(String) });
    case 'min_num':
      return fc.oneof(
        { weight: 4, arbitrary: spelled([0, 1, 2, 5]) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }).map(String) },
      );
    case 'max_num':
      return fc.oneof(
        { weight: 4, arbitrary: spelled([5, 10, 50]) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }).map(String) },
      );
  }
  const rule = RULES[action][name];
  switch (rule?.kind) {
    case 'boolean':
      return fc.constantFrom('true', 'True', 'TRUE', 'false', 'False', 'FALSE', ' true\n');
    case 'whole':
      return fc.oneof(spelled([rule.min, rule.max, rule.default]), fc.integer({ min: rule.min, max: rule.max }).map(String));
    case 'decimal':
      return fc.oneof(
        spelled(['0.25', '0.5', '1', '2', '60', '100', '0.000001', '1.5', '0.100000', '9999999999999999.999999']),
        fc
          .tuple(fc.integer({ min: 0, max: 4096 }), fc.option(fc.integer({ min: 0, max: 999_999 })))
          .map(([whole, fraction]) =>
            fraction === null ? String(whole || 1) : `${whole}.${String(fraction).padStart(6, '0').replace(/0+$/, '') || '5'}`,
          ),
      );
    case 'enum':
      return fc.constantFrom(...rule.values);
    case 'json':
      return documentedObject(rule.fields);
    case 'json-strings':
      return stringsObject;
    default:
      return text;
  }
}

/** Values just outside the rules: off by one, wrong case, wrong type, one key too many, broken JSON. */
function nearMiss(action: ActionName, name: string): fc.Arbitrary<string> {
  if (name === 'access_token') return fc.constantFrom('', TOKEN, '   ');
  if ((COMPONENT_INPUTS as readonly string[]).includes(name)) return fc.constantFrom('', fake.platform.appid, fake.platform.appsecret, 'x');
  const rule = RULES[action][name];
  switch (rule?.kind) {
    case 'text':
      return fc.constantFrom('', ' \n\t ');
    case 'boolean':
      return fc.constantFrom('yes', 'no', 'on', 'off', '1', '0', 'tRUE', 'fALSE', 'truE', 'y', '"true"', 'true!', 'true false');
    case 'whole':
      return fc.constantFrom(
        String(rule.min - 1),
        String(rule.max + 1),
        `0${rule.default}`,
        `+${rule.default}`,
        `${rule.default}.0`,
        '-0',
        '1e1',
        '0x1',
        '١',
        '５',
        '9'.repeat(17),
        '',
      );
    case 'decimal':
      return fc.constantFrom(
        '0',
        '0.0',
        '-1',
        '.5',
        '5.',
        '1e-3',
        '1,5',
        'Infinity',
        'NaN',
        '0.0000001',
        '00.5',
        '1_0',
        '1'.repeat(17),
        '0x1',
        '',
      );
    case 'enum':
      return fc.constantFrom(...rule.values.map((value) => value.toUpperCase()), ...rule.values.map((value) => `${value}x`), 'true', '');
    case 'service_name':
      return fc.constantFrom('Pr-42', '1pr', '-pr', 'a'.repeat(21), 'pr_42', 'pr.42', 'pré', 'pr 42', '');
    case 'url':
      return fc.constantFrom(
        'ftp://x',
        `http://user:pw@127.0.0.1`,
        'http://:pw@h',
        `${fake.url}?x=1`,
        `${fake.url}#f`,
        'javascript:alert(1)',
        '//h',
        'http://',
        'http:h',
        'http:/h',
        'wss://h',
        'http://h:99999',
        'https://ex ample',
      );
    case 'json': {
      const keys = Object.keys(rule.fields);
      const wrongType = (key: string) => {
        const type = rule.fields[key];
        const wrong =
          type === 'number'
            ? ['"80"', 'null', 'true', '1e400']
            : type === 'string[]'
              ? ['"s"', '[1]', '["a",null]']
              : ['1', 'null', '["x"]'];
        return wrong.map((value) => `{${JSON.stringify(key)}:${value}}`);
      };
      return fc.oneof(
        fc.constantFrom(...keys.flatMap(wrongType)),
        fc.constantFrom(
          '{"Password":"x"}',
          '{"passwd":"x"}',
          '{"__proto__":{"polluted":true}}',
          '{"constructor":"x"}',
          '{"toString":"x"}',
          '{"a":1,"b":2}',
        ),
        fc.constantFrom('[]', 'null', '"{}"', '1', '{', '{}x'),
        // A password in JSON that does not parse, or beside a wrong field: masked all the same.
        fc
          .constantFrom(...HIDDEN_PASSWORDS)
          .chain((password) =>
            fc.constantFrom(
              `{"password":${JSON.stringify(password)},}`,
              `{"password":${JSON.stringify(password)}`,
              `{password:${JSON.stringify(password)}}`,
              `{"password":${JSON.stringify(password)},"zzz":1}`,
              `{"${keys.find((key) => key !== 'password')}":{},"password":${JSON.stringify(password)}}`,
            ),
          ),
      );
    }
    case 'json-strings':
      return fc.constantFrom(
        '{"A":1}',
        '{"A":null}',
        '{"A":["x"]}',
        '{"A":{"B":"c"}}',
        '{"__proto__":{"polluted":true}}',
        '["A=1"]',
        'A=1',
        '"{}"',
        '{',
      );
    default:
      return hostile;
  }
}

/** What WeChat holds before the run. */
interface World {
  /** The service is there (create: to exercise if_exists; delete, deploy: mostly). */
  exists: boolean;
  /** Its versions, with distinct flow ratios (the order delete takes them in is then known). */
  versions: { version_name: string; flow_ratio: number }[];
  /** deploy: the version create answers without version_name (SPEC §1.4 allows it). */
  omitVersionName: boolean;
}

function worldArb(action: ActionName): fc.Arbitrary<World> {
  const versions = fc
    .uniqueArray(fc.integer({ min: 0, max: 100 }), { maxLength: action === 'delete' ? 3 : 1 })
    .map((ratios) => ratios.map((flow_ratio, index) => ({ version_name: `old-${index}-${flow_ratio}`, flow_ratio })));
  const exists =
    action === 'create'
      ? fc.boolean()
      : fc.oneof({ weight: 7, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
  return fc.record({ exists, versions, omitVersionName: fc.boolean() });
}

interface Scenario {
  action: ActionName;
  /** What the workflow gives; undefined: not given, so the runner passes action.yml's default. */
  given: Record<string, string | undefined>;
  world: World;
}

/** Which way the credentials go: the token, or the platform's three (which the fake exchanges). */
function credentialsArb(): fc.Arbitrary<Record<string, string | undefined>> {
  const none = { access_token: undefined, component_appid: undefined, component_appsecret: undefined, component_verify_ticket: undefined };
  return fc.oneof(
    { weight: 3, arbitrary: validValue('create', 'access_token').map((token) => ({ ...none, access_token: token })) },
    {
      weight: 1,
      arbitrary: fc.constant({
        ...none,
        component_appid: fake.platform.appid,
        component_appsecret: fake.platform.appsecret,
        component_verify_ticket: fake.platform.verifyTicket,
      }),
    },
  );
}

const CREDENTIALS = ['access_token', ...COMPONENT_INPUTS];
const REQUIRED = new Set(['env_id', 'service_name', 'is_public', 'image_url']);

/** Every input valid or not given, then up to three of them nearly valid or hostile. */
function mostlyValid(action: ActionName): fc.Arbitrary<Scenario> {
  const names = inputNames(action).filter((name) => !CREDENTIALS.includes(name));
  const base = Object.fromEntries(
    names.map((name) => {
      if (REQUIRED.has(name) || name === 'api_base_url') return [name, validValue(action, name)];
      // Dry runs now and then: most valid runs should reach the fake.
      const given =
        name === 'dry_run'
          ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom('false', 'False', 'FALSE') }, validValue(action, name))
          : validValue(action, name);
      return [
        name,
        fc.oneof(
          { weight: 2, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constant('') },
          { weight: 5, arbitrary: given },
        ),
      ];
    }),
  );
  const override = fc
    .constantFrom(...inputNames(action))
    .chain((name) =>
      fc.tuple(fc.constant(name), fc.oneof({ weight: 4, arbitrary: nearMiss(action, name) }, { weight: 1, arbitrary: hostile })),
    );
  const overrides = fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    { weight: 4, arbitrary: fc.array(override, { minLength: 1, maxLength: 3 }) },
  );
  return fc
    .record({ base: fc.record(base), credentials: credentialsArb(), overrides, world: worldArb(action) })
    .map(({ base, credentials, overrides, world }) => ({
      action,
      given: { ...base, ...credentials, ...Object.fromEntries(overrides) },
      world,
    }));
}

/** Every input at once: not given, empty, valid, nearly valid or hostile. */
function anything(action: ActionName): fc.Arbitrary<Scenario> {
  const value = (name: string) =>
    fc.oneof(fc.constant(undefined), fc.constant(''), validValue(action, name), nearMiss(action, name), hostile) as fc.Arbitrary<
      string | undefined
    >;
  const given = fc.record(Object.fromEntries(inputNames(action).map((name) => [name, value(name)])));
  return fc.record({ given, world: worldArb(action) }).map(({ given, world }) => ({ action, given, world }));
}

/** The other inputs valid; the four credential inputs each right, missing, empty or hostile. */
function hostileCredentials(action: ActionName): fc.Arbitrary<Scenario> {
  const one = (valid: string) => fc.oneof(fc.constant(undefined), fc.constant(''), fc.constant(valid), secretish, hostile);
  const { appid, appsecret, verifyTicket } = fake.platform;
  const credentials = fc.record({
    access_token: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: one(TOKEN) }),
    component_appid: one(appid),
    component_appsecret: one(appsecret),
    component_verify_ticket: one(verifyTicket),
  });
  return fc.tuple(mostlyValid(action), credentials).map(([scenario, given]) => ({
    ...scenario,
    given: { ...Object.fromEntries(Object.entries(scenario.given).filter(([name]) => !CREDENTIALS.includes(name))), ...given },
  }));
}

// ── one run ────────────────────────────────────────────────────────────────────────────

interface Result {
  stdout: string;
  stderr: string;
  outputsText: string;
  summary: string;
  exitCode: number;
  requests: ReceivedRequest[];
}

/** What the runner can hand over: no NUL (an environment variable ends there). */
const asEnv = (value: string) => value.replaceAll('\0', '');

async function runInProcess(action: ActionName, env: Record<string, string>): Promise<Result> {
  const outputsFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputsFile, '');
  writeFileSync(summaryFile, '');
  vi.stubEnv('GITHUB_OUTPUT', outputsFile);
  vi.stubEnv('GITHUB_STEP_SUMMARY', summaryFile);
  vi.stubEnv('HTTPS_PROXY', deadProxy);
  vi.stubEnv('HTTP_PROXY', deadProxy);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(`INPUT_${name.toUpperCase()}`, value);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    await RUN[action]();
  } finally {
    out.mockRestore();
    err.mockRestore();
    vi.unstubAllEnvs();
  }
  const exitCode = process.exitCode === undefined ? 0 : Number(process.exitCode);
  process.exitCode = undefined;
  return {
    stdout: stdout.join(''),
    stderr: stderr.join(''),
    outputsText: readFileSync(outputsFile, 'utf8'),
    summary: readFileSync(summaryFile, 'utf8'),
    exitCode,
    requests: [...fake.requests],
  };
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const prototypeKeys = () => PROTOTYPES.map((prototype) => Reflect.ownKeys(prototype).map(String).sort().join(','));
const PRISTINE = prototypeKeys();

/** Runs one scenario and checks every property; throws on a violation. */
async function check(scenario: Scenario): Promise<void> {
  const { action, world } = scenario;
  const names = inputNames(action);
  const defaults = actionDefaults(action);
  // INPUT_* as the runner sets them: the workflow's value, else action.yml's default.
  const env = Object.fromEntries(names.map((name) => [name, asEnv(scenario.given[name] ?? defaults[name] ?? '')]));
  // What core.getInput hands over.
  const given: Given = Object.fromEntries(names.map((name) => [name, (env[name] ?? '').trim()]));
  const verdict = judge(action, given);
  const valid = verdict.problems.length === 0;
  const dryRun = valid && verdict.values['dry_run'] === true;
  const base = valid ? (verdict.values['api_base_url'] as URL) : undefined;
  // Never to the network: a valid run that would call WeChat runs only against the fake.
  fc.pre(!valid || dryRun || (base?.origin === new URL(fake.url).origin && base.pathname === '/'));
  // A token too long for a URL gets HTTP 431 from the fake, and each retry waits for real: few attempts then.
  fc.pre(!valid || dryRun || (given['access_token'] ?? '').length < 8000 || Number(verdict.values['max_attempts']) <= 2);

  fake.reset();
  fake.versionLifecycle = [{ status: 'normal' }];
  fake.omitVersionName = world.omitVersionName;
  const envId = String(verdict.values['env_id'] ?? '');
  const serviceName = String(verdict.values['service_name'] ?? '');
  if (valid && world.exists) fake.addService(envId, serviceName, world.versions);
  const tokensBefore = new Set(fake.tokens);

  const result = await runInProcess(action, env);

  const issued = [...fake.tokens].filter((token) => !tokensBefore.has(token));
  const inputSecrets = secretsOf(action, given);
  const hidden = HIDDEN_PASSWORDS.filter((password) =>
    Object.values(given).some((value) => value.includes(JSON.stringify(password).slice(1, -1))),
  );
  const secrets = [...inputSecrets, ...hidden, ...issued];
  const count = stats[action];
  count.runs += 1;
  count.requests += result.requests.length;

  expectHygiene(result, { inputSecrets, issued, secrets, allowedMasks: tolerableMasks(action, given, hidden) });
  const outputs = parseOutputsFile(result.outputsText);
  expect(Object.keys(outputs).sort(), 'every output is set, on every path').toEqual(Object.keys(actionMetadata(action).outputs).sort());
  const compare = outputsComparer(outputs, secrets);

  if (!valid) {
    count.invalid += 1;
    expectInvalid(result, verdict, secrets);
    compare({ errcode: '', errmsg: '', rid: '', ...nothingDone(action) });
    return;
  }
  const rejected = errorsOf(result).map((command) => command.value);
  expect(rejected.at(-1) ?? '', `the model finds every input valid, the action did not: ${JSON.stringify(rejected)}`).not.toMatch(
    /nothing was sent to WeChat$/,
  );
  const named = { env_id: envId, service_name: serviceName };
  if (dryRun) {
    count.dryRun += 1;
    expect(result.requests, 'a dry run calls nothing').toEqual([]);
    expect(result.exitCode).toBe(0);
    // SPEC §2: it shows the request(s) it would send.
    const shown = linesOf(result.stdout)
      .filter((line) => !line.startsWith('::'))
      .join('\n');
    for (const path of DRY_RUN_SHOWS[action])
      if (!touchedBySecrets(path, secrets)) expect(shown, 'a dry run shows the request').toContain(path);
    compare({ errcode: '', errmsg: '', rid: '', ...named, ...nothingDone(action) });
    return;
  }

  expect(errorsOf(result).length, 'one failure line at most').toBeLessThanOrEqual(1);
  if (!credentialsAccepted(given)) {
    // Valid inputs, credentials the fake does not know: the step fails before any write.
    count.refused += 1;
    expect(result.exitCode).toBe(1);
    expect(errorsOf(result)).toHaveLength(1);
    expect(result.requests.filter((request) => WRITES.includes(request.path))).toEqual([]);
    compare({ ...named, ...nothingDone(action) });
    return;
  }
  count.done += 1;
  if (action === 'create') expectCreate(result, verdict, world, compare);
  if (action === 'delete') expectDelete(result, verdict, world, compare);
  if (action === 'deploy') expectDeploy(result, verdict, world, compare);
}

/**
 * Masks that hide nothing but (part of) what the user wrote as a password, which SPEC
 * leaves open: a `password` that is not a string (`12345678`, `null`) as written in the
 * JSON, and a part of a password hidden in JSON that does not parse (the action scans the
 * text for it; its scan ends at an escaped quote).
 */
function tolerableMasks(action: ActionName, given: Given, hidden: string[]): ((value: string) => boolean)[] {
  const written: string[] = [];
  for (const name of PASSWORD_INPUTS[action]) {
    try {
      const value: unknown = JSON.parse(given[name] ?? '');
      if (typeof value === 'object' && value !== null && 'password' in value && typeof value.password !== 'string')
        written.push(JSON.stringify(value.password));
    } catch {
      // Not JSON: see the hidden passwords.
    }
  }
  const forms = hidden.map((password) => JSON.stringify(password).slice(1, -1));
  return [(value) => written.includes(value), (value) => forms.some((form) => value.length >= 4 && form.startsWith(value))];
}

/** What a dry run must show it would send (SPEC §2): create, the lookup and the create; deploy, the version create. */
const DRY_RUN_SHOWS: Record<ActionName, string[]> = {
  create: [LIST_SERVICES_PATH, CREATE_PATH],
  delete: [LIST_SERVICES_PATH],
  deploy: [CREATE_VERSION_PATH],
};

const errorsOf = (result: Result) => parseCommands(result.stdout).filter((command) => command.command === 'error');

/** The action's own outputs when it did nothing (action.yml: false / empty on dry run and on any failure). */
function nothingDone(action: ActionName): Record<string, string> {
  if (action === 'create') return { created: 'false', existed: 'false' };
  if (action === 'delete') return { deleted: 'false', existed: 'false' };
  return { version_name: '', status: '', run_id: '' };
}

/** Whether the fake takes these (valid) credentials: its token, or its platform's three. */
function credentialsAccepted(given: Given): boolean {
  if (given['access_token'] !== '') return fake.tokens.has(given['access_token'] ?? '');
  const { appid, appsecret, verifyTicket } = fake.platform;
  return (
    given['component_appid'] === appid && given['component_appsecret'] === appsecret && given['component_verify_ticket'] === verifyTicket
  );
}

// ── what every run must do ─────────────────────────────────────────────────────────────

const linesOf = (text: string) => text.split(/\r\n|\r|\n/);
const trimmedLines = (secret: string) =>
  linesOf(secret)
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** Whether a secret (or a part of one the action may mask) could have changed `text` by masking it. */
function touchedBySecrets(text: string, secrets: readonly string[]): boolean {
  if (/access_token/i.test(text)) return true;
  return secrets.some((secret) =>
    [...leakForms(secret), ...trimmedLines(secret), JSON.stringify(secret).slice(1, -1)].some((form) => form !== '' && text.includes(form)),
  );
}

interface Secrets {
  /** The secrets among the inputs (the model's), masked before anything else is printed. */
  inputSecrets: string[];
  /** The tokens the fake issued during the run. */
  issued: string[];
  /** All of them, and the passwords hidden in JSON that does not parse. */
  secrets: string[];
  /** Other values the action may mask without harm (see `tolerableMasks`). */
  allowedMasks: ((value: string) => boolean)[];
}

function expectHygiene(result: Result, { inputSecrets, issued, secrets, allowedMasks }: Secrets): void {
  // No uncaught exception, no stack trace, nothing on stderr.
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toContain('failed unexpectedly');
    expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }
  expect(result.stderr).toBe('');
  expect(result.exitCode === 0 || result.exitCode === 1, `exit code ${result.exitCode}`).toBe(true);
  // No prototype pollution.
  expect(prototypeKeys()).toEqual(PRISTINE);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

  // Only the commands the action means: masks of real secrets, and its messages.
  const lines = linesOf(result.stdout);
  if (lines.at(-1) === '') lines.pop();
  const commands: (WorkflowCommand | undefined)[] = [];
  for (const line of lines) {
    if (!/^[\s\u0085]*::/.test(line)) {
      expect(line, 'the runner reads ##[name] anywhere in a line that is not a ::command::').not.toContain('##[');
      commands.push(undefined);
      continue;
    }
    expect(line).toMatch(/^::(add-mask|error|warning|notice|debug)::/);
    commands.push(parseCommands(line)[0]);
  }
  const masks = new Set(
    secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]).flatMap((value) => [value, ...trimmedLines(value)]),
  );
  const masked = commands.map((command) => (command?.command === 'add-mask' ? command.value : undefined));
  for (const value of masked) {
    if (value === undefined || masks.has(value) || allowedMasks.some((allowed) => allowed(value))) continue;
    expect.fail(`an ::add-mask:: of something that is no secret: ${JSON.stringify(value.slice(0, 80))}`);
  }

  // Every input secret (and each long line of one) masked before anything else is printed; obtained tokens masked.
  const firstOther = masked.indexOf(undefined);
  const before = new Set(masked.slice(0, firstOther === -1 ? undefined : firstOther));
  for (const secret of inputSecrets) {
    expect(before.has(secret), 'an input secret is masked before anything else is printed').toBe(true);
    if (linesOf(secret).length < 2) continue;
    for (const line of trimmedLines(secret))
      if (line.length >= MIN_LEAK_LENGTH) expect(before.has(line), 'each line of a multi-line secret is masked').toBe(true);
  }
  for (const secret of issued) {
    expect(masked, 'an obtained token is masked').toContain(secret);
  }

  // No secret anywhere: printed lines (commands decoded, masks aside), outputs, summary.
  const printed = lines.map((line, index) => (masked[index] !== undefined ? '' : (commands[index]?.value ?? line))).join('\n');
  for (const secret of secrets.filter((s) => s.length >= MIN_LEAK_LENGTH)) {
    for (const form of leakForms(secret)) {
      expect(printed, `a secret in the log`).not.toContain(form);
      expect(result.outputsText, `a secret in the outputs`).not.toContain(form);
      expect(result.summary, `a secret in the summary`).not.toContain(form);
    }
  }
}

/** Compares the outputs with what is expected, as far as no secret masked them. */
function outputsComparer(outputs: Record<string, string>, secrets: string[]) {
  // GITHUB_OUTPUT as the runner reads it: lines end at \n or \r\n.
  const asRead = (value: string) => value.split(/\r?\n/).join('\n');
  /** The outputs named in each of `choices` are, together, those of one of them. */
  const compare = (...choices: Record<string, string>[]) => {
    if (choices.some((choice) => Object.values(choice).some((value) => touchedBySecrets(value, secrets)))) return;
    const names = Object.keys(choices[0] ?? {});
    const actual = JSON.stringify(names.map((name) => outputs[name]));
    expect(
      choices.map((choice) => JSON.stringify(names.map((name) => asRead(choice[name] ?? '')))),
      `outputs ${names.join(', ')}`,
    ).toContain(actual);
  };
  const each = (expected: Record<string, string>) => {
    for (const [name, value] of Object.entries(expected)) compare({ [name]: value });
  };
  return Object.assign(each, { oneOf: compare });
}
type Compare = ReturnType<typeof outputsComparer>;

// ── invalid inputs (SPEC §3) ───────────────────────────────────────────────────────────

function expectInvalid(result: Result, verdict: Verdict, secrets: string[]): void {
  const errors = errorsOf(result).map((command) => command.value);
  const invalid = `the model finds ${[...verdict.invalid].join(', ')} invalid (${listProblems(verdict.problems)}); the action's errors: ${JSON.stringify(errors)}`;
  expect(result.requests, `nothing is sent on invalid input: ${invalid}`).toEqual([]);
  expect(result.exitCode, invalid).toBe(1);
  const n = verdict.problems.length;
  expect(errors, `one error line per problem, then the closing line: ${invalid}`).toHaveLength(n + 1);
  const closing = `${n} invalid input${n > 1 ? 's' : ''} (see the errors above); nothing was sent to WeChat`;
  if (!touchedBySecrets(closing, secrets)) expect(errors.at(-1)).toBe(closing);
  const lines = errors.slice(0, -1);
  // What `reports` looks for is `prefix:`; a secret inside it (a `:` as a password) is masked there.
  if (verdict.problems.some((p) => p.prefixes.some((prefix) => touchedBySecrets(`${prefix}:`, secrets)))) return;
  expect(matchProblems(lines, verdict.problems), `each line names its problem's input: ${invalid}`).toBe(true);
}

const listProblems = (problems: Problem[]) => JSON.stringify(problems.map((p) => p.prefixes.join('|')));

/** Whether a line can report a problem: it starts with `prefix:` (a key the log must escape only by its input's name). */
function reports(line: string, p: Problem): boolean {
  return p.prefixes.some((prefix) => {
    if (line.startsWith(`${prefix}:`)) return true;
    const [input = ''] = p.inputs;
    // A key with characters the log shows escaped: the input's name and a path are enough.
    return prefix.startsWith(`${input}.`) && /[^\x20-\x7e]/.test(prefix) && line.startsWith(`${input}.`);
  });
}

/** A one-to-one match of error lines to the model's problems (Kuhn's augmenting paths). */
function matchProblems(lines: string[], problems: Problem[]): boolean {
  if (lines.length !== problems.length) return false;
  const owner: (number | undefined)[] = problems.map(() => undefined);
  const tryLine = (line: number, seen: Set<number>): boolean => {
    for (let p = 0; p < problems.length; p++) {
      if (seen.has(p) || !reports(lines[line] ?? '', problems[p] as Problem)) continue;
      seen.add(p);
      const current = owner[p];
      if (current === undefined || tryLine(current, seen)) {
        owner[p] = line;
        return true;
      }
    }
    return false;
  };
  return lines.every((_, line) => tryLine(line, new Set()));
}

// ── valid inputs: what WeChat received, and the outputs (SPEC §1, §2) ────────────────────

const ridOf = (errmsg: string) => /rid: ([\w.-]+)\s*$/.exec(errmsg)?.[1] ?? '';
const answerOf = (request: ReceivedRequest | undefined) => ({
  errcode: String(request?.answer?.['errcode'] ?? ''),
  errmsg: String(request?.answer?.['errmsg'] ?? ''),
  rid: ridOf(String(request?.answer?.['errmsg'] ?? '')),
});
const to = (result: Result, path: string) => result.requests.filter((request) => request.path === path);

/** The body WeChat received: exactly `expected`, its top-level fields in the documented order. */
function expectBody(request: ReceivedRequest | undefined, expected: Record<string, unknown>): void {
  expect(request, 'the request was sent').toBeDefined();
  expect(request?.headers['content-type']).toMatch(/^application\/json/);
  const sent = request?.body ?? 'null';
  const want = JSON.stringify(expected);
  const body = JSON.parse(sent) as Record<string, unknown>;
  const message = `${request?.path} body: sent ${sent.slice(0, 600)}; SPEC: ${want.slice(0, 600)}`;
  expect(Object.keys(body), `only the fields given, in the documented order: ${message}`).toEqual(Object.keys(expected));
  expect(body, message).toStrictEqual(JSON.parse(want));
}

function expectCreate(result: Result, verdict: Verdict, world: World, compare: Compare): void {
  const { values } = verdict;
  const named = { env_id: String(values['env_id']), service_name: String(values['service_name']) };
  const lookups = to(result, LIST_SERVICES_PATH);
  if (!world.exists) {
    expect(result.exitCode).toBe(0);
    const creates = to(result, CREATE_PATH);
    expect(creates).toHaveLength(1);
    expectBody(creates[0], createServiceBody(values));
    compare({ ...answerOf(creates[0]), ...named, created: 'true', existed: 'false' });
    return;
  }
  expect(to(result, CREATE_PATH), 'nothing created when the service is there').toEqual([]);
  expect(result.exitCode).toBe(values['if_exists'] === 'fail' ? 1 : 0);
  compare({ ...named, created: 'false', existed: 'true' });
  compare.oneOf(...lookedUp(lookups));
}

/**
 * errcode, errmsg and rid when the action did nothing because of what the lookup showed:
 * SPEC is silent (no call "did the work"; action.yml: empty "when no answer was read"),
 * so empty, or the lookup's answer.
 */
const lookedUp = (lookups: ReceivedRequest[]) => [{ errcode: '', errmsg: '', rid: '' }, answerOf(lookups.at(-1))];

function expectDelete(result: Result, verdict: Verdict, world: World, compare: Compare): void {
  const { values } = verdict;
  const named = { env_id: String(values['env_id']), service_name: String(values['service_name']) };
  if (!world.exists) {
    expect(
      [...to(result, DELETE_SERVICE_PATH), ...to(result, DELETE_VERSION_PATH)],
      'nothing deleted when the service is not there',
    ).toEqual([]);
    expect(result.exitCode).toBe(values['if_missing'] === 'fail' ? 1 : 0);
    compare({ ...named, deleted: 'false', existed: 'false' });
    compare.oneOf(...lookedUp(to(result, LIST_SERVICES_PATH)));
    return;
  }
  expect(result.exitCode).toBe(0);
  const expected =
    world.versions.length === 0
      ? [{ path: DELETE_SERVICE_PATH, body: deleteServiceBody(values) }]
      : [...world.versions]
          .sort((a, b) => a.flow_ratio - b.flow_ratio)
          .map((version, index, all) => ({
            path: DELETE_VERSION_PATH,
            body: deleteVersionBody(values, version.version_name, index === all.length - 1),
          }));
  const deletes = result.requests.filter((request) => request.path === DELETE_SERVICE_PATH || request.path === DELETE_VERSION_PATH);
  expect(deletes.map((request) => request.path)).toEqual(expected.map((e) => e.path));
  for (const [index, e] of expected.entries()) expectBody(deletes[index], e.body);
  expect(fake.services(named.env_id), 'the service is gone').not.toContain(named.service_name);
  compare({ ...answerOf(deletes.at(-1)), ...named, deleted: 'true', existed: 'true' });
}

function expectDeploy(result: Result, verdict: Verdict, world: World, compare: Compare): void {
  const { values } = verdict;
  const named = { env_id: String(values['env_id']), service_name: String(values['service_name']) };
  const creates = to(result, CREATE_VERSION_PATH);
  if (!world.exists) {
    expect(result.exitCode).toBe(1);
    expect(creates, 'no version without the service').toEqual([]);
    compare({ ...named, version_name: '', status: '', run_id: '' });
    compare.oneOf(...lookedUp(to(result, LIST_SERVICES_PATH)));
    return;
  }
  expect(result.exitCode).toBe(0);
  expect(creates).toHaveLength(1);
  expectBody(creates[0], createVersionBody(values));
  // Its name: from the answer, or the one version that was not there before.
  const seeded = new Set(world.versions.map((version) => version.version_name));
  const fresh = fake.versions(named.env_id, named.service_name).filter((version) => !seeded.has(version.version_name));
  expect(fresh).toHaveLength(1);
  const answer = creates[0]?.answer ?? {};
  compare({
    ...answerOf(creates[0]),
    ...named,
    version_name: String(answer['version_name'] ?? fresh[0]?.version_name),
    status: 'normal',
    run_id: String(answer['run_id'] ?? ''),
  });
}

// ── the properties ─────────────────────────────────────────────────────────────────────

describe('the model is the actions’ interface', () => {
  it.each(ACTIONS)('%s: the model knows exactly the inputs of action.yml, with its defaults', (action) => {
    const metadata = actionMetadata(action);
    expect(inputNames(action)).toEqual(Object.keys(metadata.inputs));
    for (const [name, input] of Object.entries(metadata.inputs)) {
      if (input.default === undefined) continue;
      const valid = { env_id: 'e', service_name: 's', access_token: 't', is_public: 'true', image_url: 'i' };
      const byDefault = judge(action, valid).values[name];
      const written = judge(action, { ...valid, [name]: String(input.default) }).values[name];
      expect(written, name).toStrictEqual(byDefault);
    }
  });
});

const timeout = (runs: number) => 60_000 + runs * 200;

describe.each(ACTIONS)('%s: every input, valid or not', (action) => {
  it('valid inputs, then up to three nearly valid or hostile: validated as SPEC says, sent exactly, never leaked', {
    timeout: timeout(RUNS),
  }, async () => {
    await fc.assert(fc.asyncProperty(mostlyValid(action), check), { numRuns: RUNS, ...SEED });
  });

  it('every input at once not given, empty, valid, nearly valid or hostile', { timeout: timeout(RUNS / 3) }, async () => {
    await fc.assert(fc.asyncProperty(anything(action), check), { numRuns: Math.ceil(RUNS / 3), ...SEED });
  });

  it('hostile credentials go through the token exchange, or are refused, without leaking', { timeout: timeout(RUNS / 3) }, async () => {
    await fc.assert(fc.asyncProperty(hostileCredentials(action), check), { numRuns: Math.ceil(RUNS / 3), ...SEED });
  });
});

import * as z from 'zod/mini';
import { valuesAfter } from './redact.ts';

/** Inputs as the runner hands them over: trimmed strings, '' when not given. */
export type RawInputs = Readonly<Record<string, string>>;

export const DEFAULT_API_BASE_URL = 'https://api.weixin.qq.com';
const COMPONENT_INPUTS = ['component_appid', 'component_appsecret', 'component_verify_ticket'] as const;
// Bounds keep the values inside what setTimeout and a CI job can honour.
const MAX_TIMEOUT_SECONDS = 3600;
const MAX_ATTEMPTS = 10;
// A GitHub-hosted job runs at most 6 hours.
const MAX_WAIT_SECONDS = 6 * 3600;

export function readRawInputs(names: readonly string[], getInput: (name: string) => string): RawInputs {
  return Object.fromEntries(names.map((name) => [name, getInput(name).trim()]));
}

const text = z.string().check(z.minLength(1));

/**
 * A value the step gave, quoted for an error line (SPEC §3: non-secret values are quoted),
 * at most 40 characters of it. Never used for a secret, a JSON input or api_base_url (it
 * may carry a password).
 */
export function quoted(value: unknown): string {
  const given = String(value);
  return given.length > 40 ? `${JSON.stringify(given.slice(0, 40)).slice(0, -1)}…"` : JSON.stringify(given);
}

/** An error that quotes the value given first: `"yes" is not a YAML 1.2 boolean …`. */
const notA = (what: string) => (issue: { input?: unknown }) => `${quoted(issue.input)} is not ${what}`;

const yamlBoolean = z.pipe(
  z.enum(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'], {
    error: notA('a YAML 1.2 boolean: give true or false (True/TRUE/False/FALSE also work)'),
  }),
  z.transform((value) => value.toLowerCase() === 'true'),
);

/** A whole number from `min` to `max`, written plainly (no sign, exponent or leading zero). */
function wholeNumber(min: number, max: number) {
  const error = notA(`a whole number from ${min} to ${max}`);
  return z.pipe(
    z.string().check(z.regex(/^(0|[1-9][0-9]{0,15})$/, { error })),
    z.pipe(z.transform(Number), z.number().check(z.minimum(min, { error }), z.maximum(max, { error }))),
  );
}

/** A number above 0 such as 0.25 or 2, written plainly. */
const positiveNumber = z.pipe(
  z.string().check(z.regex(/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,6})?$/, { error: notA('a number greater than 0, e.g. 0.25 or 2') })),
  z.pipe(z.transform(Number), z.number().check(z.positive({ error: notA('a number greater than 0, e.g. 0.25 or 2') }))),
);

/** A JSON input: parse, then validate with `shape`; problems carry the path inside the object. */
function jsonObject<T extends z.ZodMiniType>(shape: T) {
  return z.pipe(
    z.string().check(
      z.refine((value) => isJson(value), {
        // The text itself is not echoed: a JSON input may hold a password. Where it fails is.
        error: (issue) => `is not valid JSON (${whereJsonFails(String(issue.input))}): give a JSON object, e.g. {"key": "value"}`,
        abort: true,
      }),
    ),
    z.pipe(
      z.transform((value: string): unknown => JSON.parse(value)),
      z.pipe(
        z.custom<unknown>((value) => isObject(value), 'expected a JSON object'),
        shape,
      ),
    ),
  );
}

/** The value of a JSON text, or undefined when it does not parse. */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

const isJson = (text: string) => parseJson(text) !== undefined;

/**
 * Where a text stops being JSON, as a line and a column. Found by a scan of its own, not
 * from JSON.parse's message: engines word it differently, and it may quote the text (and
 * a password in it). Linear in the length of the text.
 */
function whereJsonFails(text: string): string {
  const at = jsonErrorAt(text);
  if (at === undefined) return 'it ends before the JSON does';
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `at line ${line}, column ${column}`;
}

const MAX_JSON_DEPTH = 256;

/** The index of the first character that cannot be JSON (RFC 8259), or undefined when the text ends first. */
export function jsonErrorAt(text: string): number | undefined {
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i >= text.length ? undefined : i;
  };
  const expect = (c: string) => {
    if (text[i] !== c) fail();
    i++;
  };
  const digits = () => {
    const from = i;
    while (i < text.length && /[0-9]/.test(text[i] as string)) i++;
    if (i === from) fail();
  };
  // Deeper than any input means to nest: said to fail there, rather than overflow the stack.
  let depth = 0;
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (++depth > MAX_JSON_DEPTH) fail();
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        depth--;
        return;
      }
      for (;;) {
        if (close === '}') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          expect(':');
        }
        value();
        space();
        if (text[i] === close) {
          i++;
          depth--;
          return;
        }
        expect(',');
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === '-' || /[0-9]/.test(c ?? '')) {
      number();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const c = text[i] as string;
      if (c < ' ') fail();
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
          }
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    expect('"');
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  try {
    value();
    space();
    if (i < text.length) return i;
    // A text this scan finds whole but JSON.parse refuses: the end is all it can say.
    return undefined;
  } catch (thrown) {
    return thrown as number | undefined;
  }
}

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** SPEC §1.1: what WeChat's own Cloud Run CLI accepts as a service name. */
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const SERVICE_NAME_RULE = 'use lowercase letters, digits and -, starting with a letter, at most 20 characters';

/** A valid name close to `given`: `release-v1.2.3` → `release-v1-2-3`. */
export function validServiceName(given: string): string {
  const name = given
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 20)
    .replace(/-+$/, '');
  return name === '' ? 'service' : name;
}

const serviceName = z.string().check(
  z.refine((value) => SERVICE_NAME.test(value), {
    error: (issue) =>
      `${quoted(issue.input)} is not a valid service name: ${SERVICE_NAME_RULE}, e.g. "${validServiceName(String(issue.input))}"`,
  }),
);

const apiBaseUrl = z.pipe(
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://api.weixin.qq.com' }),
  z.pipe(
    z.transform((value: string) => new URL(value)),
    z.custom<URL>(
      (url) => url instanceof URL && url.username === '' && url.password === '' && url.search === '' && url.hash === '',
      'must not contain credentials, a query or a fragment (a proxy goes in HTTPS_PROXY)',
    ),
  ),
);

/** The inputs every action has (SPEC §2); the action's own ones go between service_name and api_base_url. */
const commonShape = {
  access_token: z.optional(text),
  component_appid: z.optional(text),
  component_appsecret: z.optional(text),
  component_verify_ticket: z.optional(text),
  env_id: text,
  service_name: serviceName,
  api_base_url: z._default(apiBaseUrl, () => new URL(DEFAULT_API_BASE_URL)),
  timeout_seconds: z._default(wholeNumber(1, MAX_TIMEOUT_SECONDS), 30),
  max_attempts: z._default(wholeNumber(1, MAX_ATTEMPTS), 3),
  dry_run: z._default(yamlBoolean, false),
};
type CommonData = Omit<z.output<z.ZodMiniObject<typeof commonShape>>, 'service_name'> & { service_name?: string };
const LEADING = ['access_token', ...COMPONENT_INPUTS, 'env_id', 'service_name'];
const TRAILING = ['api_base_url', 'timeout_seconds', 'max_attempts', 'dry_run'];

export type Credentials =
  | { kind: 'token'; accessToken: string }
  | { kind: 'component'; appid: string; appsecret: string; verifyTicket: string };

/** What every action reads, typed; `own` holds the action's own inputs, named as in action.yml. */
export interface Inputs<Own> {
  credentials: Credentials;
  envId: string;
  serviceName: string;
  apiBaseUrl: URL;
  timeoutSeconds: number;
  maxAttempts: number;
  dryRun: boolean;
  own: Own;
}

export type ParsedInputs<Own> = { ok: true; inputs: Inputs<Own> } | { ok: false; problems: string[] };

/** The typed inputs of an action, from its definition. */
export type InputsOf<A> = A extends ActionInputs<infer Own> ? Inputs<Own> : never;

type StrictObject = z.ZodMiniObject<z.core.$ZodLooseShape, z.core.$strict>;

/** One action's inputs: their names in action.yml order, their parser and their secrets. */
export interface ActionInputs<Own> {
  names: readonly string[];
  /** `given`: the names of the inputs the step gave (as INPUT_* carries them, lower-cased), for near names in the errors. */
  parse(raw: RawInputs, given?: readonly string[]): ParsedInputs<Own>;
  /** The raw values that must never be printed, for masking before anything is logged. */
  secretsIn(raw: RawInputs): string[];
}

interface OwnInputs<S extends z.core.$ZodLooseShape> {
  shape: S;
  /** The action works on a whole environment (prune): no service_name input; `serviceName` is ''. */
  noServiceName?: boolean;
  /** The JSON inputs, by name, with their object schema: for unknown keys and secret fields. */
  json?: Record<string, { schema: StrictObject; secrets?: readonly string[] }>;
  /** Checks across inputs, on the raw values, reported with the others. */
  across?: (raw: RawInputs) => string[];
}

export function defineInputs<S extends z.core.$ZodLooseShape>(own: OwnInputs<S>): ActionInputs<z.output<z.ZodMiniObject<S>>> {
  const ownNames = Object.keys(own.shape);
  const leading = own.noServiceName === true ? LEADING.filter((name) => name !== 'service_name') : LEADING;
  const names = [...leading, ...ownNames, ...TRAILING];
  // Keys in action.yml order, so problems are reported in that order.
  const shapes: z.core.$ZodLooseShape = { ...commonShape, ...own.shape };
  const schema = z.object(Object.fromEntries(names.map((name) => [name, shapes[name]])));
  const json = own.json ?? {};

  return {
    names,
    parse(raw, others = []) {
      const given: Record<string, string> = {};
      for (const name of names) if ((raw[name] ?? '') !== '') given[name] = raw[name] ?? '';

      const problems = credentialProblems(raw);
      const result = schema.safeParse(given);
      if (!result.success) {
        for (const issue of result.error.issues) problems.push(...describeIssue(issue, raw, json));
      }
      problems.push(...(own.across?.(raw) ?? []));
      if (problems.length > 0 || !result.success) return { ok: false, problems: withNearNames(problems, names, others) };

      // The common inputs, typed; the action's own ones are handed over as parsed.
      const data = result.data as unknown as CommonData & Record<string, unknown>;
      const ownValues = Object.fromEntries(ownNames.filter((name) => data[name] !== undefined).map((name) => [name, data[name]]));
      return {
        ok: true,
        inputs: {
          credentials: credentialsOf(data),
          envId: data.env_id,
          serviceName: data.service_name ?? '',
          apiBaseUrl: data.api_base_url,
          timeoutSeconds: data.timeout_seconds,
          maxAttempts: data.max_attempts,
          dryRun: data.dry_run,
          own: ownValues as z.output<z.ZodMiniObject<S>>,
        },
      };
    },
    secretsIn(raw) {
      const secrets = [raw['access_token'], raw['component_appsecret'], raw['component_verify_ticket']];
      for (const [input, { secrets: fields = [] }] of Object.entries(json)) {
        const text = raw[input] ?? '';
        const parsed = parseJson(text);
        for (const field of fields) {
          // JSON that does not parse may still hold the secret: it is masked all the same.
          const found = parsed !== undefined ? [ownField(parsed.value, field)] : valuesAfter(text, field);
          secrets.push(...found.filter((value): value is string => typeof value === 'string'));
        }
      }
      return [...new Set(secrets)].filter((secret): secret is string => secret !== undefined && secret !== '');
    },
  };
}

/**
 * SPEC §3: an input the step gave under a near name (`service-name` for service_name: the
 * runner passes `with:` keys as written) is named in the error about the missing one.
 */
function withNearNames(problems: string[], names: readonly string[], others: readonly string[]): string[] {
  const strangers = others.filter((other) => !names.includes(other));
  return problems.map((problem) => {
    const name = names.find((candidate) => problem.startsWith(`${candidate}: is required`));
    const near = name === undefined ? undefined : strangers.find((other) => closest(other, [name]) !== undefined);
    return near === undefined ? problem : `${problem} (the step gives "${near}": the input is named ${name})`;
  });
}

function credentialsOf(given: CommonData): Credentials {
  return given.access_token !== undefined
    ? { kind: 'token', accessToken: given.access_token }
    : {
        kind: 'component',
        appid: given.component_appid ?? '',
        appsecret: given.component_appsecret ?? '',
        verifyTicket: given.component_verify_ticket ?? '',
      };
}

/** An own field of `value` when it is an object; undefined otherwise. */
function ownField(value: unknown, key: string): unknown {
  return isObject(value) && Object.hasOwn(value as object, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function credentialProblems(raw: RawInputs): string[] {
  const given = (name: string) => (raw[name] ?? '') !== '';
  const componentGiven = COMPONENT_INPUTS.filter(given);
  const componentMissing = COMPONENT_INPUTS.filter((name) => !given(name));
  if (given('access_token')) {
    return componentGiven.length === 0
      ? []
      : [
          `access_token: give either access_token or ${COMPONENT_INPUTS.join(' + ')}, not both ` +
            `(also given: ${componentGiven.join(', ')})`,
        ];
  }
  if (componentGiven.length === 0) {
    return [
      'access_token: is required: give a component_access_token from a secret, ' +
        `or give ${COMPONENT_INPUTS.join(', ')} to have the action obtain one`,
    ];
  }
  return componentMissing.map(
    (name) =>
      `${name}: is required when ${componentGiven.join(', ')} ${componentGiven.length > 1 ? 'are' : 'is'} given (or give access_token instead)`,
  );
}

function describeIssue(issue: z.core.$ZodIssue, raw: RawInputs, json: NonNullable<OwnInputs<never>['json']>): string[] {
  const [input = '', ...inner] = issue.path.map(String);
  const where = [input, ...inner].join('.');
  if (issue.code === 'unrecognized_keys') {
    const allowed = Object.keys(json[input]?.schema.def.shape ?? {});
    return issue.keys.map((key) => {
      const guess = closest(key, allowed);
      return (
        `${where}: unknown key "${key}"` +
        (guess !== undefined ? ` (did you mean "${guess}"?)` : '') +
        `; allowed keys: ${allowed.join(', ')}`
      );
    });
  }
  if (inner.length === 0 && (raw[input] ?? '') === '') return [`${input}: is required`];
  if (issue.code === 'invalid_type') return [`${where}: expected ${article(issue.expected)}`];
  return [`${where}: ${issue.message}`];
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The allowed key a typo most likely meant: same letters once case and separators are ignored, or one edit away. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
  return allowed.find((name) => fold(name) === fold(key)) ?? allowed.find((name) => editDistance(fold(name), fold(key)) <= 1);
}

function editDistance(a: string, b: string): number {
  // Keys are short; a long one is no typo of an allowed key.
  if (Math.abs(a.length - b.length) > 1 || a.length > 64) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// ── create (SPEC §1.1, §2) ────────────────────────────────────────────────────────────

const esInfoSchema = z.strictObject({
  id: z.optional(z.number()),
  secret_name: z.optional(z.string()),
  ip: z.optional(z.string()),
  port: z.optional(z.number()),
  index: z.optional(z.string()),
  account: z.optional(z.string()),
  password: z.optional(z.string()),
});

const vpcInfoSchema = z.strictObject({
  vpc_id: z.optional(z.string()),
  subnet_ids: z.optional(z.array(z.string())),
  create_type: z.optional(z.number()),
});

const skipOrFail = (what: string) =>
  z._default(z.enum(['skip', 'fail'], { error: notA(`skip (succeed when the service is ${what}) or fail`) }), 'skip');

export const CREATE_INPUTS = defineInputs({
  shape: {
    is_public: yamlBoolean,
    image_repo: z.optional(text),
    remark: z.optional(text),
    es_info: z.optional(jsonObject(esInfoSchema)),
    log_type: z.optional(z.enum(['es', 'cls'], { error: notA('es or cls') })),
    vpc_info: z.optional(jsonObject(vpcInfoSchema)),
    public_access: z.optional(z.pipe(z.enum(['0', '1'], { error: notA('0 or 1') }), z.transform(Number))),
    if_exists: skipOrFail('already there'),
  },
  json: {
    es_info: { schema: esInfoSchema, secrets: ['password'] },
    vpc_info: { schema: vpcInfoSchema },
  },
});
export type CreateInputs = InputsOf<typeof CREATE_INPUTS>;

// ── delete (SPEC §2) ──────────────────────────────────────────────────────────────────

export const DELETE_INPUTS = defineInputs({
  shape: { if_missing: skipOrFail('already gone') },
});
export type DeleteInputs = InputsOf<typeof DELETE_INPUTS>;

// ── deploy (SPEC §1.4, §2) ────────────────────────────────────────────────────────────

const imageSecretInfoSchema = z.strictObject({
  registry_server: z.optional(z.string()),
  user_name: z.optional(z.string()),
  password: z.optional(z.string()),
  email: z.optional(z.string()),
});

/**
 * Every own key, `__proto__` too, with a string value. Not z.record: it drops a key named
 * `__proto__` and accepts any value under it.
 */
const envParamsSchema = z.custom<Record<string, string>>().check(
  z.superRefine((value, context) => {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string')
        context.issues.push({ code: 'invalid_type', expected: 'string', input: item, path: [key], message: '' });
    }
  }),
);

// WeChat's instances have a few GB at most: 64 or more is MB given where GB is asked (SPEC §2).
const MEM_GB_LIMIT = 64;
const memGb = z.pipe(
  positiveNumber,
  z.number().check(
    z.refine((gb) => gb < MEM_GB_LIMIT, {
      error: (issue) =>
        `${quoted(issue.input)} is far more GB than an instance has: mem is in GB, not MB; for ${String(issue.input)} MB give ${Number((Number(issue.input) / 1024).toFixed(3))}`,
    }),
  ),
);

// SPEC §1.4: at most 50 instances.
const instances = wholeNumber(0, 50);
const MIN_NUM = 0;
// WeChat lists a service's versions in pages of 20; a hundred is far beyond what a team keeps.
const MAX_KEEP_VERSIONS = 100;
const MAX_NUM = 5;

export const DEPLOY_INPUTS = defineInputs({
  shape: {
    image_url: text,
    container_port: z._default(wholeNumber(1, 65535), 80),
    cpu: z._default(positiveNumber, 0.25),
    mem: z._default(memGb, 0.5),
    min_num: z._default(instances, MIN_NUM),
    max_num: z._default(instances, MAX_NUM),
    policy_type: z._default(z.enum(['cpu', 'mem'], { error: notA('cpu or mem') }), 'cpu'),
    policy_threshold: z._default(positiveNumber, 60),
    flow_ratio: z._default(wholeNumber(0, 100), 100),
    env_params: z.optional(jsonObject(envParamsSchema)),
    version_remark: z.optional(text),
    image_secret_info: z.optional(jsonObject(imageSecretInfoSchema)),
    wait: z._default(yamlBoolean, true),
    wait_timeout_seconds: z._default(wholeNumber(1, MAX_WAIT_SECONDS), 900),
    keep_versions: z._default(wholeNumber(0, MAX_KEEP_VERSIONS), 0),
  },
  json: { image_secret_info: { schema: imageSecretInfoSchema, secrets: ['password'] } },
  across: (raw) => {
    // Compared once both are valid, each given or its default; an invalid one has its own line.
    const [min, max] = [raw['min_num'] || String(MIN_NUM), raw['max_num'] || String(MAX_NUM)].map(
      (value) => instances.safeParse(value).data,
    );
    return min !== undefined && max !== undefined && min > max
      ? [`min_num: must not be more than max_num (min_num ${min}, max_num ${max})`]
      : [];
  },
});
export type DeployInputs = InputsOf<typeof DEPLOY_INPUTS>;

// ── release (SPEC §1.4a, §2) ──────────────────────────────────────────────────────────

/** `latest`, `previous`, or a version name as WeChat gives them (`app-007`). */
const versionChoice = z.string().check(
  z.refine((value) => /^[A-Za-z0-9][\w.-]{0,99}$/.test(value), {
    error: (issue) => `${quoted(issue.input)} is not a version: give a version name (e.g. app-007), latest or previous`,
  }),
);

export const RELEASE_INPUTS = defineInputs({
  shape: {
    version: z._default(versionChoice, 'latest'),
    flow_ratio: z._default(wholeNumber(1, 100), 100),
    wait: z._default(yamlBoolean, true),
    wait_timeout_seconds: z._default(wholeNumber(1, MAX_WAIT_SECONDS), 300),
  },
});
export type ReleaseInputs = InputsOf<typeof RELEASE_INPUTS>;

// ── prune (SPEC §2) ───────────────────────────────────────────────────────────────────

/** The start of a service name: a lowercase letter, then letters, digits and -; at least 2 characters. */
const PREFIX = /^[a-z][a-z0-9-]{1,19}$/;

const prefix = z.string().check(
  z.refine((value) => PREFIX.test(value), {
    error: (issue) =>
      `${quoted(issue.input)} is not the start of a service name: give at least 2 characters, ` +
      `a lowercase letter first, then lowercase letters, digits and -, e.g. "pr-"`,
  }),
);

/** Service names separated by commas, spaces or line breaks; each must be a valid name. */
const serviceNames = z.pipe(
  z.string(),
  z.pipe(
    z.transform((value: string) => value.split(/[\s,]+/).filter((name) => name !== '')),
    z.array(serviceName),
  ),
);

export const PRUNE_INPUTS = defineInputs({
  noServiceName: true,
  shape: {
    prefix,
    keep: z._default(serviceNames, []),
    max_deletes: z._default(wholeNumber(1, 100), 10),
  },
});
export type PruneInputs = InputsOf<typeof PRUNE_INPUTS>;

import * as z from 'zod/mini';

/** Every input of action.yml, in the order the README lists them. */
export const INPUT_NAMES = [
  'access_token',
  'component_appid',
  'component_appsecret',
  'component_verify_ticket',
  'env_id',
  'service_name',
  'is_public',
  'image_repo',
  'remark',
  'es_info',
  'log_type',
  'vpc_info',
  'public_access',
  'api_base_url',
  'timeout_seconds',
  'max_attempts',
  'dry_run',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];
/** Inputs as the runner hands them over: trimmed strings, '' when not given. */
export type RawInputs = Record<InputName, string>;

export const DEFAULT_API_BASE_URL = 'https://api.weixin.qq.com';
const COMPONENT_INPUTS = ['component_appid', 'component_appsecret', 'component_verify_ticket'] as const;
// Bounds keep the values inside what setTimeout and a CI job can honour.
const MAX_TIMEOUT_SECONDS = 3600;
const MAX_ATTEMPTS = 10;

export function readRawInputs(getInput: (name: string) => string): RawInputs {
  const raw = {} as RawInputs;
  for (const name of INPUT_NAMES) raw[name] = getInput(name).trim();
  return raw;
}

/** The raw values that must never be printed, for masking before anything is logged. */
export function secretsIn(raw: RawInputs): string[] {
  const secrets = [raw.access_token, raw.component_appsecret, raw.component_verify_ticket];
  const password = jsonField(raw.es_info, 'password');
  // Also the JSON-escaped form, which is what a printed request body would contain.
  if (typeof password === 'string') secrets.push(password, JSON.stringify(password).slice(1, -1));
  return [...new Set(secrets)].filter((s) => s !== '');
}

function jsonField(text: string, key: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

const text = z.string().check(z.minLength(1));

const yamlBoolean = z.pipe(
  z.enum(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'], {
    error: 'must be a YAML 1.2 boolean: true or false (True/TRUE/False/FALSE also work)',
  }),
  z.transform((value) => value.toLowerCase() === 'true'),
);

function wholeNumber(max: number) {
  return z.pipe(
    z.string().check(z.regex(/^[1-9][0-9]*$/, `must be a whole number from 1 to ${max}`)),
    z.pipe(
      z.transform(Number),
      z.number().check(z.maximum(max, `must be a whole number from 1 to ${max}`)),
    ),
  );
}

/** A JSON input: parse, then validate with `shape`; problems carry the path inside the object. */
function jsonObject<T extends z.ZodMiniType>(shape: T) {
  return z.pipe(
    z.string().check(
      z.refine((value) => isJson(value), {
        // The text itself is not echoed: es_info may hold a password.
        error: 'is not valid JSON: give a JSON object, e.g. {"key": "value"}',
        abort: true,
      }),
    ),
    z.pipe(z.transform((value: string): unknown => JSON.parse(value)), shape),
  );
}

function isJson(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

const esInfoSchema = z.partial(
  z.strictObject({
    id: z.number(),
    secret_name: z.string(),
    ip: z.string(),
    port: z.number(),
    index: z.string(),
    account: z.string(),
    password: z.string(),
  }),
);

const vpcInfoSchema = z.partial(
  z.strictObject({
    vpc_id: z.string(),
    subnet_ids: z.array(z.string()),
    create_type: z.number(),
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

/** The fields of the createCloudbaseService body; lower snake_case, exactly as WeChat names them. */
const serviceShape = {
  env_id: text,
  service_name: text,
  is_public: yamlBoolean,
  image_repo: z.optional(text),
  remark: z.optional(text),
  es_info: z.optional(jsonObject(esInfoSchema)),
  log_type: z.optional(z.enum(['es', 'cls'], { error: 'must be "es" or "cls"' })),
  vpc_info: z.optional(jsonObject(vpcInfoSchema)),
  public_access: z.optional(
    z.pipe(z.enum(['0', '1'], { error: 'must be 0 or 1' }), z.transform(Number)),
  ),
};

const inputsSchema = z.pipe(
  z.object({
    access_token: z.optional(text),
    component_appid: z.optional(text),
    component_appsecret: z.optional(text),
    component_verify_ticket: z.optional(text),
    ...serviceShape,
    api_base_url: z._default(apiBaseUrl, () => new URL(DEFAULT_API_BASE_URL)),
    timeout_seconds: z._default(wholeNumber(MAX_TIMEOUT_SECONDS), 30),
    max_attempts: z._default(wholeNumber(MAX_ATTEMPTS), 3),
    dry_run: z._default(yamlBoolean, false),
  }),
  z.transform((given) => {
    const {
      access_token,
      component_appid,
      component_appsecret,
      component_verify_ticket,
      api_base_url,
      timeout_seconds,
      max_attempts,
      dry_run,
      ...service
    } = given;
    const credentials =
      access_token !== undefined
        ? { kind: 'token' as const, accessToken: access_token }
        : {
            kind: 'component' as const,
            appid: component_appid ?? '',
            appsecret: component_appsecret ?? '',
            verifyTicket: component_verify_ticket ?? '',
          };
    return {
      credentials,
      service,
      apiBaseUrl: api_base_url,
      timeoutSeconds: timeout_seconds,
      maxAttempts: max_attempts,
      dryRun: dry_run,
    };
  }),
);

export type Inputs = z.output<typeof inputsSchema>;
export type ServiceParams = Inputs['service'];

export type ParsedInputs = { ok: true; inputs: Inputs } | { ok: false; problems: string[] };

/** Validates every input at once; each problem names the input (and the path inside a JSON input). */
export function parseInputs(raw: RawInputs): ParsedInputs {
  const given: Partial<Record<InputName, string>> = {};
  for (const name of INPUT_NAMES) if (raw[name] !== '') given[name] = raw[name];

  const problems = credentialProblems(raw);
  const result = inputsSchema.safeParse(given);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, raw));
  }
  return problems.length === 0 && result.success ? { ok: true, inputs: result.data } : { ok: false, problems };
}

function credentialProblems(raw: RawInputs): string[] {
  const componentGiven = COMPONENT_INPUTS.filter((name) => raw[name] !== '');
  const componentMissing = COMPONENT_INPUTS.filter((name) => raw[name] === '');
  if (raw.access_token !== '') {
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
    (name) => `${name}: is required when ${componentGiven.join(', ')} ${componentGiven.length > 1 ? 'are' : 'is'} given (or give access_token instead)`,
  );
}

function describeIssue(issue: z.core.$ZodIssue, raw: RawInputs): string[] {
  const [input, ...inner] = issue.path.map(String);
  const where = [input, ...inner].join('.');
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(input);
    return issue.keys.map((key) => {
      const guess = closest(key, allowed);
      return (
        `${where}: unknown key "${key}"` +
        (guess !== undefined ? ` (did you mean "${guess}"?)` : '') +
        `; allowed keys: ${allowed.join(', ')}`
      );
    });
  }
  if (inner.length === 0 && input !== undefined && raw[input as InputName] === '') {
    return [`${input}: is required`];
  }
  if (issue.code === 'invalid_type') {
    return [`${where}: expected ${inner.length === 0 && input?.endsWith('_info') ? 'a JSON object' : article(issue.expected)}`];
  }
  if (issue.code === 'too_small' && inner.length === 0) return [`${where}: must not be empty`];
  return [`${where}: ${issue.message}`];
}

function allowedKeys(input: string | undefined): string[] {
  const shape = input === 'es_info' ? esInfoSchema : vpcInfoSchema;
  return Object.keys(shape.def.shape);
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The allowed key a typo most likely meant: same letters once case and separators are ignored, or one edit away. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
  return (
    allowed.find((name) => fold(name) === fold(key)) ??
    allowed.find((name) => editDistance(fold(name), fold(key)) <= 1)
  );
}

function editDistance(a: string, b: string): number {
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

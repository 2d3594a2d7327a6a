/**
 * A model of the three actions' inputs, written from SPEC §2 (and the action.yml
 * descriptions) without looking at src/: which raw values are valid, what each problem
 * must be reported as, and what WeChat must receive when every input is valid (SPEC §1).
 * The property test uses it as its oracle, so it must not import anything from src/.
 *
 * Where SPEC is silent the model takes one reading and says so ("SPEC is silent").
 */

export type ActionName = 'create' | 'delete' | 'deploy';

/** Inputs as the runner hands them over (core.getInput): trimmed, '' when not given. */
export type Given = Readonly<Record<string, string>>;

/**
 * One problem the action must report on a line of its own. The line starts with one of
 * `prefixes` followed by `:` — the input's name, or `name.path` inside a JSON input.
 */
export interface Problem {
  prefixes: string[];
  /** The input or inputs the problem is about, for messages. */
  inputs: string[];
}

export interface Verdict {
  problems: Problem[];
  /** Every input the model found invalid (each named by some problem). */
  invalid: Set<string>;
  /** When valid: every input's value, typed, defaults applied; JSON inputs parsed. */
  values: Record<string, unknown>;
}

export const COMPONENT_INPUTS = ['component_appid', 'component_appsecret', 'component_verify_ticket'] as const;

// ── the rules, SPEC §2 ───────────────────────────────────────────────────────────────

export type FieldType = 'string' | 'number' | 'string[]';

export type Rule =
  | { kind: 'text'; required?: boolean } // any non-empty text
  | { kind: 'boolean'; required?: boolean; default?: boolean }
  | { kind: 'whole'; min: number; max: number; default: number }
  | { kind: 'decimal'; default: number; below?: number } // a plain decimal number > 0 (and below `below`)
  | { kind: 'enum'; values: readonly string[]; default?: string }
  | { kind: 'service_name' }
  | { kind: 'url'; default: string }
  | { kind: 'json'; fields: Readonly<Record<string, FieldType>> }
  | { kind: 'json-strings' }; // a JSON object whose values are all strings

const ES_INFO: Record<string, FieldType> = {
  id: 'number',
  secret_name: 'string',
  ip: 'string',
  port: 'number',
  index: 'string',
  account: 'string',
  password: 'string',
};
const VPC_INFO: Record<string, FieldType> = { vpc_id: 'string', subnet_ids: 'string[]', create_type: 'number' };
const IMAGE_SECRET_INFO: Record<string, FieldType> = {
  registry_server: 'string',
  user_name: 'string',
  password: 'string',
  email: 'string',
};

const COMMON_LEADING: Record<string, Rule> = {
  access_token: { kind: 'text' },
  component_appid: { kind: 'text' },
  component_appsecret: { kind: 'text' },
  component_verify_ticket: { kind: 'text' },
  env_id: { kind: 'text', required: true },
  service_name: { kind: 'service_name' },
};
const COMMON_TRAILING: Record<string, Rule> = {
  api_base_url: { kind: 'url', default: 'https://api.weixin.qq.com' },
  timeout_seconds: { kind: 'whole', min: 1, max: 3600, default: 30 },
  max_attempts: { kind: 'whole', min: 1, max: 10, default: 3 },
  dry_run: { kind: 'boolean', default: false },
};

export const RULES: Record<ActionName, Record<string, Rule>> = {
  create: {
    ...COMMON_LEADING,
    is_public: { kind: 'boolean', required: true },
    image_repo: { kind: 'text' },
    remark: { kind: 'text' },
    es_info: { kind: 'json', fields: ES_INFO },
    log_type: { kind: 'enum', values: ['es', 'cls'] },
    vpc_info: { kind: 'json', fields: VPC_INFO },
    public_access: { kind: 'enum', values: ['0', '1'] },
    if_exists: { kind: 'enum', values: ['skip', 'fail'], default: 'skip' },
    ...COMMON_TRAILING,
  },
  delete: {
    ...COMMON_LEADING,
    if_missing: { kind: 'enum', values: ['skip', 'fail'], default: 'skip' },
    ...COMMON_TRAILING,
  },
  deploy: {
    ...COMMON_LEADING,
    image_url: { kind: 'text', required: true },
    container_port: { kind: 'whole', min: 1, max: 65535, default: 80 },
    cpu: { kind: 'decimal', default: 0.25 },
    // SPEC §2: "mem of 64 or more is refused as a likely MB value".
    mem: { kind: 'decimal', default: 0.5, below: 64 },
    min_num: { kind: 'whole', min: 0, max: 50, default: 0 },
    max_num: { kind: 'whole', min: 0, max: 50, default: 5 },
    policy_type: { kind: 'enum', values: ['cpu', 'mem'], default: 'cpu' },
    policy_threshold: { kind: 'decimal', default: 60 },
    flow_ratio: { kind: 'whole', min: 0, max: 100, default: 100 },
    env_params: { kind: 'json-strings' },
    version_remark: { kind: 'text' },
    image_secret_info: { kind: 'json', fields: IMAGE_SECRET_INFO },
    wait: { kind: 'boolean', default: true },
    wait_timeout_seconds: { kind: 'whole', min: 1, max: 21600, default: 900 },
    // SPEC §2: keep_versions 0 keeps all; it gives no maximum, the action takes up to 100 (a team keeps a few).
    keep_versions: { kind: 'whole', min: 0, max: 100, default: 0 },
    ...COMMON_TRAILING,
  },
};

export const inputNames = (action: ActionName): string[] => Object.keys(RULES[action]);

/** The JSON inputs whose `password` is a secret (SPEC §3). */
export const PASSWORD_INPUTS: Record<ActionName, string[]> = { create: ['es_info'], delete: [], deploy: ['image_secret_info'] };

/** SPEC §2: "Every boolean input is a YAML 1.2 boolean". */
const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

/**
 * A whole number written plainly: decimal digits, no sign, no leading zero, no
 * exponent. SPEC says only "whole number"; "030", "+5", "5.0", "1e1" are read as not
 * plain (SPEC is silent).
 */
const WHOLE = /^(0|[1-9][0-9]*)$/;

/**
 * A plain decimal number: digits, an optional fraction, no sign or exponent. SPEC says
 * only "number > 0"; the model also caps it at 16 integer digits and 6 decimal places
 * (an amount of CPU, memory or percent WeChat can read exactly) — SPEC is silent there.
 */
const DECIMAL = /^(0|[1-9][0-9]{0,15})(\.[0-9]{1,6})?$/;

/** The service name rule of SPEC §1.1. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

type Checked = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

const problem = (input: string, ...prefixes: string[]): Problem => ({
  inputs: [input],
  prefixes: prefixes.length > 0 ? prefixes : [input],
});
const one = (input: string): Checked => ({ ok: false, problems: [problem(input)] });

function checkInput(name: string, rule: Rule, value: string): Checked {
  if (value === '') {
    // Not given: its default, or a problem when it is required.
    switch (rule.kind) {
      case 'text':
      case 'boolean':
        return rule.required === true ? one(name) : { ok: true, value: rule.kind === 'boolean' ? rule.default : undefined };
      case 'service_name':
        return one(name);
      case 'json':
      case 'json-strings':
        return { ok: true, value: undefined };
      case 'url':
        return { ok: true, value: new URL(rule.default) };
      default:
        return { ok: true, value: rule.default };
    }
  }
  switch (rule.kind) {
    case 'text':
      return { ok: true, value };
    case 'boolean':
      return TRUE.includes(value) ? { ok: true, value: true } : FALSE.includes(value) ? { ok: true, value: false } : one(name);
    case 'whole': {
      if (!WHOLE.test(value)) return one(name);
      const n = Number(value);
      return n >= rule.min && n <= rule.max ? { ok: true, value: n } : one(name);
    }
    case 'decimal':
      return DECIMAL.test(value) && Number(value) > 0 && Number(value) < (rule.below ?? Infinity)
        ? { ok: true, value: Number(value) }
        : one(name);
    case 'enum':
      return rule.values.includes(value) ? { ok: true, value } : one(name);
    case 'service_name':
      return SERVICE_NAME.test(value) ? { ok: true, value } : one(name);
    case 'url':
      return checkUrl(name, value);
    case 'json':
    case 'json-strings':
      return checkJson(name, rule, value);
  }
}

/**
 * An http(s) URL as WHATWG URL reads it (the reading fetch and Node use), written with
 * `//` after the scheme, without user or password, query or fragment. SPEC is silent on
 * the forms WHATWG also reads as http URLs (`http:h`, `http:/h`, `http:\\h`: not
 * accepted here) and on an empty `?` or `#` (no query or fragment: accepted).
 */
function checkUrl(name: string, value: string): Checked {
  if (!/^https?:\/\//i.test(value)) return one(name);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return one(name);
  }
  const fine =
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '';
  return fine ? { ok: true, value: url } : one(name);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

/**
 * A JSON input: text that parses to an object; every key documented, every value of its
 * type (SPEC §1.1, §1.4, §3: "Unknown JSON keys are errors"). Each unknown key and each
 * wrong value is a problem of its own, named by its path (SPEC §3); an element of
 * `subnet_ids` that is not a string is a problem at `subnet_ids.<index>`. JSON numbers
 * too large for a double (1e400) are not numbers (SPEC is silent).
 */
function checkJson(name: string, rule: Extract<Rule, { kind: 'json' | 'json-strings' }>, text: string): Checked {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return one(name);
  }
  if (!isObject(value)) return one(name);
  const problems: Problem[] = [];
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (rule.kind === 'json-strings') {
      if (typeof field !== 'string') problems.push(problem(name, `${name}.${key}`));
      continue;
    }
    const type = Object.hasOwn(rule.fields, key) ? rule.fields[key] : undefined;
    if (type === undefined) {
      problems.push(problem(name, name, `${name}.${key}`));
    } else if (type === 'string[]') {
      if (!Array.isArray(field)) problems.push(problem(name, `${name}.${key}`));
      else {
        for (const [index, item] of (field as unknown[]).entries())
          if (typeof item !== 'string') problems.push(problem(name, `${name}.${key}.${index}`));
      }
    } else if (type === 'number' ? !isNumber(field) : typeof field !== 'string') {
      problems.push(problem(name, `${name}.${key}`));
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/**
 * SPEC §2 and action.yml: `access_token`, or all three component_* inputs, not both.
 * Both: one problem, named by access_token or a component input given. Neither: one
 * problem, named by any of the four. Some component inputs but not all: one problem for
 * each one missing, named by it.
 */
function credentialProblems(given: Given): Problem[] {
  const has = (name: string) => (given[name] ?? '') !== '';
  const components = COMPONENT_INPUTS.filter(has);
  const credentials = (...names: string[]): Problem => ({ inputs: names, prefixes: names });
  if (has('access_token')) return components.length === 0 ? [] : [credentials('access_token', ...components)];
  if (components.length === 0) return [credentials('access_token', ...COMPONENT_INPUTS)];
  return COMPONENT_INPUTS.filter((name) => !has(name)).map((name) => problem(name));
}

/** The verdict on one action's inputs, as the runner hands them over (trimmed; '' when not given). */
export function judge(action: ActionName, given: Given): Verdict {
  const rules = RULES[action];
  const problems: Problem[] = credentialProblems(given);
  const values: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(rules)) {
    const checked = checkInput(name, rule, given[name] ?? '');
    if (checked.ok) values[name] = checked.value;
    else problems.push(...checked.problems);
  }
  // SPEC §2: min_num ≤ max_num, compared once both are valid numbers (given or default).
  if (
    action === 'deploy' &&
    typeof values['min_num'] === 'number' &&
    typeof values['max_num'] === 'number' &&
    values['min_num'] > values['max_num']
  ) {
    problems.push({ inputs: ['min_num', 'max_num'], prefixes: ['min_num', 'max_num'] });
  }
  const invalid = new Set(problems.flatMap((p) => p.inputs));
  return { problems, invalid, values };
}

// ── what WeChat receives, SPEC §1 ────────────────────────────────────────────────────

/** establishcloudbaserunserver (SPEC §1.1): only the fields given, in the documented order. */
export function createServiceBody(values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { env_id: values['env_id'], service_name: values['service_name'], is_public: values['is_public'] };
  for (const name of ['image_repo', 'remark', 'es_info', 'log_type', 'vpc_info']) {
    if (values[name] !== undefined) body[name] = values[name];
  }
  if (values['public_access'] !== undefined) body['public_access'] = Number(values['public_access']);
  return body;
}

/** createcloudbaserunserverversion (SPEC §1.4): numbers as numbers, env_params as a JSON string. */
export function createVersionBody(values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    env_id: values['env_id'],
    server_name: values['service_name'],
    upload_type: 'image',
    flow_ratio: values['flow_ratio'],
    cpu: values['cpu'],
    mem: values['mem'],
    min_num: values['min_num'],
    max_num: values['max_num'],
    policy_type: values['policy_type'],
    policy_threshold: values['policy_threshold'],
    container_port: values['container_port'],
    image_info: { image_url: values['image_url'] },
  };
  if (values['env_params'] !== undefined) body['env_params'] = JSON.stringify(values['env_params']);
  if (values['version_remark'] !== undefined) body['version_remark'] = values['version_remark'];
  if (values['image_secret_info'] !== undefined) body['image_secret_info'] = values['image_secret_info'];
  return body;
}

/** delcontainerservice (SPEC §1.3): the older generation's names. */
export const deleteServiceBody = (values: Record<string, unknown>) => ({ env: values['env_id'], service_name: values['service_name'] });

/** deletecloudbaserunserverversion (SPEC §1.3, §2): is_delete_server only on the last; is_delete_image never. */
export const deleteVersionBody = (values: Record<string, unknown>, version: string, last: boolean) => ({
  env_id: values['env_id'],
  server_name: values['service_name'],
  version_name: version,
  ...(last ? { is_delete_server: true } : {}),
});

/**
 * The secrets in the inputs (SPEC §3): the token inputs and the `password` of the JSON
 * inputs that have one, when the JSON parses to an object with a string there.
 */
export function secretsOf(action: ActionName, given: Given): string[] {
  const secrets = [given['access_token'] ?? '', given['component_appsecret'] ?? '', given['component_verify_ticket'] ?? ''];
  for (const name of PASSWORD_INPUTS[action]) {
    try {
      const value: unknown = JSON.parse(given[name] ?? '');
      if (isObject(value) && typeof value['password'] === 'string') secrets.push(value['password']);
    } catch {
      // Not JSON: no password field (the test knows the passwords it hid in broken JSON).
    }
  }
  return [...new Set(secrets.filter((secret) => secret !== ''))];
}

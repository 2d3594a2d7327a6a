import * as z from 'zod/mini';
import type { CreateInputs, DeployInputs } from './inputs.ts';
import { cut, valuesAfter } from './redact.ts';

/**
 * One WeChat API call: its path under api_base_url, how its failure line starts, whether
 * it changes anything, and the shape of its answer. Field names differ between WeChat's
 * two generations of calls (SPEC §1): each body below uses its call's own.
 */
export interface Call<Answer extends WeChatAnswer = WeChatAnswer> {
  name: string;
  path: string;
  /** How its failure line starts. */
  failed: string;
  /** A write: repeating it after WeChat may have acted could do the work twice. */
  writes: boolean;
  answer: z.ZodMiniType<Answer>;
  /** A write that done twice is done once (a traffic split): a read that does not show it yet does not prove it will not happen. */
  idempotent?: boolean;
  /** Secrets an answer of this call may carry, found in its raw text: masked before anything about it is printed. */
  secretsInAnswer?: (text: string) => string[];
}

export interface WeChatAnswer {
  errcode?: number | undefined;
  errmsg?: string | undefined;
}

const errcodeShape = { errcode: z.optional(z.number()), errmsg: z.optional(z.string()) };

/** An answer is WeChat's when it carries errcode or errmsg, or one of the fields its success has. */
function answerSchema<S extends z.core.$ZodLooseShape>(shape: S) {
  const fields = ['errcode', 'errmsg', ...Object.keys(shape)];
  return z.looseObject({ ...errcodeShape, ...shape }).check(
    z.refine((answer) => fields.some((field) => (answer as Record<string, unknown>)[field] !== undefined), {
      error: `it has none of ${fields.join(', ')}`,
    }),
  );
}

// The older calls may send numbers as text.
const count = z.optional(z.union([z.number(), z.string()]));

function call<S extends z.core.$ZodLooseShape>(name: string, path: string, writes: boolean, shape: S, failed = `${name} failed`) {
  return { name, path, writes, failed, answer: answerSchema(shape) };
}

export const COMPONENT_TOKEN = {
  ...call('api_component_token', '/cgi-bin/component/api_component_token', false, {
    component_access_token: z.optional(z.string()),
    expires_in: count,
  }),
  secretsInAnswer: tokensIn,
};

/**
 * Every token a token answer may carry, in whatever shape the answer came: the value after
 * a key that names a token (a string, a number, JSON cut short, a key of another name),
 * and any run of token characters long enough to be one (a page, a JSON array).
 * WeChat's request ids are shorter.
 */
export function tokensIn(text: string): string[] {
  return [...new Set([...valuesAfter(text, 'token'), ...(text.match(/[\w.-]{32,}/g) ?? [])])];
}

export const CREATE_SERVICE = call(
  'establishcloudbaserunserver',
  '/componenttcb/establishcloudbaserunserver',
  true,
  {},
  'createCloudbaseService failed',
);

export const LIST_SERVICES = call('getcslist', '/componenttcb/getcslist', false, {
  total: count,
  cslist: z.optional(z.array(z.looseObject({ server_name: z.string(), status: z.optional(z.string()) }))),
});

export const LIST_VERSIONS = call('getcsversionlist', '/componenttcb/getcsversionlist', false, {
  total: count,
  items: z.optional(
    z.array(
      z.looseObject({
        version_name: z.string(),
        status: z.optional(z.string()),
        flow_ratio: count,
        created_time: z.optional(z.string()),
      }),
    ),
  ),
});

export const DELETE_SERVICE = call('delcontainerservice', '/componenttcb/delcontainerservice', true, {});

export const DELETE_VERSION = call('deletecloudbaserunserverversion', '/componenttcb/deletecloudbaserunserverversion', true, {
  result: z.optional(z.string()),
});

export const CREATE_VERSION = call('createcloudbaserunserverversion', '/componenttcb/createcloudbaserunserverversion', true, {
  result: z.optional(z.string()),
  version_name: z.optional(z.string()),
  run_id: z.optional(z.string()),
});

/** releasecloudbaserunversion (newer generation): all the traffic to one version; `result: "failed"` with errcode 0 is a failure (SPEC §1.4a). */
export const RELEASE_VERSION = {
  ...call('releasecloudbaserunversion', '/componenttcb/releasecloudbaserunversion', true, {
    result: z.optional(z.string()),
    release_order_id: count,
  }),
  idempotent: true,
};

/** setcspropotion (older generation): the split between versions; the shares add up to 100, a version left out gets none. */
export const SET_TRAFFIC = { ...call('setcspropotion', '/componenttcb/setcspropotion', true, {}), idempotent: true };

export const releaseVersionBody = (envId: string, serviceName: string, versionName: string) => ({
  env_id: envId,
  server_name: serviceName,
  release_version: versionName,
});

/** The split a canary sets: `versionName` at `share`, `keeper` at the rest (SPEC §2 release: exactly two items). */
export const setTrafficBody = (envId: string, serviceName: string, versionName: string, share: number, keeper: string) => ({
  env: envId,
  service_name: serviceName,
  items: [
    { version_name: versionName, flow_ratio: share },
    { version_name: keeper, flow_ratio: 100 - share },
  ],
});

/**
 * How a mini program reaches a service (SPEC §1.4a): wx.cloud.callContainer with the
 * environment and the X-WX-SERVICE header. No componenttcb call gives a service's domain.
 */
export function howToReach(envId: string, serviceName: string): { summary: string; log: string } {
  const call = `wx.cloud.callContainer({ config: { env: '${envId}' }, path: '/', header: { 'X-WX-SERVICE': '${serviceName}' } })`;
  return {
    summary: call,
    log:
      `A mini program reaches the service with ${call}. Its public domain, when it has one, is in the CloudBase console ` +
      '(Cloud Run → the service → details): WeChat’s API gives none.',
  };
}

export type VersionItem = NonNullable<z.output<typeof LIST_VERSIONS.answer>['items']>[number];

/** The endpoint of a call, without any query: safe to print. */
export function endpoint(base: URL, call: { path: string }): URL {
  const url = new URL(base.href);
  url.pathname = url.pathname.replace(/\/+$/, '') + call.path;
  return url;
}

export function withAccessToken(url: URL, token: string): URL {
  const withToken = new URL(url.href);
  withToken.searchParams.set('access_token', token);
  return withToken;
}

/** A page of services or versions: SPEC §1.2 documents 20 as the page size. */
export const PAGE_SIZE = 20;

/** The body of createCloudbaseService: only the fields the user gave, in the documented order. */
export function createServiceBody(envId: string, serviceName: string, own: CreateInputs['own']) {
  return {
    env_id: envId,
    service_name: serviceName,
    is_public: own.is_public,
    ...(own.image_repo !== undefined && { image_repo: own.image_repo }),
    ...(own.remark !== undefined && { remark: own.remark }),
    ...(own.es_info !== undefined && { es_info: own.es_info }),
    ...(own.log_type !== undefined && { log_type: own.log_type }),
    ...(own.vpc_info !== undefined && { vpc_info: own.vpc_info }),
    ...(own.public_access !== undefined && { public_access: own.public_access }),
  };
}

/** getcslist and getcsversionlist (older generation): `env`, and `service_name` for versions. */
export const listServicesBody = (envId: string, offset: number) => ({ env: envId, offset, limit: PAGE_SIZE });
export const listVersionsBody = (envId: string, serviceName: string, offset: number) => ({
  env: envId,
  service_name: serviceName,
  offset,
  limit: PAGE_SIZE,
});
export const deleteServiceBody = (envId: string, serviceName: string) => ({ env: envId, service_name: serviceName });

/** deletecloudbaserunserverversion (newer generation): `env_id` and `server_name`; is_delete_image is never sent. */
export const deleteVersionBody = (envId: string, serviceName: string, versionName: string, last: boolean) => ({
  env_id: envId,
  server_name: serviceName,
  version_name: versionName,
  ...(last && { is_delete_server: true }),
});

/** createcloudbaserunserverversion (newer generation): the numbers as numbers, env_params as a JSON string. */
export function createVersionBody(envId: string, serviceName: string, own: DeployInputs['own']) {
  return {
    env_id: envId,
    server_name: serviceName,
    upload_type: 'image',
    flow_ratio: own.flow_ratio,
    cpu: own.cpu,
    mem: own.mem,
    min_num: own.min_num,
    max_num: own.max_num,
    policy_type: own.policy_type,
    policy_threshold: own.policy_threshold,
    container_port: own.container_port,
    image_info: { image_url: own.image_url },
    ...(own.env_params !== undefined && { env_params: JSON.stringify(own.env_params) }),
    ...(own.version_remark !== undefined && { version_remark: own.version_remark }),
    ...(own.image_secret_info !== undefined && { image_secret_info: own.image_secret_info }),
  };
}

/** SPEC §1.4: `normal` runs; `build_fail` and `deploy_fail` failed; anything else is still in progress. */
export const VERSION_RUNNING = 'normal';

/** Each failed status: what failed, and where to look. */
export const VERSION_FAILURES: Readonly<Record<string, string>> = {
  build_fail:
    'failed to build (build_fail): look at its build log in the CloudBase console (service → versions), fix the image or its settings, then deploy again',
  deploy_fail:
    'failed to deploy (deploy_fail): its image was built but its instances did not start: look at the version’s logs in the CloudBase console ' +
    '(service → versions → logs), check that container_port is the port the image listens on and that the container starts, then deploy again',
};

export const hasFailed = (status: string) => Object.hasOwn(VERSION_FAILURES, status);

/** What WeChat answered, as the outputs carry it: errmsg redacted whole as soon as it arrives. */
export interface Outcome {
  errcode: number;
  errmsg: string;
  rid: string;
}

export function outcomeOf(answer: WeChatAnswer, clean: (text: string) => string): Outcome {
  const errmsg = answer.errmsg ?? '';
  return { errcode: answer.errcode ?? 0, errmsg: clean(errmsg), rid: clean(ridOf(errmsg)) };
}

/** WeChat support asks for the request id that ends most errmsg texts: `… rid: 6489b1c2-3c1c4a9d-5e3f2b1a`. */
export function ridOf(errmsg: string): string {
  return ridAt(errmsg)?.rid ?? '';
}

/**
 * The last `rid:` of a text and where it starts. Scanned by hand, not by a regular
 * expression: errmsg comes from the network and may hold anything, in any length.
 */
function ridAt(errmsg: string): { rid: string; start: number; end: number } | undefined {
  const start = errmsg.lastIndexOf('rid:');
  if (start < 0 || /\w/.test(errmsg[start - 1] ?? '')) return undefined;
  let from = start + 'rid:'.length;
  while (from < errmsg.length && isSpace(errmsg[from])) from++;
  let end = from;
  while (end < errmsg.length && /[\w.-]/.test(errmsg[end] ?? '')) end++;
  return end > from ? { rid: errmsg.slice(from, end), start, end } : undefined;
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/** errmsg without the `rid: …` that ends it (and the separator before it): the rid is quoted on its own. */
export function withoutRid(errmsg: string): string {
  const at = ridAt(errmsg);
  if (at === undefined || errmsg.slice(at.end).trim() !== '') return errmsg.trim();
  let end = at.start;
  while (end > 0 && isSpace(errmsg[end - 1])) end--;
  if (errmsg[end - 1] === ',') end--;
  return errmsg.slice(0, end).trim();
}

/** The Tencent Cloud error code WeChat passes through in errmsg, `TcbCode: [ResourceInUse]`, or ''. */
export function tcbCodeOf(errmsg: string): string {
  const at = errmsg.indexOf('TcbCode:');
  if (at < 0) return '';
  const open = errmsg.indexOf('[', at);
  const close = open < 0 ? -1 : errmsg.indexOf(']', open);
  const code = close < 0 || open - at > 'TcbCode: '.length + 8 ? '' : errmsg.slice(open + 1, close);
  return /^[\w.]{1,100}$/.test(code) ? code : '';
}

const BUSY = -1;

export function isBusy(errcode: number | undefined): boolean {
  return errcode === BUSY;
}

interface Known {
  meaning: string;
  remedy: (errmsg: string) => string;
}

const known = (meaning: string, remedy: string): Known => ({ meaning, remedy: () => remedy });

/**
 * Refusals that would stop every call of this run (SPEC §2): the token, the credential,
 * the quota, the IP whitelist, CloudBase not enabled. A lookup refused for one of them
 * fails the step at once; any other refusal of the lookup leaves the create to decide.
 */
const STOPS_EVERY_CALL = new Set([40001, 40014, 41001, 42001, 45009, 61004, 85088]);

export function stopsEveryCall(errcode: number): boolean {
  return STOPS_EVERY_CALL.has(errcode);
}

/** The documented errcodes (SPEC §1.5) and those of the token step. */
export const ERRCODES: Readonly<Record<number, Known>> = {
  [-1]: known('system error', 'WeChat was busy on every attempt: run the job again in a few minutes'),
  [-1000]: known(
    'system error',
    'an internal error on WeChat’s side: run the job again later; if it persists, give the rid to WeChat Open Platform support',
  ),
  40001: known(
    'invalid credential',
    'WeChat rejected the credential: check component_appsecret, and that the token belongs to this third-party platform',
  ),
  40014: known(
    'invalid access_token',
    'the token is not valid: pass a current component_access_token of this third-party platform (not an authorizer or Official Account token)',
  ),
  40097: known('invalid args', 'WeChat rejected a parameter: check env_id, service_name and the other inputs of this step'),
  40101: known(
    'missing parameter',
    'a required parameter is missing: the action sends every required field, so check that no gateway between the runner and WeChat rewrites the body',
  ),
  41001: known('access_token missing', 'no access_token reached WeChat: check that the access_token secret is set and not empty'),
  42001: known(
    'access_token expired',
    'refresh the component_access_token (it lives 7200 s), or give component_appid, component_appsecret and component_verify_ticket so the action obtains a fresh one',
  ),
  43002: known(
    'require POST method',
    'the call must be POST: check that api_base_url does not point at a gateway that rewrites the method',
  ),
  44002: known(
    'empty post data',
    'WeChat received an empty body: check that api_base_url does not point at a gateway that drops request bodies',
  ),
  45009: known(
    'reach max api daily quota limit',
    'the daily API quota is used up: wait for it to reset, or clear it with the clear_quota API',
  ),
  47001: known(
    'data format error',
    'WeChat could not read the body as JSON: check that no gateway between the runner and WeChat rewrites the request',
  ),
  48001: known(
    'api unauthorized',
    'the third-party platform has no permission for this call: check its permission sets in the WeChat Open Platform console',
  ),
  61004: {
    meaning: 'access clientip is not registered',
    remedy: (errmsg) =>
      `the runner's IP${ipIn(errmsg)} is not on the third-party platform's IP whitelist: add it in the WeChat Open Platform console; ` +
      'GitHub-hosted runners change IP from job to job, so run on a self-hosted runner or through a proxy with a fixed egress IP (HTTPS_PROXY)',
  },
  61005: known(
    'component ticket is expired',
    'the component_verify_ticket has expired (it is valid 12 hours): pass the latest ticket WeChat pushed to your platform',
  ),
  61006: known(
    'component ticket is invalid',
    'the component_verify_ticket is not valid: pass the latest ticket WeChat pushed to your platform, unaltered',
  ),
  85088: known(
    'no qbase privilege',
    'this app has not enabled CloudBase (cloud development): enable it for the environment, then run again',
  ),
};

/** The caller's IP as 61004's errmsg gives it: `… requestIP: 203.0.113.7 rid: …`. */
function ipIn(errmsg: string): string {
  const at = errmsg.lastIndexOf('requestIP:');
  let ip = '';
  if (at >= 0) {
    let from = at + 'requestIP:'.length;
    while (isSpace(errmsg[from])) from++;
    let end = from;
    while (end < errmsg.length && end - from < 45 && /[0-9a-fA-F.:]/.test(errmsg[end] ?? '')) end++;
    ip = errmsg.slice(from, end).replace(/[.:]+$/, '');
  }
  // Bounded repetitions only: linear in the length of errmsg.
  ip ||= /\b(\d{1,3}(?:\.\d{1,3}){3})\b/.exec(errmsg)?.[1] ?? '';
  return ip === '' ? '' : ` ${ip}`;
}

/**
 * SPEC §1.5: a refusal for a quota of the cloud underneath (`TcbCode: [LimitExceeded…]`, or
 * an errmsg that speaks of a quota or limit) means the environment is full.
 */
function isQuota(errmsg: string): boolean {
  return tcbCodeOf(errmsg).startsWith('LimitExceeded') || /\bquota\b|\blimit(?:ed|s)?\b|\bexceed/i.test(errmsg.slice(0, 2000));
}

const QUOTA_REMEDY =
  'the environment has reached a quota (CloudBase documents 15 services per environment): delete the services no longer needed, ' +
  'e.g. with the prune action (prefix: pr-) for the previews of closed pull requests, then run again';

// WeChat's errmsg is a line or two; a longer one is cut in the failure line (the errmsg output keeps it whole).
export const ERRMSG_CHARS = 300;

/** The one failure line for a non-zero errcode: call, errcode, WeChat's errmsg, remedy, rid. */
export function describeFailure(call: Call, outcome: Outcome, attempts = 1): string {
  const errmsg = cut(withoutRid(outcome.errmsg), ERRMSG_CHARS);
  const meaning = errmsg !== '' ? errmsg : (ERRCODES[outcome.errcode]?.meaning ?? 'no errmsg');
  const remedy = ERRCODES[outcome.errcode]?.remedy(outcome.errmsg) ?? (isQuota(outcome.errmsg) ? QUOTA_REMEDY : undefined);
  return (
    `${call.failed}: errcode ${outcome.errcode} (${meaning})` +
    (remedy !== undefined ? `: ${remedy}` : '') +
    (attempts > 1 ? ` [${attempts} attempts]` : '') +
    (outcome.rid !== '' ? ` rid: ${outcome.rid}` : '')
  );
}

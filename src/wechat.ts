import * as z from 'zod/mini';
import type { ServiceParams } from './inputs.ts';

/** One WeChat API call: its path under api_base_url, and how its failures read. */
export interface Call {
  path: string;
  /** How its failure line starts: it names the call, and for the token call says what that means. */
  failed: string;
  /** Repeating it after WeChat may have acted could do the work twice. */
  createsSomething: boolean;
}

export const CREATE_SERVICE: Call = {
  failed: 'createCloudbaseService failed',
  path: '/componenttcb/establishcloudbaserunserver',
  createsSomething: true,
};

export const COMPONENT_TOKEN: Call = {
  failed: 'api_component_token failed (the token step: no service was created)',
  path: '/cgi-bin/component/api_component_token',
  createsSomething: false,
};

/** The endpoint of a call, without any query: safe to print. */
export function endpoint(base: URL, call: Call): URL {
  const url = new URL(base.href);
  url.pathname = url.pathname.replace(/\/+$/, '') + call.path;
  return url;
}

export function withAccessToken(url: URL, token: string): URL {
  const withToken = new URL(url.href);
  withToken.searchParams.set('access_token', token);
  return withToken;
}

/** The body WeChat expects: only the fields the user gave, in the documented order. */
export function createServiceBody(service: ServiceParams): ServiceParams {
  const order = [
    'env_id',
    'service_name',
    'is_public',
    'image_repo',
    'remark',
    'es_info',
    'log_type',
    'vpc_info',
    'public_access',
  ] as const;
  const body: Record<string, unknown> = {};
  for (const key of order) if (service[key] !== undefined) body[key] = service[key];
  return body as ServiceParams;
}

/** WeChat's answer to createCloudbaseService: errcode (0 is success) and errmsg, perhaps with more beside. */
export const createAnswerSchema = z.looseObject({ errcode: z.number(), errmsg: z.optional(z.string()) });

/** The token call answers `{component_access_token, expires_in}`, or errcode and errmsg. */
export const tokenAnswerSchema = z.looseObject({
  errcode: z.optional(z.number()),
  errmsg: z.optional(z.string()),
  component_access_token: z.optional(z.string()),
});

export interface Outcome {
  errcode: number;
  errmsg: string;
  rid: string;
}

export function outcomeOf(answer: { errcode?: number | undefined; errmsg?: string | undefined }): Outcome {
  const errmsg = answer.errmsg ?? '';
  return { errcode: answer.errcode ?? 0, errmsg, rid: ridOf(errmsg) };
}

/** WeChat support asks for the request id that ends most errmsg texts: `… rid: 6489b1c2-3c1c4a9d-5e3f2b1a`. */
export function ridOf(errmsg: string): string {
  return /\brid:\s*([\w.-]+)/.exec(errmsg)?.[1] ?? '';
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

/** The documented errcodes of createCloudbaseService and the global ones its users meet. */
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
  40097: known(
    'invalid args',
    'WeChat rejected a parameter: check env_id, service_name and the es_info / vpc_info values',
  ),
  40101: known('missing parameter', 'a required parameter is missing: env_id, service_name and is_public are required'),
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
  45009: known('reach max api daily quota limit', 'the daily API quota is used up: wait for it to reset, or clear it with the clear_quota API'),
  47001: known(
    'data format error',
    'WeChat could not read the body as JSON: check that no gateway between the runner and WeChat rewrites the request',
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
  const ip =
    /\brequestIP:\s*([0-9a-fA-F.:]*[0-9a-fA-F])/.exec(errmsg)?.[1] ??
    /\b(\d{1,3}(?:\.\d{1,3}){3})\b/.exec(errmsg)?.[1];
  return ip === undefined ? '' : ` ${ip}`;
}

/** The one failure line for a non-zero errcode: call, errcode, WeChat's errmsg, remedy, rid. */
export function describeFailure(call: Call, outcome: Outcome, attempts = 1): string {
  const errmsg = outcome.errmsg.replace(/\s*,?\s*\brid:\s*[\w.-]+\s*$/, '').trim();
  const meaning = errmsg !== '' ? errmsg : (ERRCODES[outcome.errcode]?.meaning ?? 'no errmsg');
  const remedy = ERRCODES[outcome.errcode]?.remedy(outcome.errmsg);
  return (
    `${call.failed}: errcode ${outcome.errcode} (${meaning})` +
    (remedy !== undefined ? `: ${remedy}` : '') +
    (attempts > 1 ? ` [${attempts} attempts]` : '') +
    (outcome.rid !== '' ? ` rid: ${outcome.rid}` : '')
  );
}

/**
 * What the actions read from CloudBase: whether a service exists, and its versions. Both
 * lists are paged as SPEC §1.2 says; a refusal throws CallFailed with WeChat's answer.
 */
import { callWeChat, type Api } from './client.ts';
import { CallFailed, NotRetried } from './errors.ts';
import {
  describeFailure,
  LIST_SERVICES,
  LIST_VERSIONS,
  listServicesBody,
  listVersionsBody,
  type Call,
  type Outcome,
  type VersionItem,
  type WeChatAnswer,
} from './wechat.ts';

// 20 000 services or versions: far beyond any environment's quota, short of a server that pages forever.
const MAX_PAGES = 1000;

export interface Lookup {
  exists: boolean;
  /** The answer of the last page read. */
  outcome: Outcome;
}

/** Whether `serviceName` is listed in `envId`: page until found, an empty page, or `total` items. */
export async function findService(api: Api, envId: string, serviceName: string): Promise<Lookup> {
  const { names, outcome } = await readServices(api, envId, (name) => name === serviceName);
  return { exists: names.includes(serviceName), outcome };
}

/**
 * SPEC §2: deploy and release need the service. Absent, the step fails with a line that
 * starts with the action's name (`who`) and carries the lookup's answer as its outputs.
 */
export async function requireService(api: Api, envId: string, serviceName: string, who: string, remedy: string): Promise<void> {
  const lookup = await findService(api, envId, serviceName);
  if (!lookup.exists) {
    throw new CallFailed(`${who}: service "${serviceName}" does not exist in environment "${envId}": ${remedy}`, lookup.outcome);
  }
}

/**
 * Every service of `envId` by name, all pages read, and the answer of the last page (prune).
 * A name listed twice (the list shifted between two pages) counts once.
 */
export async function listServices(api: Api, envId: string): Promise<{ names: string[]; outcome: Outcome }> {
  const { names, outcome } = await readServices(api, envId);
  return { names: [...new Set(names)], outcome };
}

/** The services' names page by page, until one is `wanted`, a page comes back empty, or `total` are read. */
async function readServices(api: Api, envId: string, wanted: (name: string) => boolean = () => false) {
  const names: string[] = [];
  const outcome = await pageThrough(
    api,
    LIST_SERVICES,
    (offset) => listServicesBody(envId, offset),
    (answer) => {
      const page = (answer.cslist ?? []).map((service) => service.server_name);
      names.push(...page);
      return { items: page.length, total: answer.total, done: page.some(wanted) };
    },
  );
  return { names, outcome };
}

/** Every version of a service, as getcsversionlist lists them. */
export async function listVersions(api: Api, envId: string, serviceName: string): Promise<VersionItem[]> {
  return (await readVersions(api, envId, serviceName)).versions;
}

/**
 * Every version of a service, and the answer of the last page: the outputs of a step that
 * fails or ends on what this read showed (SPEC §2).
 */
export async function readVersions(api: Api, envId: string, serviceName: string): Promise<{ versions: VersionItem[]; outcome: Outcome }> {
  const versions: VersionItem[] = [];
  const outcome = await pageThrough(
    api,
    LIST_VERSIONS,
    (offset) => listVersionsBody(envId, serviceName, offset),
    (answer) => {
      const page = answer.items ?? [];
      versions.push(...page);
      return { items: page.length, total: answer.total, done: false };
    },
  );
  return { versions, outcome };
}

interface Page {
  items: number;
  total: number | string | undefined;
  done: boolean;
}

/** Reads pages from offset 0, advancing by the items each returned, until `read` is done, a page is empty, or `total` is reached. */
async function pageThrough<A extends WeChatAnswer>(
  api: Api,
  call: Call<A>,
  body: (offset: number) => unknown,
  read: (answer: A) => Page,
): Promise<Outcome> {
  let offset = 0;
  for (let pages = 1; ; pages++) {
    const { answer, outcome, attempts } = await callWeChat(api, call, body(offset));
    if (outcome.errcode !== 0) throw new CallFailed(describeFailure(call, outcome, attempts), outcome);
    const page = read(answer);
    offset += page.items;
    // A total that is not a number (absent, "", "n/a") says nothing: paging goes on until an empty page.
    const total = page.total === undefined || String(page.total).trim() === '' ? Number.NaN : Number(page.total);
    if (page.done || page.items === 0 || offset >= (Number.isFinite(total) ? total : Infinity)) return outcome;
    if (pages >= MAX_PAGES) {
      throw new NotRetried(
        `${call.failed}: still listing after ${pages} pages (${offset} items): the answers do not end, so the action stopped`,
      );
    }
  }
}

/** A version's share of the service's traffic now, as the list gives it (a number, or a number as text). */
export const shareOf = (version: VersionItem): number => Number(version.flow_ratio ?? 0) || 0;

/** A version the list says has no traffic: a share of 0 given, not one missing or unreadable (deploy's keep_versions). */
export const hasNoTraffic = (version: VersionItem): boolean =>
  version.flow_ratio !== undefined && String(version.flow_ratio).trim() !== '' && Number(version.flow_ratio) === 0;

/**
 * Newest first (SPEC §2 release): the later `created_time` (WeChat's `YYYY-MM-DD hh:mm:ss`
 * sorts as text), a tie broken by the greater name (WeChat numbers versions upward).
 */
export function newestFirst(a: VersionItem, b: VersionItem): number {
  return compare(b.created_time ?? '', a.created_time ?? '') || compare(b.version_name, a.version_name);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

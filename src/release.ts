import { showRequest, writeOnce, type Api } from './client.ts';
import { CallFailed } from './errors.ts';
import { RELEASE_INPUTS, type ReleaseInputs } from './inputs.ts';
import type { Log } from './log.ts';
import { answered, type Report } from './outputs.ts';
import { listVersions, newestFirst, readVersions, requireService, shareOf } from './services.ts';
import { perform, type Action } from './step.ts';
import { connect, showTokenRequest } from './token.ts';
import { cut } from './redact.ts';
import { waitUntil } from './wait.ts';
import {
  describeFailure,
  LIST_VERSIONS,
  listVersionsBody,
  RELEASE_VERSION,
  releaseVersionBody,
  SET_TRAFFIC,
  setTrafficBody,
  ERRMSG_CHARS,
  VERSION_RUNNING,
  withoutRid,
  type Outcome,
  type VersionItem,
} from './wechat.ts';

export const RELEASE: Action<ReleaseInputs['own']> = {
  name: 'create-cloudbase-service/release',
  short: 'release',
  title: 'CloudBase Run release',
  inputs: RELEASE_INPUTS,
  outputs: { version_name: '', previous_version: '', flow_ratio: '', changed: 'false', release_order_id: '' },
};

/**
 * One run: read inputs → get a token → (dry run?) → the service must be there → list its
 * versions → resolve `version` (a name, latest, previous) → it must run → already at the
 * share: nothing sent; else give it the share (a full release, or a canary split with the
 * version serving the most now), never twice → wait until the list shows it → outputs and
 * summary with every version's share before and after.
 */
export async function run(): Promise<void> {
  await perform(RELEASE, async (inputs, { log, report }) => {
    const { envId, serviceName, own } = inputs;
    log.info(
      `Releasing ${own.version} of CloudBase Run service "${serviceName}" in environment "${envId}" to ${own.flow_ratio} % of its traffic`,
    );
    if (inputs.dryRun) {
      showDryRun(inputs, log);
      report.result = 'dry run: validated, nothing sent';
      return;
    }

    const api = await connect(inputs, log, 'no traffic was changed');
    await requireService(api, envId, serviceName, RELEASE.short, 'run the create and deploy actions first');
    const listing = await readVersions(api, envId, serviceName);
    // A step that ends on what this read showed carries its answer (SPEC §2); a traffic call's replaces it.
    answered(report, listing.outcome);
    const before = listing.versions.sort(newestFirst);
    const traffic = new Traffic(report, before);
    const target = chosen(before, own.version, serviceName);
    report.outputs['version_name'] = target.version_name;
    report.outputs['flow_ratio'] = String(shareOf(target));
    const serving = mostTraffic(before, target.version_name);
    report.outputs['previous_version'] = serving?.version_name ?? '';
    if (target.status !== VERSION_RUNNING) {
      throw new CallFailed(
        `release: version "${target.version_name}" is ${target.status || 'of no status'}, not ${VERSION_RUNNING}: only a running version can get traffic; ` +
          `versions: ${listed(before)}`,
      );
    }
    if (shareOf(target) === own.flow_ratio) {
      traffic.after(before);
      report.result = `already at ${own.flow_ratio} %: nothing sent`;
      log.info(`Version "${target.version_name}" has ${own.flow_ratio} % of the traffic already: nothing to change.`);
      return;
    }

    const name = target.version_name;
    const change =
      own.flow_ratio === 100 ? fullRelease(envId, serviceName, name) : canary(envId, serviceName, name, own.flow_ratio, serving);
    log.info(change.says);
    report.pending = `changing traffic: the change for version "${name}" may still take effect`;
    const shows = async (a: Api) => {
      const versions = await listVersions(a, envId, serviceName);
      traffic.after(versions);
      return shareOf(versions.find((v) => v.version_name === name) ?? target) === own.flow_ratio;
    };
    answered(report, undefined);
    const written = await writeOnce(api, change.call, change.body, () => shows(api));
    const clock = api.now ?? Date.now;
    const started = clock();
    if (written.answered !== undefined) {
      const { answer, outcome, attempts } = written.answered;
      if (outcome.errcode !== 0) throw new CallFailed(describeFailure(change.call, outcome, attempts), outcome);
      answered(report, outcome);
      if ('result' in answer && answer.result === 'failed') throw new CallFailed(releaseRefused(name, outcome), outcome);
      report.outputs['release_order_id'] = 'release_order_id' in answer ? String(answer.release_order_id ?? '') : '';
    } else {
      log.info(`The answer was lost (${written.lost}), but the version list shows the change: this run made it.`);
    }
    report.outputs['changed'] = 'true';
    report.pending = `waiting: WeChat accepted the change for version "${name}", which may still take effect`;

    if (own.wait) {
      let last = '';
      const done = await waitUntil(api, started, own.wait_timeout_seconds, 'the version list', async (bounded) => {
        const reached = await shows(bounded);
        const now = `${report.outputs['flow_ratio'] || '?'} %`;
        if (now !== last) log.info(`Version "${name}": ${now} of the traffic (after ${Math.round((clock() - started) / 1000)} s)`);
        last = now;
        return reached;
      });
      if (!done) {
        throw new CallFailed(
          `release: WeChat accepted the change, but version "${name}" has ${report.outputs['flow_ratio'] || 'an unknown share'} % of the traffic ` +
            `${own.wait_timeout_seconds} s later, not ${own.flow_ratio} %: the list may still catch up: look at the service in the CloudBase console, ` +
            'or raise wait_timeout_seconds',
        );
      }
    } else {
      try {
        await shows(api);
      } catch (error) {
        log.warning(`Could not read the versions' traffic (${(error as Error).message}); WeChat accepted the change.`);
      }
    }
    report.pending = '';
    const previous = report.outputs['previous_version'];
    report.result = own.wait ? `released: ${own.flow_ratio} % of the traffic` : 'traffic change accepted (not waited for)';
    log.info(
      `Version "${name}" has ${own.flow_ratio} % of the traffic${own.wait ? '' : ' (once the list shows it)'}.` +
        (previous ? ` To roll back: release version "${previous}" (or version: previous) with flow_ratio 100.` : ''),
    );
  });
}

/** The version `choice` names (SPEC §2 release): a version name, `latest` or `previous`; `versions` newest first. */
function chosen(versions: VersionItem[], choice: string, serviceName: string): VersionItem {
  const running = versions.filter((v) => v.status === VERSION_RUNNING);
  let found: VersionItem | undefined;
  let why: string;
  if (choice === 'latest') {
    found = running[0];
    why = 'no version runs (normal)';
  } else if (choice === 'previous') {
    const serving = versions.filter((v) => shareOf(v) > 0);
    if (serving.length >= 2) {
      // A canary: the version it shares the traffic with.
      found = mostTraffic(serving, serving[0]?.version_name ?? '');
    } else if (serving.length === 1) {
      const current = serving[0] as VersionItem;
      found = running.find((v) => newestFirst(current, v) < 0);
    }
    why =
      serving.length === 0
        ? 'no version has traffic now, so there is nothing to roll back from: name the version to release'
        : 'no version that runs (normal) was created before the one serving now: name the version to release';
  } else {
    found = versions.find((v) => v.version_name === choice);
    why = `there is no version "${choice}"`;
  }
  if (found !== undefined) return found;
  throw new CallFailed(`release: no version of service "${serviceName}" fits version: ${choice} (${why}); versions: ${listed(versions)}`);
}

/** The version other than `except` with the most traffic now (the newer on a tie); undefined when none has any. */
function mostTraffic(versions: VersionItem[], except: string): VersionItem | undefined {
  return versions
    .filter((v) => v.version_name !== except && shareOf(v) > 0)
    .sort((a, b) => shareOf(b) - shareOf(a) || newestFirst(a, b))[0];
}

/** Each version with its status and share, newest first, for a failure line. */
function listed(versions: VersionItem[]): string {
  if (versions.length === 0) return 'none';
  return versions.map((v) => `${v.version_name} (${v.status ?? 'no status'}, ${shareOf(v)} %)`).join(', ');
}

interface Change {
  call: typeof RELEASE_VERSION | typeof SET_TRAFFIC;
  body: unknown;
  says: string;
}

function fullRelease(envId: string, serviceName: string, name: string): Change {
  return {
    call: RELEASE_VERSION,
    body: releaseVersionBody(envId, serviceName, name),
    says: `Releasing version "${name}" to all of the traffic.`,
  };
}

/** A canary needs a version that keeps the rest (SPEC §2 release). */
function canary(envId: string, serviceName: string, name: string, share: number, keeper: VersionItem | undefined): Change {
  if (keeper === undefined) {
    throw new CallFailed(
      `release: a canary needs a version that keeps the rest of the traffic, and no other version of service "${serviceName}" has any now: ` +
        `release version "${name}" with flow_ratio 100 instead`,
    );
  }
  return {
    call: SET_TRAFFIC,
    body: setTrafficBody(envId, serviceName, name, share, keeper.version_name),
    says: `Giving version "${name}" ${share} % of the traffic and "${keeper.version_name}" the other ${100 - share} %.`,
  };
}

function releaseRefused(name: string, outcome: Outcome): string {
  return (
    `${RELEASE_VERSION.failed}: WeChat answered result "failed"${outcome.errmsg !== '' ? ` (${cut(withoutRid(outcome.errmsg), ERRMSG_CHARS)})` : ''}: ` +
    `version "${name}" was not released: check in the CloudBase console that it runs, then run again` +
    (outcome.rid !== '' ? ` rid: ${outcome.rid}` : '')
  );
}

/** Every version's share before and after, for the summary; the released version's share at the last read as the flow_ratio output. */
class Traffic {
  private readonly report: Report;
  private readonly before: Map<string, number>;

  constructor(report: Report, before: VersionItem[]) {
    this.report = report;
    this.before = new Map(before.map((v) => [v.version_name, shareOf(v)]));
    for (const [name, share] of this.before) report.details.set(`Share of ${name}`, `${share} %`);
  }

  after(versions: VersionItem[]): void {
    const now = new Map(versions.map((v) => [v.version_name, shareOf(v)]));
    const released = this.report.outputs['version_name'] ?? '';
    if (now.has(released)) this.report.outputs['flow_ratio'] = String(now.get(released));
    for (const name of new Set([...this.before.keys(), ...now.keys()])) {
      const was = this.before.get(name);
      const is = now.get(name);
      this.report.details.set(`Share of ${name}`, `${was ?? '–'} % → ${is ?? 'not listed'}${is === undefined ? '' : ' %'}`);
    }
  }
}

/** Shows the requests it may send: the list, then the traffic call it decides on (SPEC §2 dry run). */
function showDryRun(inputs: ReleaseInputs, log: Log): void {
  const { apiBaseUrl, envId, serviceName, own } = inputs;
  log.info('Dry run: the inputs are valid; nothing is sent to WeChat.');
  showTokenRequest(inputs, log);
  showRequest(log, apiBaseUrl, LIST_VERSIONS, listVersionsBody(envId, serviceName, 0));
  const name = own.version === 'latest' || own.version === 'previous' ? `<the ${own.version} version>` : own.version;
  log.info(`then, unless version ${own.version} has ${own.flow_ratio} % already:`);
  if (own.flow_ratio === 100) showRequest(log, apiBaseUrl, RELEASE_VERSION, releaseVersionBody(envId, serviceName, name));
  else
    showRequest(
      log,
      apiBaseUrl,
      SET_TRAFFIC,
      setTrafficBody(envId, serviceName, name, own.flow_ratio, '<the version with the most traffic now>'),
    );
}

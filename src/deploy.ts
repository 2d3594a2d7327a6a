import { showRequest, writeOnce, type Api } from './client.ts';
import { CallFailed } from './errors.ts';
import { DEPLOY_INPUTS, type DeployInputs } from './inputs.ts';
import type { Log } from './log.ts';
import { answered, showHowToReach, type Report } from './outputs.ts';
import { hasNoTraffic, listVersions, newestFirst, readVersions, requireService } from './services.ts';
import { perform, type Action } from './step.ts';
import { deleteOnce, versionGone } from './teardown.ts';
import { connect, showTokenRequest } from './token.ts';
import { waitUntil } from './wait.ts';
import {
  CREATE_VERSION,
  createVersionBody,
  DELETE_VERSION,
  deleteVersionBody,
  describeFailure,
  hasFailed,
  howToReach,
  VERSION_FAILURES,
  VERSION_RUNNING,
  type Outcome,
  type VersionItem,
} from './wechat.ts';

export const DEPLOY: Action<DeployInputs['own']> = {
  name: 'create-cloudbase-service/deploy',
  short: 'deploy',
  title: 'CloudBase Run deployment',
  inputs: DEPLOY_INPUTS,
  outputs: { version_name: '', status: '', run_id: '', pruned: '' },
};

/**
 * One run: read inputs → get a token → (dry run?) → the service must be there → create a
 * version of the image, never twice → wait until it runs, fails, or the deadline → prune
 * old versions → outputs and summary.
 */
export async function run(): Promise<void> {
  await perform(DEPLOY, async (inputs, { log, report }) => {
    const { envId, serviceName, own } = inputs;
    report.details.set('Image', own.image_url);
    log.info(`Deploying ${own.image_url} to CloudBase Run service "${serviceName}" in environment "${envId}"`);
    if (inputs.dryRun) {
      showDryRun(inputs, log);
      report.result = 'dry run: validated, nothing sent';
      return;
    }

    const api = await connect(inputs, log, 'nothing was deployed');
    await requireService(api, envId, serviceName, DEPLOY.short, 'run the create action first');
    const listed = new Set((await listVersions(api, envId, serviceName)).map((version) => version.version_name));
    const version = new Version(inputs, listed);

    report.pending = `creating a version of service "${serviceName}": it may still be created`;
    const written = await writeOnce(api, CREATE_VERSION, createVersionBody(envId, serviceName, own), () => version.appeared(api));
    const clock = api.now ?? Date.now;
    const started = clock();
    if (written.answered !== undefined) {
      const { answer, outcome, attempts } = written.answered;
      if (outcome.errcode !== 0) throw new CallFailed(describeFailure(CREATE_VERSION, outcome, attempts), outcome);
      answered(report, outcome);
      version.name ||= answer.version_name ?? '';
      report.outputs['run_id'] = answer.run_id ?? '';
    } else {
      log.info(`The answer was lost (${written.lost}), but a new version is listed now: this run created it.`);
    }
    report.outputs['version_name'] = version.name;
    log.info(
      `Created version ${version.name !== '' ? `"${version.name}"` : '(its name is not known yet)'}${report.outputs['rid'] ? ` (rid: ${report.outputs['rid']})` : ''}.`,
    );
    // The version and its last status seen are outputs however the wait ends, a cancellation too.
    const track = () => {
      settle(report, version, Math.round((clock() - started) / 1000));
      report.pending = `waiting: version ${version.shown()} was created and may still come up`;
    };
    track();
    try {
      if (own.wait) {
        await waitUntil(api, started, own.wait_timeout_seconds, "the version's status", (bounded) =>
          version.poll(bounded, started).finally(track),
        );
      } else await readOnce(api, version);
    } finally {
      track();
    }
    // Decided on what the last read showed: its answer becomes the outputs (SPEC §2).
    const failure = hasFailed(version.last) ? VERSION_FAILURES[version.last] : undefined;
    if (failure !== undefined) throw new CallFailed(`deploy: version "${version.name}" ${failure}`, version.outcome);
    if (own.wait && version.gone) {
      throw new CallFailed(
        `deploy: version "${version.name}" is no longer listed (last status: ${version.last}): it was deleted while it came up, ` +
          'perhaps by a delete or prune run at the same time; deploy again',
        version.outcome,
      );
    }
    if (own.wait && version.last !== VERSION_RUNNING) {
      const seen = version.last === '' ? 'not listed yet' : version.missed ? `${version.last}; it is no longer listed` : version.last;
      throw new CallFailed(
        `deploy: version ${version.shown()} is not running ${own.wait_timeout_seconds} s after it was created ` +
          `(last status: ${seen}); it may still come up: look at it in the CloudBase console, or raise wait_timeout_seconds`,
        version.outcome,
      );
    }
    report.pending = '';
    if (own.flow_ratio === 0) {
      log.info(
        `Version ${version.shown()} has no traffic (flow_ratio 0): give it a share or all of it with the release action ` +
          `(version: ${version.name || 'latest'}, flow_ratio: 10 for a canary or 100).`,
      );
      report.details.set('Traffic', 'none yet (flow_ratio 0): give it traffic with the release action');
    }
    if (own.wait && own.keep_versions > 0) await pruneVersions(api, inputs, version.name, report);
    showHowToReach(report, log, howToReach(envId, serviceName));
    report.result = own.wait ? 'deployed: the version runs' : 'version created (not waited for)';
  });
}

/** With wait: false, one read right after the create, best effort: the version was created whatever it says (SPEC §2). */
async function readOnce(api: Api, version: Version): Promise<void> {
  try {
    await version.read(api);
  } catch (error) {
    api.log.warning(
      `Could not read the new version's status (${(error as Error).message}); the version was created: look at it in the CloudBase console.`,
    );
  }
}

/** Reads in a row that must miss a version once listed before it counts as gone: one may miss it while the list shifts. */
const MISSES_FOR_GONE = 2;

/** The version this run created, found by the name WeChat gave it or as the one that was not listed before. */
class Version {
  name = '';
  /** The last status read; kept when a later read no longer lists it; '' until it is listed. */
  last = '';
  /** Listed once, then missing from MISSES_FOR_GONE reads in a row. */
  gone = false;
  private misses = 0;
  private readonly inputs: DeployInputs;
  private readonly before: ReadonlySet<string>;

  constructor(inputs: DeployInputs, before: ReadonlySet<string>) {
    this.inputs = inputs;
    this.before = before;
  }

  shown(): string {
    return this.name !== '' ? `"${this.name}"` : '(not listed yet)';
  }

  /** After a lost answer: is a version listed that was not before? */
  async appeared(api: Api): Promise<boolean> {
    return (await this.find(api)) !== undefined;
  }

  /** Reads its status. */
  async read(api: Api): Promise<void> {
    const found = await this.find(api);
    if (found !== undefined) {
      this.last = found.status ?? '';
      this.misses = 0;
    } else if (this.last !== '') {
      this.misses += 1;
      this.gone = this.misses >= MISSES_FOR_GONE;
    }
  }

  /** One poll of the wait: each status change is logged once, with the time since the create answer. Done when it runs, failed or went. */
  async poll(api: Api, started: number): Promise<boolean> {
    await this.read(api);
    const status = this.shownStatus();
    if (status !== this.announced) {
      const elapsed = Math.round(((api.now ?? Date.now)() - started) / 1000);
      api.log.info(`Version ${this.shown()}: ${status} (after ${elapsed} s)`);
      this.announced = status;
    }
    return this.last === VERSION_RUNNING || hasFailed(this.last) || this.gone;
  }

  private announced: string | undefined;

  private shownStatus(): string {
    if (this.misses > 0) return `no longer listed (last status: ${this.last})`;
    return this.last || 'not listed yet';
  }

  /** The answer of the last read of the list; undefined until one was read. */
  outcome: Outcome | undefined;

  /** Listed once, and missing from the last read. */
  get missed(): boolean {
    return this.misses > 0;
  }

  private async find(api: Api): Promise<VersionItem | undefined> {
    const { versions, outcome } = await readVersions(api, this.inputs.envId, this.inputs.serviceName);
    this.outcome = outcome;
    if (this.name !== '') return versions.find((version) => version.version_name === this.name);
    const fresh = versions.filter((version) => !this.before.has(version.version_name));
    if (fresh.length > 1) {
      api.log.warning(
        `More than one new version is listed (${fresh.map((v) => v.version_name).join(', ')}): following the first; another deploy ran at the same time.`,
      );
    }
    this.name = fresh[0]?.version_name ?? '';
    return fresh[0];
  }
}

/**
 * keep_versions (SPEC §2): the versions beyond the newest `keep` (the new one counts) that
 * have no traffic and are not in progress are deleted, oldest first, each never twice; the
 * new one never, and never with is_delete_server. Whatever fails is one warning at the end.
 */
async function pruneVersions(api: Api, inputs: DeployInputs, created: string, report: Report): Promise<void> {
  const { envId, serviceName, own } = inputs;
  const { log } = api;
  let versions: VersionItem[];
  try {
    versions = (await listVersions(api, envId, serviceName)).sort(newestFirst);
  } catch (error) {
    log.warning(`Could not list the versions to prune (${(error as Error).message}): nothing was pruned; the deploy itself succeeded.`);
    return;
  }
  const candidates = versions
    .slice(own.keep_versions)
    .filter((v) => v.version_name !== created && hasNoTraffic(v) && (v.status === VERSION_RUNNING || hasFailed(v.status ?? '')))
    .reverse();
  if (candidates.length === 0) return;
  log.info(
    `Pruning ${candidates.length} old version${candidates.length > 1 ? 's' : ''} without traffic (keep_versions: ${own.keep_versions}).`,
  );
  report.pending = `pruning old versions of service "${serviceName}": some may be deleted, the new one is not touched`;
  const pruned: string[] = [];
  const left: string[] = [];
  for (const { version_name: name } of candidates) {
    try {
      await deleteOnce(api, DELETE_VERSION, deleteVersionBody(envId, serviceName, name, false), versionGone(api, envId, serviceName, name));
      pruned.push(name);
      log.info(`Pruned version "${name}".`);
    } catch (error) {
      left.push(`${name} (${(error as Error).message})`);
    }
    // What was pruned so far is an output, a cancellation too.
    report.outputs['pruned'] = pruned.join(',');
    report.details.set('Pruned', pruned.join(', ') || 'none');
  }
  report.pending = '';
  if (left.length > 0)
    log.warning(
      `Could not prune ${left.length} old version${left.length > 1 ? 's' : ''}: ${left.join('; ')}. The deploy itself succeeded.`,
    );
}

function settle(report: Report, version: Version, seconds: number): void {
  report.outputs['version_name'] = version.name;
  report.outputs['status'] = version.last;
  report.details.set('Version', version.name);
  report.details.set('Status', version.gone ? `${version.last} (no longer listed)` : version.last);
  report.details.set('Took', `${seconds} s`);
}

/** Shows exactly what would be sent, with every secret replaced by ***. */
function showDryRun(inputs: DeployInputs, log: Log): void {
  const { apiBaseUrl, envId, serviceName, own } = inputs;
  log.info('Dry run: the inputs are valid; nothing is sent to WeChat.');
  showTokenRequest(inputs, log);
  showRequest(log, apiBaseUrl, CREATE_VERSION, createVersionBody(envId, serviceName, own));
}

import { showRequest, sleepFor, writeOnce, type Api } from './client.ts';
import { CallFailed } from './errors.ts';
import { DEPLOY_INPUTS, type DeployInputs } from './inputs.ts';
import type { Log } from './log.ts';
import { answered, type Report } from './outputs.ts';
import { findService, listVersions } from './services.ts';
import { perform, type Action } from './step.ts';
import { connect, showTokenRequest } from './token.ts';
import { CREATE_VERSION, createVersionBody, describeFailure, VERSION_FAILED, VERSION_RUNNING, type VersionItem } from './wechat.ts';

export const DEPLOY: Action<DeployInputs['own']> = {
  name: 'create-cloudbase-service/deploy',
  title: 'CloudBase Run deployment',
  inputs: DEPLOY_INPUTS,
  outputs: { version_name: '', status: '', run_id: '' },
};

/**
 * One run: read inputs → get a token → (dry run?) → the service must be there → create a
 * version of the image, never twice → wait until it runs, fails, or the deadline → outputs
 * and summary.
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
    if (!(await findService(api, envId, serviceName)).exists) {
      throw new CallFailed(
        `${CREATE_VERSION.failed}: service "${serviceName}" does not exist in environment "${envId}": run the create action first`,
      );
    }
    const listed = new Set((await listVersions(api, envId, serviceName)).map((version) => version.version_name));
    const version = new Version(api, inputs, listed);

    const written = await writeOnce(api, CREATE_VERSION, createVersionBody(envId, serviceName, own), () => version.appeared());
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
    log.info(
      `Created version ${version.name !== '' ? `"${version.name}"` : '(its name is not known yet)'}${report.outputs['rid'] ? ` (rid: ${report.outputs['rid']})` : ''}.`,
    );

    let status: string;
    try {
      status = own.wait ? await waitUntilDone(api, version, started, own.wait_timeout_seconds) : await version.status();
    } finally {
      // The version and its last status seen are outputs however the wait ended.
      settle(report, version.name, version.last, Math.round((clock() - started) / 1000));
    }
    if (status === VERSION_FAILED) {
      throw new CallFailed(
        `${CREATE_VERSION.failed}: version "${version.name}" failed to build (${VERSION_FAILED}): ` +
          'look at its build log in the CloudBase console (service → versions), fix the image or its settings, then deploy again',
      );
    }
    if (own.wait && status !== VERSION_RUNNING) {
      throw new CallFailed(
        `${CREATE_VERSION.failed}: version "${version.name || '(not listed yet)'}" is not running ${own.wait_timeout_seconds} s after it was created ` +
          `(last status: ${status || 'not listed yet'}); it may still come up: look at it in the CloudBase console, or raise wait_timeout_seconds`,
      );
    }
    report.result = own.wait ? 'deployed: the version runs' : 'version created (not waited for)';
  });
}

/** The version this run created, found by the name WeChat gave it or as the one that was not listed before. */
class Version {
  name = '';
  /** The last status read; '' until the version is listed. */
  last = '';
  private readonly api: Api;
  private readonly inputs: DeployInputs;
  private readonly before: ReadonlySet<string>;

  constructor(api: Api, inputs: DeployInputs, before: ReadonlySet<string>) {
    this.api = api;
    this.inputs = inputs;
    this.before = before;
  }

  /** After a lost answer: is a version listed that was not before? */
  async appeared(): Promise<boolean> {
    return (await this.find()) !== undefined;
  }

  /** Its status now; '' while it is not listed. */
  async status(): Promise<string> {
    this.last = (await this.find())?.status ?? '';
    return this.last;
  }

  private async find(): Promise<VersionItem | undefined> {
    const versions = await listVersions(this.api, this.inputs.envId, this.inputs.serviceName);
    if (this.name !== '') return versions.find((version) => version.version_name === this.name);
    const fresh = versions.filter((version) => !this.before.has(version.version_name));
    if (fresh.length > 1) {
      this.api.log.warning(
        `More than one new version is listed (${fresh.map((v) => v.version_name).join(', ')}): following the first; another deploy ran at the same time.`,
      );
    }
    this.name = fresh[0]?.version_name ?? '';
    return fresh[0];
  }
}

const FIRST_INTERVAL_MS = 5000;
const INTERVAL_FACTOR = 1.5;
const MAX_INTERVAL_MS = 15_000;

/**
 * SPEC §2: reads right after the create answer, then after 5 s, × 1.5 each time up to
 * 15 s, the last wait cut at the deadline. Each status change is logged once, with the
 * time since the create answer; a read that gets no answer is a warning, not the end.
 */
async function waitUntilDone(api: Api, version: Version, started: number, timeoutSeconds: number): Promise<string> {
  const { log } = api;
  const clock = api.now ?? Date.now;
  const sleep = api.sleep ?? sleepFor;
  const deadline = started + timeoutSeconds * 1000;
  let interval = FIRST_INTERVAL_MS;
  let last: string | undefined;
  for (;;) {
    let status = last ?? '';
    try {
      status = await version.status();
    } catch (error) {
      if (error instanceof CallFailed && error.outcome !== undefined) throw error;
      log.warning(`Could not read the version's status (${(error as Error).message}); reading again.`);
    }
    const elapsed = Math.round((clock() - started) / 1000);
    if (status !== last)
      log.info(
        `Version ${version.name !== '' ? `"${version.name}"` : '(not listed yet)'}: ${status || 'not listed yet'} (after ${elapsed} s)`,
      );
    last = status;
    if (status === VERSION_RUNNING || status === VERSION_FAILED) return status;
    const left = deadline - clock();
    if (left <= 0) return status;
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * INTERVAL_FACTOR, MAX_INTERVAL_MS);
  }
}

function settle(report: Report, versionName: string, status: string, seconds: number): void {
  report.outputs['version_name'] = versionName;
  report.outputs['status'] = status;
  report.details.set('Version', versionName);
  report.details.set('Status', status);
  report.details.set('Took', `${seconds} s`);
}

/** Shows exactly what would be sent, with every secret replaced by ***. */
function showDryRun(inputs: DeployInputs, log: Log): void {
  const { apiBaseUrl, envId, serviceName, own } = inputs;
  log.info('Dry run: the inputs are valid; nothing is sent to WeChat.');
  showTokenRequest(inputs, log);
  showRequest(log, apiBaseUrl, CREATE_VERSION, createVersionBody(envId, serviceName, own));
}

import { showRequest, writeOnce, type Api, type ReadBack } from './client.ts';
import { CallFailed } from './errors.ts';
import { DELETE_INPUTS, type DeleteInputs } from './inputs.ts';
import type { Log } from './log.ts';
import { answered } from './outputs.ts';
import { findService, listVersions } from './services.ts';
import { perform, type Action } from './step.ts';
import { connect, showTokenRequest } from './token.ts';
import {
  DELETE_SERVICE,
  DELETE_VERSION,
  deleteServiceBody,
  deleteVersionBody,
  describeFailure,
  LIST_SERVICES,
  LIST_VERSIONS,
  listServicesBody,
  listVersionsBody,
  type Call,
  type Outcome,
  type WeChatAnswer,
} from './wechat.ts';

export const DELETE: Action<DeleteInputs['own']> = {
  name: 'create-cloudbase-service/delete',
  title: 'CloudBase Run service deleted',
  inputs: DELETE_INPUTS,
  outputs: { deleted: 'false', existed: 'false' },
};

/**
 * One run: read inputs → get a token → (dry run?) → look the service up → absent: as
 * if_missing says; there: delete its versions, the last one with the service, or the
 * service itself when it has none → outputs and summary.
 */
export async function run(): Promise<void> {
  await perform(DELETE, async (inputs, { log, report }) => {
    const { envId, serviceName } = inputs;
    log.info(`Deleting CloudBase Run service "${serviceName}" in environment "${envId}"`);
    if (inputs.dryRun) {
      showDryRun(inputs, log);
      report.result = 'dry run: validated, nothing sent';
      return;
    }

    const api = await connect(inputs, log, 'nothing was deleted');
    const lookup = await findService(api, envId, serviceName);
    if (!lookup.exists) {
      report.details.set('Existed before', 'false');
      if (inputs.own.if_missing === 'fail') {
        throw new CallFailed(
          `${DELETE_SERVICE.failed}: service "${serviceName}" does not exist in environment "${envId}" and if_missing is fail: ` +
            'check service_name and env_id, or set if_missing: skip',
        );
      }
      answered(report, lookup.outcome);
      report.result = 'already gone: nothing deleted (if_missing: skip)';
      log.info(`Service "${serviceName}" is not in environment "${envId}": nothing to delete (if_missing: skip).`);
      return;
    }
    report.outputs['existed'] = 'true';
    report.details.set('Existed before', 'true');

    // No traffic first, so that what still serves goes last, and with it the service.
    const versions = (await listVersions(api, envId, serviceName)).sort((a, b) => Number(a.flow_ratio ?? 0) - Number(b.flow_ratio ?? 0));
    const gone = serviceGone(api, inputs);
    let last: Outcome | undefined;
    if (versions.length === 0) {
      log.info(`Service "${serviceName}" has no versions: deleting the service.`);
      last = await deleteOnce(api, DELETE_SERVICE, deleteServiceBody(envId, serviceName), gone);
    }
    for (const [index, { version_name: version }] of versions.entries()) {
      const withService = index === versions.length - 1;
      log.info(`Deleting version "${version}" (${index + 1} of ${versions.length})${withService ? ', and with it the service' : ''}.`);
      const versionGone: ReadBack = async () =>
        (await gone()) || !(await listVersions(api, envId, serviceName)).some((v) => v.version_name === version);
      last = await deleteOnce(api, DELETE_VERSION, deleteVersionBody(envId, serviceName, version, withService), versionGone);
    }
    if (last !== undefined) answered(report, last);
    if (versions.length > 0) report.details.set('Versions deleted', versions.map((v) => v.version_name).join(', '));
    report.outputs['deleted'] = 'true';
    report.result = 'deleted';
    log.info(`Deleted service "${serviceName}"${last !== undefined && last.rid !== '' ? ` (rid: ${last.rid})` : ''}.`);
  });
}

const serviceGone =
  (api: Api, inputs: DeleteInputs): ReadBack =>
  async () =>
    !(await findService(api, inputs.envId, inputs.serviceName)).exists;

/** One delete, never repeated after it may have landed; its answer, or undefined when it was lost and a read showed it done. */
async function deleteOnce<A extends WeChatAnswer>(api: Api, call: Call<A>, body: unknown, done: ReadBack): Promise<Outcome | undefined> {
  const written = await writeOnce(api, call, body, done);
  if (written.answered === undefined) {
    api.log.info(`The answer was lost (${written.lost}), but a read shows it was deleted.`);
    return undefined;
  }
  const { outcome, attempts } = written.answered;
  if (outcome.errcode !== 0) throw new CallFailed(describeFailure(call, outcome, attempts), outcome);
  return outcome;
}

/** Shows what would be sent: the reads, then the deletes their answers decide between. */
function showDryRun(inputs: DeleteInputs, log: Log): void {
  const { apiBaseUrl, envId, serviceName } = inputs;
  log.info('Dry run: the inputs are valid; nothing is sent to WeChat.');
  showTokenRequest(inputs, log);
  showRequest(log, apiBaseUrl, LIST_SERVICES, listServicesBody(envId, 0));
  log.info('and, when the service is listed:');
  showRequest(log, apiBaseUrl, LIST_VERSIONS, listVersionsBody(envId, serviceName, 0));
  log.info('then, when it has no versions:');
  showRequest(log, apiBaseUrl, DELETE_SERVICE, deleteServiceBody(envId, serviceName));
  log.info('or, for each version, no traffic first (is_delete_server only on the last):');
  showRequest(log, apiBaseUrl, DELETE_VERSION, deleteVersionBody(envId, serviceName, '<version_name>', true));
}

import { showRequest } from './client.ts';
import { CallFailed } from './errors.ts';
import { DELETE_INPUTS, type DeleteInputs } from './inputs.ts';
import type { Log } from './log.ts';
import { answered } from './outputs.ts';
import { findService } from './services.ts';
import { perform, type Action } from './step.ts';
import { tearDown } from './teardown.ts';
import { connect, showTokenRequest } from './token.ts';
import {
  DELETE_SERVICE,
  DELETE_VERSION,
  deleteServiceBody,
  deleteVersionBody,
  LIST_SERVICES,
  LIST_VERSIONS,
  listServicesBody,
  listVersionsBody,
} from './wechat.ts';

export const DELETE: Action<DeleteInputs['own']> = {
  name: 'create-cloudbase-service/delete',
  short: 'delete',
  title: 'CloudBase Run service deleted',
  inputs: DELETE_INPUTS,
  outputs: { deleted: 'false', existed: 'false' },
};

/**
 * One run: read inputs → get a token → (dry run?) → look the service up → absent: as
 * if_missing says; there: delete its versions, the last one with the service, or the
 * service itself when it has none, until a lookup shows it gone → outputs and summary.
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
      answered(report, lookup.outcome);
      if (inputs.own.if_missing === 'fail') {
        throw new CallFailed(
          `delete: service "${serviceName}" does not exist in environment "${envId}" and if_missing is fail: ` +
            'check service_name and env_id, or set if_missing: skip',
        );
      }
      report.result = 'already gone: nothing deleted (if_missing: skip)';
      log.info(`Service "${serviceName}" is not in environment "${envId}": nothing to delete (if_missing: skip).`);
      return;
    }
    report.outputs['existed'] = 'true';
    report.details.set('Existed before', 'true');
    report.pending = `deleting service "${serviceName}": some of its versions may be deleted and the service may remain; run the delete again`;

    const { outcome, versions } = await tearDown(api, envId, serviceName, DELETE.short);
    report.pending = '';
    if (outcome !== undefined) answered(report, outcome);
    if (versions.length > 0) report.details.set('Versions deleted', versions.join(', '));
    report.outputs['deleted'] = 'true';
    report.result = 'deleted';
    log.info(`Deleted service "${serviceName}"${outcome !== undefined && outcome.rid !== '' ? ` (rid: ${outcome.rid})` : ''}.`);
  });
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

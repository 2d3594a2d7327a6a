import { showRequest, writeOnce, type Api, type ReadBack } from './client.ts';
import { CallFailed } from './errors.ts';
import { CREATE_INPUTS, type CreateInputs } from './inputs.ts';
import type { Log } from './log.ts';
import { answered, showHowToReach } from './outputs.ts';
import { findService } from './services.ts';
import { perform, type Action, type Step } from './step.ts';
import { connect, showTokenRequest } from './token.ts';
import {
  CREATE_SERVICE,
  createServiceBody,
  describeFailure,
  ERRCODES,
  howToReach,
  isBusy,
  LIST_SERVICES,
  listServicesBody,
  stopsEveryCall,
  tcbCodeOf,
  type Outcome,
} from './wechat.ts';

export const CREATE: Action<CreateInputs['own']> = {
  name: 'create-cloudbase-service',
  short: 'create',
  title: 'CloudBase Run service',
  inputs: CREATE_INPUTS,
  outputs: { created: 'false', existed: 'false' },
};

/**
 * One run: read inputs → get a token → (dry run?) → look the service up → there: as
 * if_exists says; absent: create it, resolving a lost answer by looking again → outputs
 * and summary.
 */
export async function run(): Promise<void> {
  await perform(CREATE, async (inputs, step) => {
    const { envId, serviceName, own } = inputs;
    const { log, report } = step;
    report.details.set('Public access', String(own.is_public));
    log.info(`CloudBase Run service "${serviceName}" in environment "${envId}" (public access: ${own.is_public})`);
    if (inputs.dryRun) {
      showDryRun(inputs, log);
      report.result = 'dry run: validated, nothing sent';
      return;
    }

    const api = await connect(inputs, log, 'no service was created');
    const before = await lookUp(api, inputs);
    if (before.exists) return alreadyThere(inputs, before.outcome, step);
    report.outputs['existed'] = 'false';
    log.info(
      `Service "${serviceName}" is not in environment "${envId}"${before.canLook ? '' : ' as far as the action can tell'}: creating it.`,
    );

    const found: ReadBack = async () => (await findService(api, envId, serviceName)).exists;
    const cannotLook: ReadBack = () => Promise.reject(new Error(`${LIST_SERVICES.name} is not available to this platform`));
    report.pending = `creating service "${serviceName}": the create may land; the next run looks it up first`;
    const written = await writeOnce(api, CREATE_SERVICE, createServiceBody(envId, serviceName, own), before.canLook ? found : cannotLook);
    if (written.answered === undefined) {
      log.info(`The answer was lost (${written.lost}), but service "${serviceName}" is there now: this run created it.`);
    } else {
      const { outcome, attempts } = written.answered;
      if (outcome.errcode !== 0) {
        const clash = await nameClash(api, inputs, outcome, before.canLook);
        if (clash !== undefined) return alreadyThere(inputs, clash, step);
        throw new CallFailed(describeFailure(CREATE_SERVICE, outcome, attempts), outcome);
      }
      answered(report, outcome);
      log.info(`Created service "${serviceName}"${outcome.rid !== '' ? ` (rid: ${outcome.rid})` : ''}.`);
    }
    report.pending = '';
    report.outputs['created'] = 'true';
    report.details.set('Existed before', 'false');
    showHowToReach(report, log, howToReach(envId, serviceName));
    report.result = 'created';
  });
}

type Before = { exists: true; outcome: Outcome } | { exists: false; canLook: boolean };

/**
 * SPEC §2: a lookup refused for a reason that would stop the create too fails the step;
 * any other refusal (the call may not be available to this platform) is one warning.
 */
async function lookUp(api: Api, inputs: CreateInputs): Promise<Before> {
  try {
    const { exists, outcome } = await findService(api, inputs.envId, inputs.serviceName);
    return exists ? { exists, outcome } : { exists, canLook: true };
  } catch (error) {
    const errcode = error instanceof CallFailed ? error.outcome?.errcode : undefined;
    if (errcode === undefined || stopsEveryCall(errcode) || isBusy(errcode)) throw error;
    api.log.warning(
      `${(error as Error).message}. The action cannot tell whether service "${inputs.serviceName}" exists, ` +
        'so it creates it; if the answer to the create is lost, it cannot look either',
    );
    return { exists: false, canLook: false };
  }
}

/**
 * A create refused with an errcode WeChat does not document may be a name clash (a
 * concurrent run, say): look again, and when the service is there, it already exists.
 */
async function nameClash(api: Api, inputs: CreateInputs, refused: Outcome, canLook: boolean): Promise<Outcome | undefined> {
  if (!canLook || ERRCODES[refused.errcode] !== undefined) return undefined;
  const code = tcbCodeOf(refused.errmsg);
  api.log.info(
    `The create was refused with errcode ${refused.errcode}${code !== '' ? ` (${code})` : ''}: looking again whether the service is there.`,
  );
  try {
    const { exists, outcome } = await findService(api, inputs.envId, inputs.serviceName);
    return exists ? outcome : undefined;
  } catch (error) {
    api.log.warning(`Could not look again: ${(error as Error).message}`);
    return undefined;
  }
}

/** The service was there before this run: success or failure, as if_exists says. */
function alreadyThere(inputs: CreateInputs, lookup: Outcome, { log, report }: Step): void {
  const { envId, serviceName } = inputs;
  report.outputs['existed'] = 'true';
  report.details.set('Existed before', 'true');
  answered(report, lookup);
  if (inputs.own.if_exists === 'fail') {
    throw new CallFailed(
      `create: service "${serviceName}" already exists in environment "${envId}" and if_exists is fail: ` +
        'delete it first, choose another service_name, or set if_exists: skip',
    );
  }
  report.result = 'already there: nothing created (if_exists: skip)';
  log.info(`Service "${serviceName}" already exists in environment "${envId}": nothing to create (if_exists: skip).`);
  showHowToReach(report, log, howToReach(envId, serviceName));
}

/** Shows exactly what would be sent, with every secret replaced by ***. */
function showDryRun(inputs: CreateInputs, log: Log): void {
  const { apiBaseUrl, envId, serviceName, own } = inputs;
  log.info('Dry run: the inputs are valid; nothing is sent to WeChat.');
  showTokenRequest(inputs, log);
  showRequest(log, apiBaseUrl, LIST_SERVICES, listServicesBody(envId, 0));
  log.info('and, when the service is not listed:');
  showRequest(log, apiBaseUrl, CREATE_SERVICE, createServiceBody(envId, serviceName, own));
}

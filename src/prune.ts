import { showRequest, type Api } from './client.ts';
import { CallFailed, messageOf } from './errors.ts';
import { PRUNE_INPUTS, type PruneInputs } from './inputs.ts';
import type { Log } from './log.ts';
import { answered, type Report } from './outputs.ts';
import { listServices } from './services.ts';
import { perform, type Action } from './step.ts';
import { serviceGone, tearDown } from './teardown.ts';
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
  type Outcome,
} from './wechat.ts';

export const PRUNE: Action<PruneInputs['own']> = {
  name: 'create-cloudbase-service/prune',
  short: 'prune',
  title: 'CloudBase Run services pruned',
  wholeEnvironment: true,
  inputs: PRUNE_INPUTS,
  outputs: { deleted: '', kept: '', failed: '' },
};

/**
 * One run: read inputs → get a token → list every service of the environment → the
 * candidates: names that start with prefix and are not kept → more than max_deletes: fail,
 * nothing deleted → (dry run? show them, delete nothing) → delete each as the delete action
 * does, one after another, a failure not stopping the others → outputs and summary; fail at
 * the end naming each service that could not be deleted.
 */
export async function run(): Promise<void> {
  await perform(PRUNE, async (inputs, { log, report }) => {
    const { envId, own } = inputs;
    report.details.set('Prefix', own.prefix);
    log.info(
      `Pruning the CloudBase Run services of environment "${envId}" whose names start with "${own.prefix}" ` +
        `(keep: ${shown(own.keep)}; max_deletes: ${own.max_deletes})`,
    );
    if (inputs.dryRun && inputs.credentials.kind === 'component') {
      showDryRunWithoutToken(inputs, log);
      report.result = 'dry run: the credentials were not exchanged, so the services were not listed; nothing sent';
      return;
    }

    const api = await connect(inputs, log, 'nothing was deleted');
    const listing = await listServices(api, envId);
    answered(report, listing.outcome);
    const plan = planOf(listing.names, own);
    report.outputs['kept'] = plan.kept.join(',');
    const progress = new Progress(report, plan.kept);
    log.info(
      `Listed ${count(listing.names.length, 'service')}; ${plan.matched} with the prefix "${own.prefix}": ` +
        `to delete: ${shown(plan.candidates)}; kept: ${shown(plan.kept)}.`,
    );
    if (plan.candidates.length > own.max_deletes) {
      throw new CallFailed(
        `prune: ${plan.candidates.length} services start with "${own.prefix}" and are not kept, more than max_deletes ` +
          `(${own.max_deletes}), so nothing was deleted (a wrong keep must not empty an environment): ${plan.candidates.join(', ')}; ` +
          'check keep, or raise max_deletes',
      );
    }
    if (plan.candidates.length === 0) {
      log.info(`Nothing to prune in environment "${envId}".`);
      report.result = inputs.dryRun ? 'dry run: nothing to prune' : 'nothing to prune';
      return;
    }
    if (inputs.dryRun) {
      showDryRun(inputs, plan.candidates, log);
      report.details.set('Deleted', `none (dry run; would delete: ${plan.candidates.join(', ')})`);
      report.result = `dry run: would delete ${count(plan.candidates.length, 'service')}; nothing deleted`;
      return;
    }

    for (const [index, service] of plan.candidates.entries()) {
      const of = `${index + 1} of ${plan.candidates.length}`;
      report.pending =
        `deleting service "${service}" (${of}): some of its versions may be deleted and the service may remain; ` +
        'the services after it were not touched: run the prune again';
      log.info(`Deleting service "${service}" (${of}).`);
      progress.record(service, await deleted(api, envId, service));
    }
    log.info(`Done: deleted ${progress.deleted.length} of ${plan.candidates.length}: ${progress.line()}.`);
    const failure = progress.failure(plan.candidates.length);
    if (failure !== undefined) throw failure;
    report.result = `deleted ${count(progress.deleted.length, 'service')}`;
  });
}

interface Plan {
  /** The services to delete, as WeChat lists them. */
  candidates: string[];
  /** The services the prefix matched that keep names. */
  kept: string[];
  /** How many start with the prefix. */
  matched: number;
}

function planOf(names: readonly string[], own: PruneInputs['own']): Plan {
  const keep = new Set(own.keep);
  const matched = names.filter((name) => name.startsWith(own.prefix));
  return {
    candidates: matched.filter((name) => !keep.has(name)),
    kept: matched.filter((name) => keep.has(name)),
    matched: matched.length,
  };
}

type Deleted = { gone: true; outcome: Outcome | undefined } | { gone: false; error: unknown };

/**
 * One service deleted as the delete action deletes it; a failure is a warning, for the
 * next one to be tried. Gone after a failure (the pull request's own delete ran meanwhile,
 * or the refused call had acted), it is gone all the same.
 */
async function deleted(api: Api, envId: string, service: string): Promise<Deleted> {
  const { log } = api;
  try {
    const { outcome } = await tearDown(api, envId, service, PRUNE.short);
    log.info(`Deleted service "${service}"${outcome !== undefined && outcome.rid !== '' ? ` (rid: ${outcome.rid})` : ''}.`);
    return { gone: true, outcome };
  } catch (error) {
    const why = messageOf(error, PRUNE.name);
    if (await isGone(api, envId, service)) {
      log.info(`Service "${service}" is no longer listed although a call failed (${why}): it is gone.`);
      return { gone: true, outcome: undefined };
    }
    log.warning(`Could not delete service "${service}": ${why}`);
    return { gone: false, error };
  }
}

/** After a failed delete: whether a lookup shows the service gone; a lookup that fails shows nothing. */
async function isGone(api: Api, envId: string, service: string): Promise<boolean> {
  try {
    return await serviceGone(api, envId, service)();
  } catch {
    return false;
  }
}

/** What was deleted and what failed so far: outputs and summary follow each service, so a cancellation writes them. */
class Progress {
  readonly deleted: string[] = [];
  private readonly failed: { service: string; error: unknown }[] = [];
  private readonly report: Report;
  private readonly kept: readonly string[];

  constructor(report: Report, kept: readonly string[]) {
    this.report = report;
    this.kept = kept;
    this.show();
  }

  /** errcode, errmsg and rid follow the last delete: empty when its answer was lost. */
  record(service: string, result: Deleted): void {
    if (result.gone) {
      this.deleted.push(service);
      answered(this.report, result.outcome);
    } else this.failed.push({ service, error: result.error });
    this.show();
  }

  line(): string {
    return `${shown(this.deleted)}; kept: ${shown(this.kept)}; failed: ${shown(this.failedNames())}`;
  }

  /**
   * The one failure line when any failed: each service with the call WeChat refused, its
   * errcode and rid; the last refusal's answer becomes errcode, errmsg and rid (empty when
   * none was a refusal).
   */
  failure(candidates: number): CallFailed | undefined {
    if (this.failed.length === 0) return undefined;
    const outcome = this.failed
      .map(({ error }) => refusalOf(error))
      .filter((answer) => answer !== undefined)
      .at(-1);
    answered(this.report, outcome);
    return new CallFailed(
      `prune: could not delete ${this.failed.length} of ${count(candidates, 'service')}: ` +
        `${this.failed.map(({ service, error }) => `${service} (${causeOf(error)})`).join('; ')}; ` +
        `deleted: ${shown(this.deleted)}. The warnings above give each cause; run the prune again once it is fixed`,
      outcome,
    );
  }

  private failedNames(): string[] {
    return this.failed.map(({ service }) => service);
  }

  private show(): void {
    const { outputs, details } = this.report;
    outputs['deleted'] = this.deleted.join(',');
    outputs['failed'] = this.failedNames().join(',');
    details.set('Deleted', shown(this.deleted));
    details.set('Kept', shown(this.kept));
    details.set('Failed', shown(this.failedNames()));
  }
}

/** WeChat's answer when a call was refused (a failure decided on a read carries an answer of errcode 0). */
function refusalOf(error: unknown): Outcome | undefined {
  return error instanceof CallFailed && error.outcome !== undefined && error.outcome.errcode !== 0 ? error.outcome : undefined;
}

/** The call, errcode and rid of a refusal; otherwise what happened, without the `prune:` the failure line starts with. */
function causeOf(error: unknown): string {
  const refusal = refusalOf(error);
  if (refusal !== undefined) {
    const { errcode, rid } = refusal;
    // describeFailure's line starts with the call's name: `delcontainerservice failed: errcode …`.
    const message = messageOf(error, PRUNE.name);
    const call = message.slice(0, message.indexOf(' '));
    return `${call}: errcode ${errcode}, ${rid !== '' ? `rid: ${rid}` : 'no rid'}`;
  }
  return messageOf(error, PRUNE.name).replace(/^prune: /, '');
}

/** Shows what each delete would send, as the delete action sends it, for the first candidate. */
function showDryRun(inputs: PruneInputs, candidates: readonly string[], log: Log): void {
  const { apiBaseUrl, envId } = inputs;
  const [first = ''] = candidates;
  log.info(`Dry run: would delete ${candidates.join(', ')}; nothing is deleted.`);
  log.info(`Each would be deleted as the delete action does; for "${first}":`);
  showRequest(log, apiBaseUrl, LIST_VERSIONS, listVersionsBody(envId, first, 0));
  log.info('then, for each version, no traffic first (is_delete_server only on the last):');
  showRequest(log, apiBaseUrl, DELETE_VERSION, deleteVersionBody(envId, first, '<version_name>', true));
  log.info('or, when it has no versions:');
  showRequest(log, apiBaseUrl, DELETE_SERVICE, deleteServiceBody(envId, first));
  log.info('then a lookup (getcslist) that shows it gone.');
}

/**
 * With the platform's credentials a dry run sends nothing: a token exchange is not a read
 * (each may end the platform's previous token, SPEC §1.6), and without a token the services
 * cannot be listed.
 */
function showDryRunWithoutToken(inputs: PruneInputs, log: Log): void {
  log.info('Dry run: the inputs are valid; it would send:');
  showTokenRequest(inputs, log);
  showRequest(log, inputs.apiBaseUrl, LIST_SERVICES, listServicesBody(inputs.envId, 0));
  log.warning(
    'Dry run with component_appid, component_appsecret and component_verify_ticket: they are not exchanged for a token ' +
      "(each exchange may end the platform's previous token about 5 minutes later), so the services were not listed " +
      'and nothing shows what would be deleted: give access_token to see it',
  );
}

const shown = (names: readonly string[]) => (names.length > 0 ? names.join(', ') : 'none');
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

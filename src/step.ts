import * as core from '@actions/core';
import { CallFailed, messageOf } from './errors.ts';
import { readRawInputs, type ActionInputs, type Inputs } from './inputs.ts';
import { createLog, type Log } from './log.ts';
import { answered, newReport, setOutputs, writeSummary, type Report } from './outputs.ts';
import { proxySecrets } from './proxy.ts';

/** One action: its inputs, its names in messages, its summary heading and its own outputs' starting values. */
export interface Action<Own> {
  name: string;
  /** How a failure it decides on from what it read starts (SPEC §2): `deploy: service …`. */
  short: string;
  title: string;
  /** Works on a whole environment (prune): no service_name input or output. */
  wholeEnvironment?: boolean;
  inputs: ActionInputs<Own>;
  outputs: Record<string, string>;
}

export interface Step {
  log: Log;
  report: Report;
}

/** How the runner cancels a step: SIGINT, then SIGTERM (SPEC §3). The exit codes a shell gives them. */
const CANCELS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs one step of an action around its story: secrets masked before anything is printed,
 * inputs validated all at once, then the story; whatever happens, one failure line at
 * most, and the outputs and the summary written. Cancelled, it stops at once with what it
 * knows: outputs, summary, one line that says what may still be in flight.
 */
export async function perform<Own>(
  action: Action<Own>,
  story: (inputs: Inputs<Own>, step: Step) => Promise<void>,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  const log = createLog();
  const report = newReport(action.title, action.outputs, action.wholeEnvironment);
  let ended = false;
  const end = async () => {
    setOutputs(report, log);
    await writeSummary(report, log);
  };
  const onCancel = async (signal: keyof typeof CANCELS) => {
    if (ended) return;
    ended = true;
    report.result = `cancelled (${signal})`;
    log.fail(
      `${action.short}: cancelled (${signal}) ` +
        (report.pending !== '' ? `while ${report.pending}` : 'with nothing of this run in flight at WeChat'),
    );
    await end();
    exit(CANCELS[signal]);
  };
  const listeners = Object.keys(CANCELS).map((signal) => {
    const listener = () => void onCancel(signal as keyof typeof CANCELS);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  // A runner that stops reading the log must not turn into a crash with a stack trace.
  process.stdout.on('error', ignore);
  try {
    const raw = readRawInputs(action.inputs.names, (name) => core.getInput(name));
    log.hide([...action.inputs.secretsIn(raw), ...proxySecrets(process.env)]);
    const inputs = validInputs(action.inputs, raw, givenInputs(process.env), log);
    report.outputs['env_id'] = inputs.envId;
    if (!action.wholeEnvironment) report.outputs['service_name'] = inputs.serviceName;
    await story(inputs, { log, report });
  } catch (error) {
    if (!ended) {
      if (error instanceof CallFailed && error.outcome !== undefined) answered(report, error.outcome);
      report.result = log.clean(messageOf(error, action.name));
      log.fail(report.result);
    }
  } finally {
    if (!ended) {
      ended = true;
      await end();
    }
    for (const [signal, listener] of listeners) process.off(signal, listener);
    process.stdout.off('error', ignore);
  }
}

const ignore = () => undefined;

/** The inputs the step gave, as the runner names them in INPUT_* (`with:` keys upper-cased, spaces as _), lower-cased. */
const givenInputs = (env: NodeJS.ProcessEnv) =>
  Object.keys(env)
    .filter((key) => key.startsWith('INPUT_') && (env[key] ?? '').trim() !== '')
    .map((key) => key.slice('INPUT_'.length).toLowerCase());

function validInputs<Own>(definition: ActionInputs<Own>, raw: Record<string, string>, given: string[], log: Log): Inputs<Own> {
  const parsed = definition.parse(raw, given);
  if (parsed.ok) return parsed.inputs;
  for (const problem of parsed.problems) log.error(problem);
  const count = parsed.problems.length;
  throw new CallFailed(`${count} invalid input${count > 1 ? 's' : ''} (see the errors above); nothing was sent to WeChat`);
}

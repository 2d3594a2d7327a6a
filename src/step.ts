import * as core from '@actions/core';
import { CallFailed, messageOf } from './errors.ts';
import { readRawInputs, type ActionInputs, type Inputs } from './inputs.ts';
import { createLog, type Log } from './log.ts';
import { answered, newReport, setOutputs, writeSummary, type Report } from './outputs.ts';
import { proxySecrets } from './proxy.ts';

/** One action: its inputs, its name in messages, its summary heading and its own outputs' starting values. */
export interface Action<Own> {
  name: string;
  title: string;
  inputs: ActionInputs<Own>;
  outputs: Record<string, string>;
}

export interface Step {
  log: Log;
  report: Report;
}

/**
 * Runs one step of an action around its story: secrets masked before anything is printed,
 * inputs validated all at once, then the story; whatever happens, one failure line at
 * most, and the outputs and the summary written.
 */
export async function perform<Own>(action: Action<Own>, story: (inputs: Inputs<Own>, step: Step) => Promise<void>): Promise<void> {
  const log = createLog();
  const report = newReport(action.title, action.outputs);
  // A runner that stops reading the log must not turn into a crash with a stack trace.
  process.stdout.on('error', ignore);
  try {
    const raw = readRawInputs(action.inputs.names, (name) => core.getInput(name));
    log.hide([...action.inputs.secretsIn(raw), ...proxySecrets(process.env)]);
    const inputs = validInputs(action.inputs, raw, log);
    report.outputs['env_id'] = inputs.envId;
    report.outputs['service_name'] = inputs.serviceName;
    await story(inputs, { log, report });
  } catch (error) {
    if (error instanceof CallFailed && error.outcome !== undefined) answered(report, error.outcome);
    report.result = log.clean(messageOf(error, action.name));
    log.fail(report.result);
  } finally {
    setOutputs(report, log);
    await writeSummary(report, log);
    process.stdout.off('error', ignore);
  }
}

const ignore = () => undefined;

function validInputs<Own>(definition: ActionInputs<Own>, raw: Record<string, string>, log: Log): Inputs<Own> {
  const parsed = definition.parse(raw);
  if (parsed.ok) return parsed.inputs;
  for (const problem of parsed.problems) log.error(problem);
  const count = parsed.problems.length;
  throw new CallFailed(`${count} invalid input${count > 1 ? 's' : ''} (see the errors above); nothing was sent to WeChat`);
}

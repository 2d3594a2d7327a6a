import * as core from '@actions/core';
import type { Log } from './log.ts';
import type { Outcome } from './wechat.ts';

/** The outputs every action has (SPEC §2). */
export const COMMON_OUTPUTS = ['errcode', 'errmsg', 'rid', 'env_id', 'service_name'] as const;

/** What one run ends with: the action's outputs plus what the summary shows. */
export interface Report {
  /** The summary's heading. */
  title: string;
  /** Every output of the action, set on every path. */
  outputs: Record<string, string>;
  /** The action's own summary rows, between Service and Result, in order. */
  details: Map<string, string>;
  result: string;
  /**
   * What may still be in flight if the run stopped now (a cancellation), e.g. `waiting:
   * version "pr-42-003" was created and may still come up`; '' while nothing is.
   */
  pending: string;
}

/** A report with every output empty, or at its starting value; `wholeEnvironment` (prune) has no service_name. */
export function newReport(title: string, own: Record<string, string>, wholeEnvironment = false): Report {
  const common = COMMON_OUTPUTS.filter((name) => !(wholeEnvironment && name === 'service_name'));
  const outputs: Record<string, string> = Object.fromEntries(common.map((name) => [name, '']));
  return { title, outputs: { ...outputs, ...own }, details: new Map(), result: '', pending: '' };
}

/** The summary row and the notice (shown on the run's page) that say how a mini program reaches the service (create and deploy). */
export function showHowToReach(report: Report, log: Log, reach: { summary: string; log: string }): void {
  report.details.set('Reach it', reach.summary);
  log.notice(reach.log);
}

/** The outputs that come from WeChat's answer, from the call that answered; all empty when its answer was lost. */
export function answered(report: Report, outcome: Outcome | undefined): void {
  report.outputs['errcode'] = outcome === undefined ? '' : String(outcome.errcode);
  report.outputs['errmsg'] = outcome?.errmsg ?? '';
  report.outputs['rid'] = outcome?.rid ?? '';
}

/**
 * Sets every output, so later steps can read them whatever happened. A runner that cannot
 * take them (GITHUB_OUTPUT missing or full) gets one error line; the step's result stays
 * what WeChat made it.
 */
export function setOutputs(report: Report, log: Log): void {
  try {
    for (const [name, value] of Object.entries(report.outputs)) core.setOutput(name, log.clean(value));
  } catch (error) {
    log.error(
      `Could not write the step's outputs (${reasonOf(error)}): later steps will not see them; ` +
        "the runner's GITHUB_OUTPUT file must exist and be writable",
    );
  }
}

/** The job summary: a small table a reviewer can read at a glance. */
export async function writeSummary(report: Report, log: Log): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  const cell = (text: string) => escapeHtml(log.clean(text));
  const code = (text: string) => (text === '' ? '' : `<code>${cell(text)}</code>`);
  const rows: [string, string][] = [
    ['Environment', code(report.outputs['env_id'] ?? '')],
    ...(report.outputs['service_name'] !== undefined ? [['Service', code(report.outputs['service_name'])] as [string, string]] : []),
    ...[...report.details].map(([name, value]): [string, string] => [name, cell(value)]),
    ['Result', cell(report.result)],
    ['errcode', cell(report.outputs['errcode'] ?? '')],
    ['rid', code(report.outputs['rid'] ?? '')],
  ];
  try {
    await core.summary
      .emptyBuffer()
      .addHeading(escapeHtml(report.title), 3)
      .addTable([
        [
          { data: 'Field', header: true },
          { data: 'Value', header: true },
        ],
        ...rows,
      ])
      .write();
  } catch (error) {
    // Failing to write the summary must not change the step's result.
    log.error(`Could not write the job summary (${reasonOf(error)}): the runner's GITHUB_STEP_SUMMARY file must exist and be writable`);
  }
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

// Line breaks too: a raw blank line would end the HTML block and let a value be read as Markdown.
function escapeHtml(text: string): string {
  return text.replace(/[&<>"'\r\n]/g, (c) => `&#${c.charCodeAt(0)};`);
}

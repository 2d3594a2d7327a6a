import * as core from '@actions/core';
import type { Log } from './log.ts';

/** What one run ends with: the action's outputs (SPEC §2) plus what the summary shows. */
export interface Report {
  env_id: string;
  service_name: string;
  is_public?: boolean;
  created: boolean;
  errcode: string;
  errmsg: string;
  rid: string;
  result: string;
}

export const emptyReport = (): Report => ({
  env_id: '',
  service_name: '',
  created: false,
  errcode: '',
  errmsg: '',
  rid: '',
  result: '',
});

/** Sets every output, so later steps can read them whatever happened. */
export function setOutputs(report: Report, log: Log): void {
  const outputs = {
    errcode: report.errcode,
    errmsg: report.errmsg,
    rid: report.rid,
    env_id: report.env_id,
    service_name: report.service_name,
    created: String(report.created),
  };
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, log.clean(value));
}

/** The job summary: a small table a reviewer can read at a glance. */
export async function writeSummary(report: Report, log: Log): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  const cell = (text: string) => escapeHtml(log.clean(text));
  const rows: [string, string][] = [
    ['Environment', `<code>${cell(report.env_id)}</code>`],
    ['Service', `<code>${cell(report.service_name)}</code>`],
    ['Public access', report.is_public === undefined ? '' : String(report.is_public)],
    ['Result', cell(report.result)],
    ['errcode', cell(report.errcode)],
    ['rid', report.rid === '' ? '' : `<code>${cell(report.rid)}</code>`],
  ];
  try {
    await core.summary
      .addHeading('CloudBase Run service', 3)
      .addTable([[{ data: 'Field', header: true }, { data: 'Value', header: true }], ...rows])
      .write();
  } catch (error) {
    // The summary is a courtesy: failing to write it must not change the step's result.
    log.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// Line breaks too: a raw blank line would end the HTML block and let a value be read as Markdown.
function escapeHtml(text: string): string {
  return text.replace(/[&<>"'\r\n]/g, (c) => `&#${c.charCodeAt(0)};`);
}

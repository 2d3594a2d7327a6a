/** Checks every end-to-end run must pass, whatever it tested. */
import { expect } from 'vitest';
import { leaks, parseCommands, type ActionRun } from '../tools/run-action.ts';

/**
 * No secret anywhere the run left text, in any form (tools/run-action.ts `leakForms`);
 * each input secret masked, and before anything else was printed; nothing on stderr; no
 * stack trace. `inputs` are the secrets the run was given, `others` those it met later.
 */
export function expectCleanRun(run: ActionRun, secrets: { inputs: string[]; others?: string[] }): void {
  for (const secret of [...secrets.inputs, ...(secrets.others ?? [])]) {
    expect(leaks(run, secret), `secret leaked`).toEqual([]);
  }
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  const masks = lines.map((line) => parseCommands(line).find((c) => c.command === 'add-mask')?.value);
  const firstOther = masks.indexOf(undefined);
  for (const secret of secrets.inputs) {
    const masked = masks.indexOf(secret);
    expect(masked, 'an input secret was never masked').toBeGreaterThanOrEqual(0);
    expect(masked, 'an input secret was masked only after something else was printed').toBeLessThan(firstOther === -1 ? Infinity : firstOther);
  }
  expect(run.stderr).toBe('');
  expect(run.stdout).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

export const errors = (run: ActionRun) => run.commands.filter((c) => c.command === 'error').map((c) => c.value);
export const warnings = (run: ActionRun) => run.commands.filter((c) => c.command === 'warning').map((c) => c.value);
/** The plain log lines: everything but workflow commands. */
export const infos = (run: ActionRun) => run.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('::'));
/** The values the run asked the runner to mask, in order. */
export const masks = (run: ActionRun) => run.commands.filter((c) => c.command === 'add-mask').map((c) => c.value);
/** The paths of the requests WeChat received, in order, without the common /componenttcb/ prefix. */
export const calls = (requests: { path: string }[]) => requests.map((request) => request.path.replace('/componenttcb/', ''));

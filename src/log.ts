import * as core from '@actions/core';
import { redactor, secretForms, secretValues } from './redact.ts';

/** What the action prints, and the secrets it must never print. */
export interface Log {
  /**
   * Masks values from now on: in the runner's log (add-mask) and in all this action writes.
   * A value with line breaks is masked whole and line by line, as the runner masks output.
   */
  hide(values: readonly string[]): void;
  /** A text without any secret, for outputs and the summary. */
  clean(text: string): string;
  info(line: string): void;
  error(line: string): void;
  warning(line: string): void;
  notice(line: string): void;
  /** Shown only when the step is debugged (ACTIONS_STEP_DEBUG). */
  debug(line: string): void;
  /** The one failure line; marks the step as failed. */
  fail(line: string): void;
}

export function createLog(): Log {
  const secrets = new Set<string>();
  // The forms of each secret are worked out once, when it is hidden; each line is then read once.
  const forms: string[] = [];
  let clean = redactor(forms);
  // Redact first: inert() rewrites characters a secret may contain.
  const shown = (line: string) => inert(clean(line));
  return {
    hide(values) {
      const fresh = [...new Set(values.flatMap(secretValues))].filter((value) => !secrets.has(value));
      if (fresh.length === 0) return;
      for (const value of fresh) {
        core.setSecret(value);
        secrets.add(value);
      }
      for (const form of secretForms(fresh)) forms.push(form);
      clean = redactor(forms);
    },
    clean: (text) => clean(text),
    info: (line) => core.info(shown(line)),
    error: (line) => core.error(shown(line)),
    warning: (line) => core.warning(shown(line)),
    notice: (line) => core.notice(shown(line)),
    debug: (line) => core.debug(shown(line)),
    fail: (line) => core.setFailed(shown(line)),
  };
}

// Line breaks (for the runner or for a log viewer) and other characters that are not text.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

/**
 * One line of plain text, whatever values it quotes. The runner reads a line as a workflow
 * command when it starts with `::` (after white space) or holds `##[` anywhere; values from
 * inputs or from WeChat must not be able to do that. Control characters are shown as
 * escapes, so a value cannot start a line of its own, and both markers are broken with a
 * zero-width space, which leaves the line looking the same.
 */
export function inert(line: string): string {
  return line
    .replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/^(\s*):(?=:)/, '$1:\u200b')
    .replaceAll('##[', '##\u200b[');
}

import type { Outcome } from './wechat.ts';

/** A failure that ends the run with its message as the one failure line. */
export class CallFailed extends Error {
  /** WeChat's answer, when WeChat answered with an error: it becomes the step's outputs. */
  readonly outcome: Outcome | undefined;

  constructor(message: string, outcome?: Outcome) {
    super(message);
    this.name = 'CallFailed';
    this.outcome = outcome;
  }
}

/**
 * A failure that no later read can change (a page that is not WeChat's answer, from an
 * api_base_url with a wrong path; a list that never ends): a wait ends on it at once.
 */
export class NotRetried extends CallFailed {
  constructor(message: string) {
    super(message);
    this.name = 'NotRetried';
  }
}

/**
 * A write whose outcome is unknown: it was sent, then no WeChat answer came (a timeout, a
 * broken connection, an answer that is not WeChat's). Only a read of what is there can tell.
 */
export class OutcomeUnknown extends CallFailed {
  /** What happened after the request was sent, for the failure line. */
  readonly why: string;
  /** Attempts this write used, toward max_attempts. */
  readonly attempts: number;

  constructor(failed: string, why: string, attempts: number) {
    super(`${failed}: outcome unknown: ${why}`);
    this.name = 'OutcomeUnknown';
    this.why = why;
    this.attempts = attempts;
  }
}

/** The message of anything thrown, without a stack trace. */
export function messageOf(error: unknown, action: string): string {
  if (error instanceof CallFailed) return error.message;
  const what = error instanceof Error ? error.message : String(error);
  return `${action} failed unexpectedly: ${what}`;
}

/**
 * A wait's deadline came (SPEC §3): no attempt, retry or backoff starts after it. The wait
 * that set the deadline catches it and ends with what it last saw.
 */
export class DeadlinePassed extends CallFailed {
  constructor(call: string) {
    super(`${call}: the wait's deadline passed before WeChat answered`);
    this.name = 'DeadlinePassed';
  }
}

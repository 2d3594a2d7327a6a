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

const MASK = '***';

/**
 * Removes every secret from a text that is about to leave the process (log, output,
 * summary, failure line), in the forms a URL or a JSON body would carry it. The token
 * query parameter is blanked whatever its value, in case a text holds a URL we did not build.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  const forms = secrets.flatMap((secret) => [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]);
  for (const form of [...new Set(forms)].sort((a, b) => b.length - a.length)) {
    if (form !== '') clean = clean.split(form).join(MASK);
  }
  return clean.replace(/([?&]access_token=)[^&\s"'#<>]+/gi, `$1${MASK}`);
}

/** The message of anything thrown, without a stack trace. */
export function messageOf(error: unknown): string {
  if (error instanceof CallFailed) return error.message;
  if (error instanceof Error) return `create-cloudbase-service failed unexpectedly: ${error.message}`;
  return `create-cloudbase-service failed unexpectedly: ${String(error)}`;
}

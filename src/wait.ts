/**
 * A wait with a deadline that holds (SPEC §2, §3), for every action that waits on what
 * WeChat lists (deploy: the version runs; release: the list shows the share).
 */
import { sleepFor, type Api } from './client.ts';
import { CallFailed, DeadlinePassed, NotRetried } from './errors.ts';

const FIRST_INTERVAL_MS = 5000;
const INTERVAL_FACTOR = 1.5;
const MAX_INTERVAL_MS = 15_000;

/**
 * Polls right away, then after 5 s, × 1.5 each time up to 15 s, the last wait cut at the
 * deadline (`timeoutSeconds` after `started`). Each poll gets an Api that carries the
 * deadline, so no attempt, retry or backoff inside it starts after the deadline and an
 * attempt in flight is cut there. A poll WeChat refuses (an errcode) ends the wait with
 * that failure; a poll that gets no answer is one warning, `what` says of what, and the
 * wait goes on. True when the poll said done, false at the deadline.
 */
export async function waitUntil(
  api: Api,
  started: number,
  timeoutSeconds: number,
  what: string,
  poll: (api: Api) => Promise<boolean>,
): Promise<boolean> {
  const clock = api.now ?? Date.now;
  const sleep = api.sleep ?? sleepFor;
  const deadline = started + timeoutSeconds * 1000;
  const bounded: Api = { ...api, deadline };
  let interval = FIRST_INTERVAL_MS;
  for (;;) {
    try {
      if (await poll(bounded)) return true;
    } catch (error) {
      if (error instanceof DeadlinePassed) return false;
      // WeChat's refusal, or a failure no later read can change, ends the wait; anything else is tried again.
      if (error instanceof NotRetried || (error instanceof CallFailed && error.outcome !== undefined)) throw error;
      api.log.warning(`Could not read ${what} (${(error as Error).message}); reading again.`);
    }
    const left = deadline - clock();
    if (left <= 0) return false;
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * INTERVAL_FACTOR, MAX_INTERVAL_MS);
  }
}

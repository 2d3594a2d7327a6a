/**
 * Issue 17, class 1: every wait has a deadline that holds (SPEC §3). With a moved clock and
 * servers that hang, answer busy, answer a gateway's page or drop the connection, in any
 * order, for any timeout_seconds, max_attempts and wait_timeout_seconds: no attempt starts
 * after the deadline, no backoff or poll interval ends after it, an attempt in flight is cut
 * to end at most LAST_READ_MS after it, and so the wait ends within about a second of it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LAST_READ_MS, type Api } from '../src/client.ts';
import { TransportError, type HttpAnswer } from '../src/http.ts';
import { listVersions } from '../src/services.ts';
import { NotRetried } from '../src/errors.ts';
import { waitUntil } from '../src/wait.ts';
import { recordingLog } from './fixtures.ts';

type Behaviour = 'hang' | 'busy' | 'page' | 'reset' | 'building' | 'refused-connection';

const BEHAVIOURS: Behaviour[] = ['hang', 'busy', 'page', 'reset', 'building', 'refused-connection'];

interface Trace {
  attempts: { start: number; timeoutMs: number }[];
  sleeps: { start: number; ms: number }[];
}

/** An Api on a moved clock whose server behaves as `script` says, one behaviour per attempt (the last one repeats). */
function scriptedApi(script: Behaviour[], settings: { timeoutSeconds: number; maxAttempts: number }) {
  let now = 1_000_000;
  const trace: Trace = { attempts: [], sleeps: [] };
  let index = 0;
  const post = async (_url: URL, _body: string, timeoutMs: number): Promise<HttpAnswer> => {
    trace.attempts.push({ start: now, timeoutMs });
    const behaviour = script[Math.min(index++, script.length - 1)] ?? 'hang';
    const answer = (text: string, status = 200): HttpAnswer => ({ status, statusText: '', contentEncoding: '', text });
    switch (behaviour) {
      case 'hang':
        now += timeoutMs;
        throw new TransportError(`no answer within ${timeoutMs / 1000} s`, true);
      case 'reset':
        now += Math.min(timeoutMs, 200);
        throw new TransportError('the connection was reset before an answer arrived', true);
      case 'refused-connection':
        now += 1;
        throw new TransportError('connect ECONNREFUSED', false);
      case 'busy':
        now += Math.min(timeoutMs, 100);
        return answer('{"errcode":-1,"errmsg":"system error rid: 1"}');
      case 'page':
        now += Math.min(timeoutMs, 100);
        return answer('<html>502 Bad Gateway</html>', 502);
      case 'building':
        now += Math.min(timeoutMs, 100);
        return answer('{"errcode":0,"errmsg":"ok","total":1,"items":[{"version_name":"v-001","status":"building"}]}');
    }
  };
  const log = recordingLog();
  const api: Api = {
    base: new URL('http://127.0.0.1:9'),
    token: 'token',
    timeoutSeconds: settings.timeoutSeconds,
    maxAttempts: settings.maxAttempts,
    log,
    post,
    now: () => now,
    sleep: async (ms) => {
      trace.sleeps.push({ start: now, ms });
      now += ms;
    },
    random: () => 0.5,
  };
  return { api, log, trace, clock: () => now };
}

describe('a deadline that holds', () => {
  it('for any server behaviour and settings: nothing starts after the deadline, nothing in flight runs past it by more than LAST_READ_MS', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...BEHAVIOURS), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 120 }),
        async (script, timeoutSeconds, maxAttempts, waitSeconds) => {
          const { api, trace, clock } = scriptedApi(script, { timeoutSeconds, maxAttempts });
          const started = clock();
          const deadline = started + waitSeconds * 1000;
          // The wait ends at the deadline, or earlier with WeChat's errcode (-1 on every attempt of one poll).
          const ended = await waitUntil(api, started, waitSeconds, 'the versions', async (bounded) => {
            await listVersions(bounded, 'env', 'svc');
            return false;
          }).catch((error: unknown) => error);
          if (ended !== false) expect(ended).toMatchObject({ outcome: { errcode: -1 } });
          for (const attempt of trace.attempts) {
            expect(attempt.start).toBeLessThanOrEqual(deadline);
            expect(attempt.start + attempt.timeoutMs).toBeLessThanOrEqual(deadline + LAST_READ_MS);
            expect(attempt.timeoutMs).toBeLessThanOrEqual(timeoutSeconds * 1000);
          }
          for (const sleep of trace.sleeps) expect(sleep.start + sleep.ms).toBeLessThanOrEqual(deadline);
          expect(clock()).toBeLessThanOrEqual(deadline + LAST_READ_MS);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('polls that hang with the defaults (timeout_seconds 30, max_attempts 3) and a 5 s wait: one attempt, cut at 6 s', async () => {
    const { api, trace, clock } = scriptedApi(['hang'], { timeoutSeconds: 30, maxAttempts: 3 });
    const started = clock();
    expect(await waitUntil(api, started, 5, 'the versions', (bounded) => listVersions(bounded, 'env', 'svc').then(() => false))).toBe(
      false,
    );
    expect(trace.attempts).toEqual([{ start: started, timeoutMs: 6000 }]);
    expect(trace.sleeps).toEqual([]);
    expect(clock() - started).toBe(6000);
  });

  it('keeps the schedule while reads answer: right away, then 5 s, 7.5 s … the last wait cut at the deadline, one read there', async () => {
    const { api, trace, clock } = scriptedApi(['building'], { timeoutSeconds: 30, maxAttempts: 3 });
    const started = clock();
    expect(await waitUntil(api, started, 20, 'the versions', (bounded) => listVersions(bounded, 'env', 'svc').then(() => false))).toBe(
      false,
    );
    expect(trace.attempts.map((a) => a.start - started)).toEqual([0, 5100, 12_700, 20_000]);
    // The read at the deadline may take LAST_READ_MS: a server slower than that cannot stretch the wait.
    expect(trace.attempts.at(-1)?.timeoutMs).toBe(LAST_READ_MS);
    expect(trace.sleeps.map((s) => s.ms)).toEqual([5000, 7500, 7200]);
  });

  it('a busy answer whose backoff would end after the deadline is not retried: the wait ends', async () => {
    const { api, log, trace, clock } = scriptedApi(['building', 'busy'], { timeoutSeconds: 30, maxAttempts: 3 });
    const started = clock();
    await waitUntil(api, started, 5, 'the versions', (bounded) => listVersions(bounded, 'env', 'svc').then(() => false));
    // The read at 5 s is busy; its backoff (0.75 s) would end after the deadline, so nothing more is sent.
    expect(trace.attempts.map((a) => a.start - started)).toEqual([0, 5000]);
    expect(clock() - started).toBe(5100);
    expect(log.lines.filter((line) => line.startsWith('warning: '))).toEqual([]);
  });

  it('the read at the deadline is not lost to a timer that fires a few milliseconds late', async () => {
    const { api, trace, clock } = scriptedApi(['building'], { timeoutSeconds: 30, maxAttempts: 3 });
    const late = api.sleep as (ms: number) => Promise<void>;
    api.sleep = (ms) => late(ms + 7);
    const started = clock();
    await waitUntil(api, started, 5, 'the versions', (bounded) => listVersions(bounded, 'env', 'svc').then(() => false));
    expect(trace.attempts.map((a) => a.start - started)).toEqual([0, 5007]);
    expect(trace.attempts.at(-1)?.timeoutMs).toBe(LAST_READ_MS - 7);
  });

  it('a failure no later read can change (a 404 page, a list that never ends) ends the wait at once, with no poll after it', async () => {
    const { api, trace, clock } = scriptedApi(['building'], { timeoutSeconds: 30, maxAttempts: 3 });
    const started = clock();
    const poll = async () => {
      throw new NotRetried('getcsversionlist failed: HTTP 404 Not Found from …: check api_base_url');
    };
    await expect(waitUntil(api, started, 60, 'the versions', poll)).rejects.toThrow('HTTP 404 Not Found');
    expect(trace.sleeps).toEqual([]);
  });

  it('a poll that ends done ends the wait at once', async () => {
    const { api, clock } = scriptedApi(['building'], { timeoutSeconds: 30, maxAttempts: 3 });
    const started = clock();
    expect(await waitUntil(api, started, 900, 'the versions', async () => true)).toBe(true);
    expect(clock()).toBe(started);
  });
});

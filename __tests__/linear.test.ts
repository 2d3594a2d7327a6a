/**
 * Text from the network may hold anything, in any length: every function that parses,
 * redacts, quotes or prints it must take linear time. Each is fed 1 MB of each shape in
 * linear-cases.ts and must finish well within a second; a super-linear one takes seconds
 * to hours on these (the old rid pattern took 2.7 s on 2 kB of white space), so each
 * function runs in a worker that is stopped at the limit.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, SHAPES } from './linear-cases.ts';

const LIMIT_MS = 1000;

/** Each shape's time through one function, or 'too slow' for the shape the worker was stopped on. */
function timings(name: string): Promise<Record<string, number | 'too slow'>> {
  return new Promise((resolve, reject) => {
    const results: Record<string, number | 'too slow'> = {};
    const worker = new Worker(new URL('./linear-cases.ts', import.meta.url), { workerData: { name } });
    const pending = Object.keys(SHAPES);
    let watchdog: NodeJS.Timeout;
    // Loading the modules comes first: the clock for the first shape starts with its worker.
    const arm = (ms: number) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        results[pending[0] ?? ''] = 'too slow';
        void worker.terminate().then(() => resolve(results));
      }, ms);
    };
    arm(LIMIT_MS + 5000);
    worker.on('message', ({ shape, ms }: { shape: string; ms: number }) => {
      results[shape] = ms;
      pending.shift();
      arm(LIMIT_MS * 2);
      if (pending.length === 0) {
        clearTimeout(watchdog);
        void worker.terminate().then(() => resolve(results));
      }
    });
    worker.on('error', (error) => {
      clearTimeout(watchdog);
      reject(error);
    });
  });
}

describe.each(Object.keys(FUNCTIONS))('%s', (name) => {
  it('takes linear time on 1 MB of every hostile shape', async () => {
    const times = await timings(name);
    const slow = Object.entries(times).filter(([, ms]) => ms === 'too slow' || ms >= LIMIT_MS);
    expect(slow).toEqual([]);
    expect(Object.keys(times)).toEqual(Object.keys(SHAPES));
  });
});

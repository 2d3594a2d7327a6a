/** What the unit tests share: a Log that records what it would print, and an Api on the fake. */
import { redact } from '../src/redact.ts';
import type { Api } from '../src/client.ts';
import type { Log } from '../src/log.ts';
import type { FakeWeChat } from '../tools/fake-wechat.ts';

export interface RecordingLog extends Log {
  lines: string[];
  hidden: string[];
}

/** A Log that keeps each line, prefixed by its kind (info lines bare), instead of printing it. */
export function recordingLog(): RecordingLog {
  const lines: string[] = [];
  const hidden: string[] = [];
  const clean = (text: string) => redact(text, hidden);
  const as = (kind: string) => (line: string) => void lines.push(`${kind}${clean(line)}`);
  return {
    lines,
    hidden,
    hide: (values) => void hidden.push(...values),
    clean,
    info: as(''),
    error: as('error: '),
    warning: as('warning: '),
    notice: as('notice: '),
    debug: as('debug: '),
    fail: as('fail: '),
  };
}

export const TOKEN = 'test-component-access-token';

/** An Api on the fake with the token it accepts; sleeps are recorded, not slept. */
export function apiOn(fake: FakeWeChat, overrides: Partial<Api> = {}): Api & { log: RecordingLog; sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    base: new URL(fake.url),
    token: TOKEN,
    timeoutSeconds: 5,
    maxAttempts: 3,
    log: recordingLog(),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...overrides,
    sleeps,
  } as Api & { log: RecordingLog; sleeps: number[] };
}

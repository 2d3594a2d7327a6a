/** What the unit tests share: a Log that records what it would print, an Api on the fake, test certificates. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * A throwaway CA in `dir` and a server certificate signed by it for `subjectAltName`
 * (`DNS:api.weixin.qq.com`, `IP:10.0.0.1`, or several, comma-separated), with openssl and EC keys.
 */
export function makeCertificates(dir: string, subjectAltName: string): { caFile: string; key: Buffer; cert: Buffer } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=create-cloudbase-service test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...ecKey, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=create-cloudbase-service test server');
  writeFileSync(file('server.ext'), `subjectAltName=${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  );
  return { caFile: file('ca.crt'), key: readFileSync(file('server.key')), cert: readFileSync(file('server.crt')) };
}

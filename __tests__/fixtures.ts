/** What the tests share: a Log that records what it would print, an Api on the fake, test certificates, a CONNECT proxy. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import { redact, secretValues } from '../src/redact.ts';
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
    hide: (values) => void hidden.push(...values.flatMap(secretValues)),
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

/** One CONNECT, as the proxy saw it. */
export interface Connect {
  target: string;
  host: string | undefined;
  authorization: string | undefined;
}

/** How the proxy answers a CONNECT: a tunnel to a port on 127.0.0.1, a refusal (status line and any headers), or `raw` bytes of its own. */
export type ConnectAnswer = { tunnelTo: number } | { refuse: string } | { raw: string };

export interface ConnectProxy {
  port: number;
  /** Every CONNECT received, in order. */
  connects: Connect[];
  close(): Promise<void>;
}

/** A CONNECT proxy on 127.0.0.1 that answers each CONNECT as `answer` says. It never dials out. */
export async function startConnectProxy(answer: (connect: Connect) => ConnectAnswer): Promise<ConnectProxy> {
  const connects: Connect[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_request, response) => void response.writeHead(405).end('this proxy only tunnels'));
  server.on('connect', (request: http.IncomingMessage, client: net.Socket) => {
    sockets.add(client);
    const connect = { target: request.url ?? '', host: request.headers.host, authorization: request.headers['proxy-authorization'] };
    connects.push(connect);
    const answered = answer(connect);
    if ('refuse' in answered) return void client.end(`HTTP/1.1 ${answered.refuse}\r\n\r\n`);
    if ('raw' in answered) return void client.write(answered.raw);
    const upstream = net.connect(answered.tunnelTo, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connects,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

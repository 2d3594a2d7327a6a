/**
 * examples/component-token.sh, the token step every example runs, run with bash against a
 * token service on 127.0.0.1 that answers each way it can: the token, an HTTP error, a
 * WeChat-style errcode, an empty or `null` token, something that is not JSON, no answer at
 * all. Each failure must be exactly one ::error:: line with nothing before it and nothing in
 * GITHUB_OUTPUT; a success masks the token before anything else and writes exactly
 * `token=…`. Neither the key nor the token ever shows unmasked.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../tools/fake-wechat.ts';
import { ROOT, renderLog } from '../tools/run-action.ts';

const SCRIPT = join(ROOT, 'examples', 'component-token.sh');
const KEY = 'tsk_4kq9W-secret-key-7Zx';
const TOKEN = '85_Hk3vQpL0aXz-9_mNbVcD7eRt2yUiOwSj4fGhK1lZxCv';

interface Received {
  method: string;
  url: string;
  key: string | undefined;
}
type Respond = (response: http.ServerResponse) => void;

let respond: Respond = () => undefined;
const received: Received[] = [];
const server = http.createServer((request, response) => {
  received.push({ method: request.method ?? '', url: request.url ?? '', key: request.headers['x-api-key'] as string | undefined });
  respond(response);
});
let base = '';
const work = mkdtempSync(join(tmpdir(), 'component-token-'));

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  received.length = 0;
  server.closeAllConnections();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

const json =
  (status: number, body: unknown): Respond =>
  (response) => {
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
  };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** GITHUB_OUTPUT after the run. */
  output: string;
  ms: number;
}

/** The script as a step runs it: bash, the step's env, a fresh GITHUB_OUTPUT; nothing else inherited but PATH. */
async function run(env: Record<string, string | undefined> = {}, script = SCRIPT): Promise<Run> {
  const dir = mkdtempSync(join(work, 'step-'));
  const outputFile = join(dir, 'output');
  writeFileSync(outputFile, '');
  const full: Record<string, string> = {};
  const given = { PATH: process.env['PATH'] ?? '', GITHUB_OUTPUT: outputFile, TOKEN_SERVICE_URL: base, TOKEN_SERVICE_KEY: KEY, ...env };
  for (const [name, value] of Object.entries(given)) if (value !== undefined) full[name] = value;
  const started = performance.now();
  const child = spawn('/bin/bash', [script], { env: full, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr, output: readFileSync(outputFile, 'utf8'), ms: performance.now() - started };
}

/** A failed step: exit 1, stdout exactly the one error line, stderr empty, no output, no secret anywhere. */
function expectFailure(result: Run, line: string): void {
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stdout).toBe(`::error::component-token: ${line}\n`);
  expect(result.stderr).toBe('');
  expect(result.output).toBe('');
  for (const secret of [KEY, TOKEN]) expect(result.stdout + result.stderr).not.toContain(secret);
}

const endpoint = () => `${base}/component_access_token`;

/** A PATH with only these of the tools the script runs. */
function pathWith(...tools: string[]): string {
  const dir = mkdtempSync(join(work, 'bin-'));
  for (const tool of tools) {
    const found = (process.env['PATH'] ?? '')
      .split(':')
      .map((entry) => join(entry, tool))
      .find((file) => {
        try {
          readFileSync(file);
          return true;
        } catch {
          return false;
        }
      });
    if (found === undefined) throw new Error(`${tool} is not on PATH`);
    symlinkSync(found, join(dir, tool));
  }
  return dir;
}

describe('component-token.sh fails with one clear line', () => {
  it.each<[string, Respond, string]>([
    [
      'HTTP 500 (its body, which quotes the key and a token, is not printed)',
      json(500, { error: `bad key ${KEY} ${TOKEN}` }),
      'the token service answered HTTP 500: check its logs',
    ],
    [
      'HTTP 401',
      json(401, { error: 'unauthorized' }),
      'the token service refused the key (HTTP 401): check the secret in TOKEN_SERVICE_KEY',
    ],
    ['HTTP 403', json(403, 'forbidden'), 'the token service refused the key (HTTP 403): check the secret in TOKEN_SERVICE_KEY'],
    [
      'HTTP 404',
      json(404, 'not found'),
      'the token service answered HTTP 404 for {endpoint}: check TOKEN_SERVICE_URL (the base URL, without /component_access_token)',
    ],
    [
      'a redirect, not followed (a login page, say)',
      (response) => response.writeHead(302, { Location: '/login' }).end(),
      'the token service answered HTTP 302: check its logs',
    ],
    [
      "WeChat's errcode, passed on",
      json(200, { errcode: 61006, errmsg: 'component ticket is invalid rid: 6645a1b2-3c4d5e6f-7a8b9c0d' }),
      'the token service answered errcode 61006 (component ticket is invalid rid: 6645a1b2-3c4d5e6f-7a8b9c0d): it has no token to give; check its logs',
    ],
    [
      'an errcode whose errmsg quotes the key, breaks the line and holds a %',
      json(200, { errcode: 40001, errmsg: `invalid credential\n::warning::for ${KEY} at 100%` }),
      'the token service answered errcode 40001 (invalid credential ::warning::for *** at 100%25): it has no token to give; check its logs',
    ],
    [
      'an errcode and a token both (the errcode wins)',
      json(200, { errcode: 42001, errmsg: 'access_token expired', component_access_token: TOKEN }),
      'the token service answered errcode 42001 (access_token expired): it has no token to give; check its logs',
    ],
    [
      'an empty token',
      json(200, { component_access_token: '', expires_in: 7200 }),
      'the token service gave an empty component_access_token: check its logs (has WeChat pushed it a component_verify_ticket?)',
    ],
    [
      'a null token',
      json(200, { component_access_token: null }),
      'the token service gave an empty component_access_token: check its logs (has WeChat pushed it a component_verify_ticket?)',
    ],
    [
      'the word null',
      json(200, { component_access_token: 'null', expires_in: 7200 }),
      'the token service gave the word null as the component_access_token: it lost its token; check its logs',
    ],
    [
      'no token field',
      json(200, { expires_in: 7200 }),
      "the token service's answer has no component_access_token: check that TOKEN_SERVICE_URL points at the token service",
    ],
    [
      'a token that is a number',
      json(200, { component_access_token: 12345 }),
      'the token service gave a component_access_token that is not a string (number): check its logs',
    ],
    [
      'a token with a line break (it would write a second output)',
      json(200, { component_access_token: `${TOKEN}\nevil=1` }),
      'the token service gave a component_access_token with characters a token never has: check its logs',
    ],
    [
      'a token with a % (the mask would hide another string)',
      json(200, { component_access_token: `${TOKEN}%41` }),
      'the token service gave a component_access_token with characters a token never has: check its logs',
    ],
    [
      'an HTML page with HTTP 200',
      (response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Sign in</body></html>'),
      'the token service answered something that is not a JSON object: check that TOKEN_SERVICE_URL points at the token service',
    ],
    [
      'an empty body',
      (response) => response.writeHead(200).end(),
      'the token service answered something that is not a JSON object: check that TOKEN_SERVICE_URL points at the token service',
    ],
    [
      'JSON that is not an object',
      json(200, [TOKEN]),
      'the token service answered something that is not a JSON object: check that TOKEN_SERVICE_URL points at the token service',
    ],
    [
      'two JSON objects',
      json(200, `{"component_access_token":"${TOKEN}"}\n{"component_access_token":"other"}`),
      'the token service answered something that is not a JSON object: check that TOKEN_SERVICE_URL points at the token service',
    ],
  ])('%s', async (_, answer, line) => {
    respond = answer;
    const result = await run();
    expectFailure(result, line.replace('{endpoint}', endpoint()));
    // It did ask, as it should have: the failure is the answer's, not the request's.
    expect(received).toEqual([{ method: 'GET', url: '/component_access_token', key: KEY }]);
  });

  it('nothing listening (connection refused)', async () => {
    const port = await closedPort();
    const result = await run({ TOKEN_SERVICE_URL: `http://127.0.0.1:${port}` });
    expectFailure(
      result,
      `the token service at http://127.0.0.1:${port}/component_access_token did not answer (connection refused): check TOKEN_SERVICE_URL and that the service is up`,
    );
  });

  it('a service that never answers, cut at TOKEN_SERVICE_TIMEOUT', async () => {
    respond = () => undefined;
    const result = await run({ TOKEN_SERVICE_TIMEOUT: '0.5' });
    expectFailure(
      result,
      `the token service at ${endpoint()} did not answer within 0.5 s: check that it is up and reachable from this runner`,
    );
    expect(result.ms).toBeGreaterThanOrEqual(450);
    expect(result.ms).toBeLessThan(5000);
    expect(received).toHaveLength(1);
  });

  it('the URL an error shows has no user:password@', async () => {
    respond = json(404, 'gone');
    const { host } = new URL(base);
    const result = await run({ TOKEN_SERVICE_URL: `http://ci:hunter2-pass@${host}/tokens/` });
    expectFailure(
      result,
      `the token service answered HTTP 404 for http://${host}/tokens/component_access_token: check TOKEN_SERVICE_URL (the base URL, without /component_access_token)`,
    );
    expect(result.stdout).not.toContain('hunter2-pass');
    expect(received.map((r) => r.url)).toEqual(['/tokens/component_access_token']);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    [
      'no URL',
      { TOKEN_SERVICE_URL: '' },
      "TOKEN_SERVICE_URL is empty: set it to the token service's base URL (e.g. from vars.WX_TOKEN_SERVICE_URL)",
    ],
    ['a URL that is not http(s)', { TOKEN_SERVICE_URL: 'file:///etc/passwd' }, 'TOKEN_SERVICE_URL must start with https:// (or http://)'],
    [
      'no key (a run for a fork, or a secret misnamed)',
      { TOKEN_SERVICE_KEY: undefined },
      "TOKEN_SERVICE_KEY is empty: set it from the secret that holds the token service's key (e.g. secrets.WX_TOKEN_SERVICE_KEY); secrets do not reach runs for forks or Dependabot",
    ],
    ['a timeout that is not a number', { TOKEN_SERVICE_TIMEOUT: '10s' }, 'TOKEN_SERVICE_TIMEOUT "10s" is not a number of seconds'],
    ['no GITHUB_OUTPUT', { GITHUB_OUTPUT: undefined }, 'GITHUB_OUTPUT is not set: run this as a step of a GitHub Actions job'],
  ])('%s: says so before asking anything', async (_, env, line) => {
    respond = json(200, { component_access_token: TOKEN });
    expectFailure(await run(env), line);
    expect(received).toEqual([]);
  });

  it.each([
    ['jq', ['curl'], "jq is not installed on this runner: install it (e.g. apt-get install jq); it reads the token service's answer"],
    ['curl', ['jq'], 'curl is not installed on this runner: install it (e.g. apt-get install curl)'],
  ])('%s missing', async (_, tools, line) => {
    respond = json(200, { component_access_token: TOKEN });
    expectFailure(await run({ PATH: pathWith(...tools) }), line);
    expect(received).toEqual([]);
  });
});

describe('component-token.sh on success', () => {
  it('masks the token first, writes exactly token=… to GITHUB_OUTPUT, and shows neither the token nor the key', async () => {
    respond = json(200, { component_access_token: TOKEN, expires_in: 7200 });
    const result = await run();
    expect(result.code, result.stdout).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')).toEqual([
      `::add-mask::${TOKEN}`,
      `component-token: got the platform's component_access_token from ${endpoint()} (it expires in 7200 s)`,
      '',
    ]);
    expect(result.output).toBe(`token=${TOKEN}\n`);
    expect(received).toEqual([{ method: 'GET', url: '/component_access_token', key: KEY }]);
    // As the runner shows the log: the mask line consumed, the token nowhere.
    expect(renderLog(result.stdout)).not.toContain(TOKEN);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it('takes the base URL with a trailing slash, and an answer without expires_in', async () => {
    respond = json(200, { errcode: 0, errmsg: 'ok', component_access_token: TOKEN });
    const result = await run({ TOKEN_SERVICE_URL: `${base}/` });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toBe(`::add-mask::${TOKEN}\ncomponent-token: got the platform's component_access_token from ${endpoint()}\n`);
    expect(result.output).toBe(`token=${TOKEN}\n`);
    expect(received.map((r) => r.url)).toEqual(['/component_access_token']);
  });

  it('keeps the key off the command line (where ps shows it): curl reads the header from stdin', async () => {
    respond = json(200, { component_access_token: TOKEN });
    const bin = mkdtempSync(join(work, 'spy-'));
    const argvFile = join(bin, 'argv');
    const realCurl = pathWith('curl');
    writeFileSync(join(bin, 'curl'), `#!/bin/bash\nprintf '%s\\n' "$@" > '${argvFile}'\nexec '${realCurl}/curl' "$@"\n`);
    chmodSync(join(bin, 'curl'), 0o755);
    const result = await run({ PATH: `${bin}:${process.env['PATH'] ?? ''}` });
    expect(result.code, result.stdout).toBe(0);
    const argv = readFileSync(argvFile, 'utf8');
    expect(argv).toContain('--max-time');
    expect(argv).not.toContain(KEY);
    expect(received[0]?.key).toBe(KEY);
  });
});

describe('these tests can fail', () => {
  // The token step the examples had before (curl | jq under bash -e, no pipefail), run the
  // same way: it "succeeds" with an empty token or the word null, and the checks above reject it.
  const old = join(work, 'old-token-step.sh');
  beforeAll(() => {
    mkdirSync(work, { recursive: true });
    writeFileSync(
      old,
      [
        'set -e',
        'token=$(curl --fail --silent --show-error --header "X-Api-Key: $TOKEN_SERVICE_KEY" \\',
        '  "$TOKEN_SERVICE_URL/component_access_token" | jq --raw-output .component_access_token)',
        'echo "::add-mask::$token"',
        'echo "token=$token" >> "$GITHUB_OUTPUT"',
        '',
      ].join('\n'),
    );
  });

  it.each<[string, Respond]>([
    ['HTTP 500', json(500, 'down')],
    ['the word null', json(200, { component_access_token: 'null' })],
    ['no token field', json(200, { errcode: 61006, errmsg: 'component ticket is invalid' })],
  ])('the old step on %s passes for a success, and expectFailure rejects it', async (_, answer) => {
    respond = answer;
    const result = await run({}, old);
    expect(result.code).toBe(0);
    expect(() => expectFailure(result, 'anything')).toThrow();
  });
});

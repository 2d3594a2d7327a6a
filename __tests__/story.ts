/**
 * What the story tests share (stories.test.ts and the files beside it): each runs an
 * action's run() in this process with INPUT_* variables, stdout, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY as the runner gives them, against the fake WeChat API, so that
 * mutation testing judges src/ by them.
 *
 * Waits between polls are not slept: a test file mocks client.ts with `withMovedClock`, so
 * `sleepFor` records each wait and moves the clock (Date.now) on by it. Retries inside one
 * call still wait their backoff for real: Math.random is 0 during a run, so each is 0.5 s.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, vi } from 'vitest';
import { startFakeWeChat, TOKEN_PATH, type FakeWeChat, type ReceivedRequest } from '../tools/fake-wechat.ts';
import { parseCommands, parseOutputsFile, type WorkflowCommand } from '../tools/run-action.ts';
import { TOKEN } from './fixtures.ts';

/** The moved clock: Date.now during a story, and every wait sleepFor was asked for. */
export const clock = { now: 0, sleeps: [] as number[], onSleep: undefined as (() => void) | undefined };

/** client.ts with sleepFor recording each wait and moving the clock on by it: `vi.mock('../src/client.ts', …)`. */
export function withMovedClock<Client extends object>(client: Client): Client {
  return {
    ...client,
    sleepFor: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.now += ms;
      clock.onSleep?.();
    },
  };
}

/** An action as a story runs it: its run() and its input names. */
export interface StoryAction {
  run: () => Promise<void>;
  names: readonly string[];
}

let stories: Record<string, StoryAction> = {};
const actionOf = (name: string): StoryAction => {
  const action = stories[name];
  if (action === undefined) throw new Error(`no story action ${name}`);
  return action;
};

export const ENV = 'prod-2g59lad002c864a6';
export const SERVICE = 'pr-42';

/** The fake WeChat API of this file's stories, started before them and reset before each. */
export let fake: FakeWeChat;
/** A temporary folder for the file's stories, and the GITHUB_OUTPUT file in it. */
export let dir: string;
export let outputsFile: string;
let summaryFile: string;

/**
 * The stories of one test file: the fake started before them and reset before each, the
 * clock moved to a fixed time, `actions` the ones runStory can run.
 */
export function useStories(actions: Record<string, StoryAction>): void {
  stories = actions;
  beforeAll(async () => {
    fake = await startFakeWeChat();
    dir = mkdtempSync(join(tmpdir(), 'stories-'));
    outputsFile = join(dir, 'output');
    // One summary file for the whole file: @actions/core remembers the first path it was given.
    summaryFile = join(dir, 'summary');
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.reset();
    clock.now = 1_780_000_000_000;
    clock.sleeps.length = 0;
  });
}

export interface Run {
  exitCode: number;
  stdout: string;
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  summary: string;
}

export interface Runner {
  /** Where GITHUB_OUTPUT points; the temporary file by default. */
  outputs?: string;
  /** What GITHUB_STEP_SUMMARY is: an empty file (the default), a directory, or not set. */
  summary?: 'file' | 'directory' | 'unset';
  /** stdout reports an error (EPIPE: the runner stopped reading) on each write. */
  stdoutBroken?: boolean;
}

/** Runs one action as the runner would: every input as INPUT_* ('' when not given), stdout captured, outputs and summary read back. */
export async function runStory(action: string, inputs: Record<string, string>, runner: Runner = {}): Promise<Run> {
  writeFileSync(outputsFile, '');
  rmSync(summaryFile, { recursive: true, force: true });
  if (runner.summary === 'directory') mkdirSync(summaryFile);
  else writeFileSync(summaryFile, '');
  vi.stubEnv('GITHUB_OUTPUT', runner.outputs ?? outputsFile);
  vi.stubEnv('GITHUB_STEP_SUMMARY', runner.summary === 'unset' ? '' : summaryFile);
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY']) vi.stubEnv(name, '');
  for (const name of actionOf(action).names) vi.stubEnv(`INPUT_${name.toUpperCase()}`, inputs[name] ?? '');
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    if (runner.stdoutBroken) process.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    return true;
  });
  const now = vi.spyOn(Date, 'now').mockImplementation(() => clock.now);
  const random = vi.spyOn(Math, 'random').mockReturnValue(0);
  try {
    await actionOf(action).run();
  } finally {
    write.mockRestore();
    now.mockRestore();
    random.mockRestore();
    vi.unstubAllEnvs();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  const stdout = written.join('');
  let summary = '';
  try {
    summary = readFileSync(summaryFile, 'utf8');
  } catch {
    // A directory, in the test where the summary cannot be written.
  }
  return { exitCode, stdout, commands: parseCommands(stdout), outputs: parseOutputsFile(readFileSync(outputsFile, 'utf8')), summary };
}

export const commands = (run: Run, kind: string) => run.commands.filter((c) => c.command === kind).map((c) => c.value);
export const errors = (run: Run) => commands(run, 'error');
export const warnings = (run: Run) => commands(run, 'warning');
/** The plain log lines, as a user reads them: everything but workflow commands. */
export const calls = (requests: { path: string }[]) => requests.map((request) => request.path.replace('/componenttcb/', ''));
export const infos = (run: Run) => run.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('::'));
/** The summary table's rows below its header, [field, value] as written in the HTML (an empty cell is an unclosed <td>). */
export const rows = (run: Run) =>
  [...run.summary.matchAll(/<tr><td>(.*?)<\/td><td>(.*?)(?:<\/td>)?<\/tr>/g)].map(([, field, value]) => [field, value]);
export const heading = (run: Run) => /<h3>(.*?)<\/h3>/.exec(run.summary)?.[1];
/** Text as the summary's HTML holds it. */
export const html = (text: string) => text.replace(/[&<>"'\r\n]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The requests WeChat received, in order: the call (without /componenttcb/) and its JSON body; each with the token in the query and nowhere else. */
export function sent(token = TOKEN): [string, unknown][] {
  for (const request of fake.requests.filter((r) => r.path !== TOKEN_PATH)) {
    expect(request.method).toBe('POST');
    expect(request.query).toStrictEqual({ access_token: token });
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request.body).not.toContain(token);
  }
  return fake.requests.map((request) => [request.path.replace('/componenttcb/', ''), request.json]);
}

/** The rid ending the errmsg the fake answered (or, after act-then, would have answered). */
export const ridOf = (request: ReceivedRequest | undefined) => {
  const rid = /rid: (\S+)$/.exec(String(request?.answer?.['errmsg']))?.[1] ?? '';
  expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  return rid;
};
/** errcode, errmsg and rid as the outputs give WeChat's answer to `request`. */
export const answerOf = (request: ReceivedRequest | undefined) => {
  const rid = ridOf(request);
  return { errcode: String(request?.answer?.['errcode']), errmsg: String(request?.answer?.['errmsg']), rid };
};
export const NO_ANSWER = { errcode: '', errmsg: '', rid: '' };

export const url = (path: string) => `${fake.url}${path}`;
export const lostWhy = (path: string) => `the request was sent to ${url(path)}, then the connection was reset before an answer arrived`;
export const EMPTY_SERVICES = '{"errcode":0,"errmsg":"ok rid: 1","total":0,"cslist":[]}';
export const BAD_GATEWAY =
  '"<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> </body> </html>"';

// The bodies SPEC §1.2–§1.4 give each call, with its generation's field names.
export const LOOKUP: [string, unknown] = ['getcslist', { env: ENV, offset: 0, limit: 20 }];
export const VERSIONS: [string, unknown] = ['getcsversionlist', { env: ENV, service_name: SERVICE, offset: 0, limit: 20 }];
export const deleteVersion = (version: string, last = false): [string, unknown] => [
  'deletecloudbaserunserverversion',
  { env_id: ENV, server_name: SERVICE, version_name: version, ...(last && { is_delete_server: true }) },
];
export const DELETE_SERVICE: [string, unknown] = ['delcontainerservice', { env: ENV, service_name: SERVICE }];

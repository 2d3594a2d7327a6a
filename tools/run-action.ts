/**
 * Runs a bundled action the way a GitHub runner does: a child process under Node 24,
 * inputs as INPUT_* variables (its action.yml defaults filled in), GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, and stdout read as workflow commands.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The Node 24 binary of the `node` dev dependency: the runtime action.yml asks for. */
export const NODE24 = join(ROOT, 'node_modules', 'node', 'bin', 'node');

/** The five actions of this repository: the top-level action.yml, deploy/, release/, delete/ and prune/. */
export const ACTIONS = ['create', 'deploy', 'release', 'delete', 'prune'] as const;
export type ActionName = (typeof ACTIONS)[number];

/** The folder of an action's action.yml, from the repository root. */
export const actionDir = (action: ActionName) => (action === 'create' ? '' : action);

/** The bundle an action's action.yml runs. */
export function bundleOf(action: ActionName): string {
  return join(ROOT, actionDir(action), actionMetadata(action).runs.main);
}
export const BUNDLE = bundleOf('create');

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  value: string;
}

export interface ActionRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Every line of stdout the runner reads as a workflow command. */
  commands: WorkflowCommand[];
  /** GITHUB_OUTPUT as the runner reads it. */
  outputs: Record<string, string>;
  outputsFile: string;
  summary: string;
  durationMs: number;
  /** The signal the process was killed by, when it did not exit on its own (e.g. SIGKILL from killAfterMs). */
  exitSignal: NodeJS.Signals | null;
  /** With `signal`: when it was sent, in ms since the spawn; undefined when stdout never matched. */
  signalSentAtMs?: number;
  /** With `signal`: how long the process took to exit after it was sent; undefined when it was never sent. */
  exitAfterSignalMs?: number;
}

/** A cancellation, as the runner sends it: `name` to the action's process once its stdout first matches `when`. */
export interface SignalOption {
  name: 'SIGINT' | 'SIGTERM';
  /** Tested against all the stdout read so far, after each chunk. */
  when: RegExp;
}

export interface RunOptions {
  /** Which action to run; create (the top-level action.yml) unless said. */
  action?: ActionName;
  inputs: Record<string, string>;
  /** Extra environment, e.g. HTTPS_PROXY. Nothing else is inherited from this process but PATH. */
  env?: Record<string, string>;
  entry?: string;
  /** Options for node itself, before the entry, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Kill the action after this long; a test's own guard. */
  killAfterMs?: number;
  /** Send a signal to the action once its stdout first matches a pattern (how the runner cancels a step). */
  signal?: SignalOption;
}

/** action.yml, parsed: the parts the runner and the tests read. */
export interface ActionMetadata {
  name: string;
  description: string;
  branding: { icon: string; color: string };
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

export function actionMetadata(action: ActionName = 'create'): ActionMetadata {
  return parse(readFileSync(join(ROOT, actionDir(action), 'action.yml'), 'utf8')) as ActionMetadata;
}

/** The defaults action.yml declares, which the runner passes as INPUT_* when an input is not given. */
export function actionDefaults(action: ActionName = 'create'): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(actionMetadata(action).inputs)) {
    if (input.default !== undefined) defaults[name] = String(input.default);
  }
  return defaults;
}

export function inputEnv(inputs: Record<string, string>, action: ActionName = 'create'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...actionDefaults(action), ...inputs })) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  return env;
}

export async function runAction(options: RunOptions): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'run-action-'));
  const outputsFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputsFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: outputsFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...inputEnv(options.inputs, options.action),
    ...options.env,
  };
  const started = performance.now();
  try {
    const child = spawn(NODE24, [...(options.nodeArgs ?? []), options.entry ?? bundleOf(options.action ?? 'create')], {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
    let stdout = '';
    let stderr = '';
    let signalSentAt: number | undefined;
    let exitedAt: number | undefined;
    const { signal } = options;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (signal !== undefined && signalSentAt === undefined && exitedAt === undefined && signal.when.test(stdout)) {
        signalSentAt = performance.now();
        child.kill(signal.name);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('exit', () => (exitedAt = performance.now()));
    const [exitCode, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, killedBy) => resolve([code, killedBy]));
    });
    // The process alone, from spawn to exit: what `npm run bench` times.
    const durationMs = performance.now() - started;
    clearTimeout(guard);
    const outputsText = readFileSync(outputsFile, 'utf8');
    const exited = exitedAt ?? performance.now();
    return {
      exitCode,
      exitSignal,
      ...(signalSentAt !== undefined && { signalSentAtMs: signalSentAt - started, exitAfterSignalMs: exited - signalSentAt }),
      stdout,
      stderr,
      commands: parseCommands(stdout),
      outputs: parseOutputsFile(outputsText),
      outputsFile: outputsText,
      summary: readFileSync(summaryFile, 'utf8'),
      durationMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads `name=value` and `name<<DELIMITER … DELIMITER` entries, as the runner does. */
export function parseOutputsFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i] ?? '');
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: no closing delimiter for ${name}`);
      outputs[name] = value.join('\n');
    } else {
      const at = line.indexOf('=');
      if (at <= 0) throw new Error(`GITHUB_OUTPUT: unreadable line ${JSON.stringify(line)}`);
      outputs[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return outputs;
}

/**
 * Every line the runner reads as a workflow command: `::name props::value` at the start of
 * the line (after white space), or the legacy `##[name props]value` anywhere in it.
 */
export function parseCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const raw of stdout.split(/\r\n|\r|\n/)) {
    const command = parseCommand(raw.replace(/^[\s\u0085]+/, '')) ?? parseLegacyCommand(raw);
    if (command) commands.push(command);
  }
  return commands;
}

function parseCommand(line: string): WorkflowCommand | undefined {
  const match = /^::([^\s:]+)(?: ([^:]*))?::(.*)$/s.exec(line);
  if (!match) return undefined;
  const [, command = '', props = '', value = ''] = match;
  const properties: Record<string, string> = {};
  for (const pair of props.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at > 0) properties[pair.slice(0, at)] = unescapeCommand(pair.slice(at + 1), true);
  }
  return { command, properties, value: unescapeCommand(value, false) };
}

function parseLegacyCommand(line: string): WorkflowCommand | undefined {
  const match = /##\[([^\]\s]*)([^\]]*)\](.*)$/s.exec(line);
  if (!match) return undefined;
  const [, command = '', props = '', value = ''] = match;
  return { command, properties: { legacy: props.trim() }, value };
}

function unescapeCommand(text: string, property: boolean): string {
  let out = text.replace(/%0D/g, '\r').replace(/%0A/g, '\n');
  if (property) out = out.replace(/%3A/g, ':').replace(/%2C/g, ',');
  return out.replace(/%25/g, '%');
}

/** The step log as the runner shows it: commands consumed, masked values replaced by ***, debug lines only when asked. */
export function renderLog(stdout: string, { debug = false } = {}): string {
  const masks = parseCommands(stdout)
    .filter((c) => c.command === 'add-mask')
    .map((c) => c.value)
    .sort((a, b) => b.length - a.length);
  const shown: string[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const [command] = parseCommands(raw);
    let line = raw;
    if (command?.command === 'add-mask') continue;
    if (command?.command === 'set-output') continue;
    // The runner shows debug lines only when the step is debugged (ACTIONS_STEP_DEBUG).
    if (command?.command === 'debug' && !debug) continue;
    if (command && ['error', 'warning', 'notice', 'debug'].includes(command.command)) {
      line = `${command.command === 'debug' ? '##[debug]' : `${command.command[0]?.toUpperCase()}${command.command.slice(1)}: `}${command.value}`;
    }
    for (const mask of masks) line = line.split(mask).join('***');
    shown.push(line);
  }
  return shown.join('\n');
}

/**
 * Where a secret shows up in what a run leaves behind (stdout other than its own
 * ::add-mask:: line, stderr, outputs, summary); empty when it leaked nowhere.
 */
export function leaks(run: ActionRun, secret: string): string[] {
  const places: string[] = [];
  const stdoutWithoutMasks = run.stdout
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith('::add-mask::'))
    .join('\n');
  const forms = leakForms(secret);
  const has = (text: string) => forms.some((form) => text.includes(form));
  if (has(stdoutWithoutMasks)) places.push('stdout');
  if (has(run.stderr)) places.push('stderr');
  if (has(run.outputsFile)) places.push('outputs');
  if (has(run.summary)) places.push('summary');
  return places;
}

// encodeURIComponent throws on a lone surrogate; a server writes U+FFFD for it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The forms in which a secret would show if it leaked, written here independently of
 * src/ (the code under test): as is, and through every chain of up to three encodings a
 * server or a log can apply — URL-encoded, form-encoded, JSON-escaped (as JavaScript
 * writes it, and with every non-ASCII character as \uXXXX, as Python's json.dumps does) —
 * so a password JSON-escaped twice (quoted in a JSON request that an errmsg quotes as a
 * JSON string) or thrice (that errmsg in the raw answer), and percent-encoded JSON, are
 * found; and base64. The same for each line of a multi-line secret at least 4 characters
 * long (the runner masks line by line; shorter lines would match ordinary text).
 */
export function leakForms(secret: string): string[] {
  const lines = secret
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 4);
  const json = (value: string) => JSON.stringify(value).slice(1, -1);
  const encodings: ((value: string) => string)[] = [
    json,
    (value) => json(value).replace(/[^\u0000-\u007e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    (value) => encodeURIComponent(value.replace(LONE_SURROGATE, '\ufffd')),
    (value) => new URLSearchParams({ s: value }).toString().slice(2),
  ];
  const forms = new Set<string>();
  for (const value of [secret, ...(lines.length > 1 ? lines : [])]) {
    let level = [value];
    forms.add(value);
    forms.add(Buffer.from(value).toString('base64'));
    for (let depth = 1; depth <= 3; depth++) {
      level = level.flatMap((form) => encodings.map((encode) => encode(form))).filter((form) => !forms.has(form));
      level = [...new Set(level)];
      for (const form of level) forms.add(form);
    }
  }
  return [...forms].filter((form) => form !== '');
}

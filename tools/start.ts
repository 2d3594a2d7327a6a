/**
 * `npm start`: runs the bundled actions as a runner would and shows each step's log, its
 * outputs and its job summary. With no credentials in the environment it plays a
 * pull-request preview's life against the embedded fake WeChat API: create, create again
 * (a second push: the service is found), deploy, delete. With INPUT_ACCESS_TOKEN (or
 * INPUT_COMPONENT_APPID …) set, it runs one action (START_ACTION: create, delete or
 * deploy; create by default) with every INPUT_* variable, against the API they name.
 */
import { startFakeWeChat, type FakeWeChat } from './fake-wechat.ts';
import { ACTIONS, actionDefaults, renderLog, runAction, type ActionName, type ActionRun } from './run-action.ts';

const realInputs = Object.fromEntries(
  Object.entries(process.env)
    .filter(([name, value]) => name.startsWith('INPUT_') && value !== undefined)
    .map(([name, value]) => [name.slice('INPUT_'.length).toLowerCase(), value ?? '']),
);
const real = realInputs['access_token'] !== undefined || realInputs['component_appid'] !== undefined;

const passThrough = Object.fromEntries(
  ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS']
    .filter((name) => process.env[name] !== undefined)
    .map((name) => [name, process.env[name] ?? '']),
);

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const heading = (title: string) => console.log(`\n${bold(`── ${title} ${'─'.repeat(Math.max(3, 72 - title.length))}`)}`);

/** Prints one step as a workflow run page would: its log, then its outputs and summary. */
function show(title: string, run: ActionRun): void {
  heading(title);
  console.log(renderLog(run.stdout).trimEnd());
  if (run.stderr.trim() !== '') console.log(`stderr:\n${run.stderr.trimEnd()}`);
  console.log(
    `\nOutputs:\n${Object.entries(run.outputs)
      .map(([name, value]) => `  ${name}=${value}`)
      .join('\n')}`,
  );
  console.log(`\nJob summary:\n${run.summary.trim()}`);
  console.log(`\nExit code ${run.exitCode} in ${Math.round(run.durationMs)} ms`);
}

/** What the fake received, with the token blanked: the requests WeChat would have seen. */
function received(fake: FakeWeChat, from: number): void {
  console.log('\nWhat the fake WeChat API received:');
  for (const request of fake.requests.slice(from)) {
    const query = Object.keys(request.query)
      .map((name) => `${name}=***`)
      .join('&');
    console.log(`  ${request.method} ${request.path}${query !== '' ? `?${query}` : ''} ${request.body}`);
  }
}

let exitCode = 0;
if (real) {
  const action = (process.env['START_ACTION'] ?? 'create') as ActionName;
  if (!ACTIONS.includes(action)) throw new Error(`START_ACTION must be one of ${ACTIONS.join(', ')}`);
  const api = realInputs['api_base_url'] || actionDefaults(action)['api_base_url'];
  const run = await runAction({ action, inputs: realInputs, env: passThrough });
  show(`${action}: dist/${action}/index.js against the WeChat API at ${api} (inputs from INPUT_* variables)`, run);
  exitCode = run.exitCode ?? 1;
} else {
  const fake = await startFakeWeChat();
  // A version builds for two reads before it runs: the deploy waits one poll interval.
  fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
  console.log(`No INPUT_ACCESS_TOKEN in the environment: a pull-request preview's life against the fake WeChat API at ${fake.url}.`);
  console.log('Demo inputs, no credentials; nothing leaves this machine.');
  const common = {
    access_token: [...fake.tokens][0] ?? '',
    env_id: 'test-6gxk23no5605e14f',
    service_name: 'pr-42',
    api_base_url: fake.url,
  };
  const steps: [string, ActionName, Record<string, string>][] = [
    ['1. create (pull request opened)', 'create', { ...common, is_public: 'true', remark: 'preview for pull request 42' }],
    [
      '2. create again (a new push: the service is already there)',
      'create',
      { ...common, is_public: 'true', remark: 'preview for pull request 42' },
    ],
    [
      '3. deploy the pull request’s image',
      'deploy',
      { ...common, image_url: 'ccr.ccs.tencentyun.com/our-org/app:pr-42', env_params: '{"NODE_ENV":"preview"}' },
    ],
    ['4. delete (pull request closed)', 'delete', common],
  ];
  try {
    for (const [title, action, inputs] of steps) {
      const from = fake.requests.length;
      const run = await runAction({ action, inputs });
      show(title, run);
      received(fake, from);
      if (run.exitCode !== 0) exitCode = run.exitCode ?? 1;
    }
  } finally {
    await fake.close();
  }
}
heading(`Done: exit code ${exitCode}`);
process.exitCode = exitCode;

/**
 * `npm start`: runs the bundled actions as a runner would and shows each step's log, its
 * outputs, its job summary and what the fake WeChat API received. With no credentials in
 * the environment it plays, against the embedded fake, a pull-request preview's life
 * (create, create again, deploy, delete, then a scheduled prune) and a release's (deploy
 * without traffic, a canary, the promotion, a rollback). With INPUT_ACCESS_TOKEN (or
 * INPUT_COMPONENT_APPID …) set, it runs one action (START_ACTION, create by default) with
 * every INPUT_* variable, against the API they name.
 */
import { startFakeWeChat } from './fake-wechat.ts';
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

let exitCode = 0;
if (real) {
  const action = process.env['START_ACTION'] ?? 'create';
  if (!(ACTIONS as readonly string[]).includes(action)) {
    console.error(`npm start: START_ACTION ${JSON.stringify(action)} is not an action: give one of ${ACTIONS.join(', ')}`);
    process.exit(2);
  }
  const name = action as ActionName;
  const api = realInputs['api_base_url'] || actionDefaults(name)['api_base_url'];
  const run = await runAction({ action: name, inputs: realInputs, env: passThrough });
  show(`${name}: dist/${name}/index.js against the WeChat API at ${api} (inputs from INPUT_* variables)`, run);
  exitCode = run.exitCode ?? 1;
} else {
  // What the fake receives, one line a request with its secrets blanked, shown after each step.
  const received: string[] = [];
  const fake = await startFakeWeChat({ log: (line) => received.push(line) });
  // A version builds for two reads before it runs: each deploy waits one poll interval.
  fake.versionLifecycle = [{ status: 'building', reads: 1 }, { status: 'normal' }];
  console.log(`Demo: a pull-request preview's life, then a release's, against the fake WeChat API at ${fake.url}.`);
  console.log(
    'Demo inputs, no credentials; nothing leaves this machine. (With INPUT_ACCESS_TOKEN and the other INPUT_* set, npm start runs one action against the API they name.)',
  );
  const env = 'test-6gxk23no5605e14f';
  const common = { access_token: [...fake.tokens][0] ?? '', env_id: env, api_base_url: fake.url };
  const preview = { ...common, service_name: 'pr-42' };
  const app = { ...common, service_name: 'app' };
  // Previews whose pull requests closed without a clean-up, and one whose pull request is still open.
  for (const stale of ['pr-7', 'pr-8', 'pr-9']) fake.addService(env, stale, [{ version_name: `${stale}-001`, flow_ratio: 100 }]);
  const image = (tag: string) => `ccr.ccs.tencentyun.com/our-org/app:${tag}`;
  const steps: [string, ActionName, Record<string, string>][] = [
    ['1. create (pull request 42 opened)', 'create', { ...preview, is_public: 'true', remark: 'preview for pull request 42' }],
    [
      '2. create again (a new push: the service is already there)',
      'create',
      { ...preview, is_public: 'true', remark: 'preview for pull request 42' },
    ],
    ['3. deploy the pull request’s image', 'deploy', { ...preview, image_url: image('pr-42'), env_params: '{"NODE_ENV":"preview"}' }],
    ['4. delete (pull request 42 closed)', 'delete', preview],
    ['5. prune (the schedule: pull request 9 is still open)', 'prune', { ...common, prefix: 'pr-', keep: 'pr-9' }],
    ['6. create the release service', 'create', { ...app, is_public: 'true' }],
    ['7. deploy v1.0.0 with all the traffic', 'deploy', { ...app, image_url: image('v1.0.0') }],
    ['8. deploy v1.1.0 without traffic', 'deploy', { ...app, image_url: image('v1.1.0'), flow_ratio: '0', keep_versions: '3' }],
    ['9. release v1.1.0 to 10 % (a canary)', 'release', { ...app, version: 'latest', flow_ratio: '10' }],
    ['10. promote it to 100 %', 'release', { ...app, version: 'latest' }],
    ['11. roll back (version: previous)', 'release', { ...app, version: 'previous' }],
  ];
  try {
    for (const [title, action, inputs] of steps) {
      received.length = 0;
      const run = await runAction({ action, inputs });
      show(title, run);
      console.log(`\nWhat the fake WeChat API received:\n${received.map((line) => `  ${line}`).join('\n')}`);
      if (run.exitCode !== 0) exitCode = run.exitCode ?? 1;
    }
  } finally {
    await fake.close();
  }
}
heading(`Done: exit code ${exitCode}`);
process.exitCode = exitCode;

/**
 * `npm start`: runs dist/index.js as a runner would and shows the step log, the outputs
 * and the job summary. With no credentials in the environment it runs against the
 * embedded fake WeChat API; with INPUT_ACCESS_TOKEN (or INPUT_COMPONENT_APPID …) set, it
 * passes every INPUT_* variable through and calls the real API.
 */
import { startFakeWeChat } from './fake-wechat.ts';
import { NODE24, renderLog, runAction, type ActionRun } from './run-action.ts';

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

const heading = (title: string) => console.log(`\n\x1b[1m── ${title} ${'─'.repeat(Math.max(0, 60 - title.length))}\x1b[0m`);

let run: ActionRun;
if (real) {
  heading('Running dist/index.js against the real WeChat API (inputs from INPUT_* variables)');
  run = await runAction({ inputs: realInputs, env: passThrough });
} else {
  const fake = await startFakeWeChat();
  heading(`Running dist/index.js against the fake WeChat API at ${fake.url}`);
  console.log('No INPUT_ACCESS_TOKEN in the environment: using demo inputs and the fake API.');
  try {
    run = await runAction({
      inputs: {
        access_token: [...fake.tokens][0] ?? '',
        env_id: 'test-6gxk23no5605e14f',
        service_name: 'pr-42',
        is_public: 'true',
        remark: 'preview for pull request 42',
        vpc_info: '{"vpc_id":"vpc-abc","subnet_ids":["subnet-1"],"create_type":2}',
        public_access: '1',
        api_base_url: fake.url,
      },
    });
    heading('What the fake WeChat API received');
    for (const request of fake.requests) {
      const query = Object.keys(request.query).map((name) => `${name}=***`).join('&');
      console.log(`${request.method} ${request.path}${query !== '' ? `?${query}` : ''}`);
      console.log(request.body);
    }
  } finally {
    await fake.close();
  }
}

heading(`Step log (Node ${NODE24.includes('node_modules') ? '24 from the node dev dependency' : ''}, as the runner shows it)`);
console.log(renderLog(run.stdout));
if (run.stderr.trim() !== '') {
  heading('stderr');
  console.log(run.stderr);
}
heading('Outputs');
for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}=${value}`);
heading('Job summary');
console.log(run.summary.trim());
heading(`Exit code ${run.exitCode} in ${Math.round(run.durationMs)} ms`);
process.exitCode = run.exitCode ?? 1;

/**
 * `npm start`: runs dist/index.js as a runner would and shows the step log, the outputs
 * and the job summary. With no credentials in the environment it runs against the
 * embedded fake WeChat API; with INPUT_ACCESS_TOKEN (or INPUT_COMPONENT_APPID …) set, it
 * passes every INPUT_* variable through and calls the real API.
 */
import { startFakeWeChat, type ReceivedRequest } from './fake-wechat.ts';
import { actionDefaults, renderLog, runAction, type ActionRun } from './run-action.ts';

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

let run: ActionRun;
let received: ReceivedRequest[] = [];
if (real) {
  const api = realInputs['api_base_url'] || actionDefaults()['api_base_url'];
  heading(`dist/index.js against the WeChat API at ${api} (inputs from INPUT_* variables)`);
  run = await runAction({ inputs: realInputs, env: passThrough });
} else {
  const fake = await startFakeWeChat();
  heading(`dist/index.js against the fake WeChat API at ${fake.url}`);
  console.log('No INPUT_ACCESS_TOKEN in the environment: demo inputs, embedded fake API, nothing leaves this machine.');
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
    received = fake.requests;
  } finally {
    await fake.close();
  }
}

heading('Step log, as the runner shows it (Node 24)');
console.log(renderLog(run.stdout).trimEnd());
if (run.stderr.trim() !== '') {
  heading('stderr');
  console.log(run.stderr.trimEnd());
}
heading('Outputs');
for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}=${value}`);
heading('Job summary');
console.log(run.summary.trim());
if (received.length > 0) {
  heading('What the fake WeChat API received');
  for (const request of received) {
    const query = Object.keys(request.query).map((name) => `${name}=***`).join('&');
    console.log(`${request.method} ${request.path}${query !== '' ? `?${query}` : ''}\n${request.body}`);
  }
}
heading(`Exit code ${run.exitCode} in ${Math.round(run.durationMs)} ms`);
process.exitCode = run.exitCode ?? 1;

import * as core from '@actions/core';
import { createCloudbaseService, obtainComponentToken, type CallOptions } from './client.ts';
import { CallFailed, messageOf, redact } from './errors.ts';
import { parseInputs, readRawInputs, secretsIn, type Inputs } from './inputs.ts';
import { emptyReport, setOutputs, writeSummary, type Report } from './outputs.ts';
import { COMPONENT_TOKEN, CREATE_SERVICE, createServiceBody, describeFailure, endpoint } from './wechat.ts';

/** One run: read inputs → get a token → (dry run?) → call → outputs and summary. */
export async function run(): Promise<void> {
  const secrets: string[] = [];
  const hide = (values: readonly string[]) => {
    for (const value of values) {
      core.setSecret(value);
      secrets.push(value);
    }
  };
  const clean = (text: string) => redact(text, secrets);
  let report: Report = emptyReport();

  try {
    const raw = readRawInputs((name) => core.getInput(name));
    hide(secretsIn(raw));
    const inputs = validInputs(raw, clean);
    const { service } = inputs;
    report = { ...report, env_id: service.env_id, service_name: service.service_name, is_public: service.is_public };
    core.info(`CloudBase Run service "${service.service_name}" in environment "${service.env_id}" (public access: ${service.is_public})`);

    if (inputs.dryRun) {
      showDryRun(inputs, clean);
      report.result = 'dry run: validated, nothing sent';
      return;
    }

    const options: CallOptions = {
      timeoutSeconds: inputs.timeoutSeconds,
      maxAttempts: inputs.maxAttempts,
      log: (line) => core.info(clean(line)),
    };
    const token = await accessToken(inputs, options, hide);
    const { outcome, attempts } = await createCloudbaseService(inputs, token, options);
    report = { ...report, errcode: String(outcome.errcode), errmsg: outcome.errmsg, rid: outcome.rid };
    if (outcome.errcode !== 0) throw new CallFailed(describeFailure(CREATE_SERVICE, outcome, attempts));

    report = { ...report, created: true, result: 'created' };
    core.info(`Created service "${service.service_name}"${outcome.rid !== '' ? ` (rid: ${outcome.rid})` : ''}.`);
  } catch (error) {
    report.result = clean(messageOf(error));
    core.setFailed(report.result);
  } finally {
    setOutputs(report, clean);
    await writeSummary(report, clean);
  }
}

function validInputs(raw: ReturnType<typeof readRawInputs>, clean: (text: string) => string): Inputs {
  const parsed = parseInputs(raw);
  if (parsed.ok) return parsed.inputs;
  for (const problem of parsed.problems) core.error(clean(problem));
  const count = parsed.problems.length;
  throw new CallFailed(`${count} invalid input${count > 1 ? 's' : ''} (see the errors above); nothing was sent to WeChat`);
}

async function accessToken(inputs: Inputs, options: CallOptions, hide: (values: string[]) => void): Promise<string> {
  const { credentials } = inputs;
  if (credentials.kind === 'token') return credentials.accessToken;
  const token = await obtainComponentToken(credentials, inputs.apiBaseUrl, options);
  hide([token]);
  core.info('Obtained a component_access_token (masked).');
  return token;
}

/** Shows exactly what would be sent, with every secret replaced by ***. */
function showDryRun(inputs: Inputs, clean: (text: string) => string): void {
  const show = (value: unknown) => clean(JSON.stringify(value, null, 2));
  core.info('Dry run: the inputs are valid; nothing is sent to WeChat.');
  if (inputs.credentials.kind === 'component') {
    core.info(`Would POST ${endpoint(inputs.apiBaseUrl, COMPONENT_TOKEN).href} with:`);
    core.info(
      show({
        component_appid: inputs.credentials.appid,
        component_appsecret: '***',
        component_verify_ticket: '***',
      }),
    );
  }
  const body = createServiceBody(inputs.service);
  const esInfo = body.es_info?.password === undefined ? body.es_info : { ...body.es_info, password: '***' };
  core.info(`Would POST ${endpoint(inputs.apiBaseUrl, CREATE_SERVICE).href}?access_token=*** with:`);
  core.info(show({ ...body, ...(esInfo !== undefined && { es_info: esInfo }) }));
}

import * as core from '@actions/core';
import { createCloudbaseService, obtainComponentToken, type CallOptions } from './client.ts';
import { CallFailed, messageOf } from './errors.ts';
import { parseInputs, readRawInputs, secretsIn, type Inputs } from './inputs.ts';
import { createLog, type Log } from './log.ts';
import { emptyReport, setOutputs, writeSummary, type Report } from './outputs.ts';
import { proxySecrets } from './proxy.ts';
import { COMPONENT_TOKEN, CREATE_SERVICE, createServiceBody, describeFailure, endpoint, type Outcome } from './wechat.ts';

/** One run: read inputs → get a token → (dry run?) → call → outputs and summary. */
export async function run(): Promise<void> {
  const log = createLog();
  let report: Report = emptyReport();

  try {
    const raw = readRawInputs((name) => core.getInput(name));
    log.hide([...secretsIn(raw), ...proxySecrets(process.env)]);
    const inputs = validInputs(raw, log);
    const { service } = inputs;
    report = { ...report, env_id: service.env_id, service_name: service.service_name, is_public: service.is_public };
    log.info(`CloudBase Run service "${service.service_name}" in environment "${service.env_id}" (public access: ${service.is_public})`);

    if (inputs.dryRun) {
      showDryRun(inputs, log);
      report.result = 'dry run: validated, nothing sent';
      return;
    }

    const options: CallOptions = { timeoutSeconds: inputs.timeoutSeconds, maxAttempts: inputs.maxAttempts, log: log.info };
    const token = await accessToken(inputs, options, log);
    const { outcome, attempts } = await createCloudbaseService(inputs, token, options);
    if (outcome.errcode !== 0) throw new CallFailed(describeFailure(CREATE_SERVICE, outcome, attempts), outcome);

    report = { ...report, ...answered(outcome), created: true, result: 'created' };
    log.info(`Created service "${service.service_name}"${outcome.rid !== '' ? ` (rid: ${outcome.rid})` : ''}.`);
  } catch (error) {
    if (error instanceof CallFailed && error.outcome !== undefined) report = { ...report, ...answered(error.outcome) };
    report.result = log.clean(messageOf(error));
    log.fail(report.result);
  } finally {
    setOutputs(report, log);
    await writeSummary(report, log);
  }
}

/** The outputs that come from WeChat's answer, from whichever call it answered. */
function answered(outcome: Outcome): Pick<Report, 'errcode' | 'errmsg' | 'rid'> {
  return { errcode: String(outcome.errcode), errmsg: outcome.errmsg, rid: outcome.rid };
}

function validInputs(raw: ReturnType<typeof readRawInputs>, log: Log): Inputs {
  const parsed = parseInputs(raw);
  if (parsed.ok) return parsed.inputs;
  for (const problem of parsed.problems) log.error(problem);
  const count = parsed.problems.length;
  throw new CallFailed(`${count} invalid input${count > 1 ? 's' : ''} (see the errors above); nothing was sent to WeChat`);
}

async function accessToken(inputs: Inputs, options: CallOptions, log: Log): Promise<string> {
  const { credentials } = inputs;
  if (credentials.kind === 'token') return credentials.accessToken;
  const token = await obtainComponentToken(credentials, inputs.apiBaseUrl, options);
  log.hide([token]);
  log.info('Obtained a component_access_token (masked).');
  return token;
}

/** Shows exactly what would be sent, with every secret replaced by ***. */
function showDryRun(inputs: Inputs, log: Log): void {
  const show = (value: unknown) => {
    for (const line of JSON.stringify(value, null, 2).split('\n')) log.info(line);
  };
  log.info('Dry run: the inputs are valid; nothing is sent to WeChat.');
  if (inputs.credentials.kind === 'component') {
    log.info(`Would POST ${endpoint(inputs.apiBaseUrl, COMPONENT_TOKEN).href} with:`);
    show({
      component_appid: inputs.credentials.appid,
      component_appsecret: '***',
      component_verify_ticket: '***',
    });
  }
  const body = createServiceBody(inputs.service);
  const esInfo = body.es_info?.password === undefined ? body.es_info : { ...body.es_info, password: '***' };
  log.info(`Would POST ${endpoint(inputs.apiBaseUrl, CREATE_SERVICE).href}?access_token=*** with:`);
  show({ ...body, ...(esInfo !== undefined && { es_info: esInfo }) });
}

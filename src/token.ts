import { callWeChat, showRequest, type Api } from './client.ts';
import { CallFailed } from './errors.ts';
import type { Credentials, Inputs } from './inputs.ts';
import type { Log } from './log.ts';
import { COMPONENT_TOKEN, describeFailure } from './wechat.ts';

/**
 * The API this run calls, with its component_access_token: the one given, or one obtained
 * from the platform's credentials (SPEC §1.6). `nothingDone` ends the token step's failure
 * line: what has not happened yet when it fails.
 */
export async function connect(inputs: Inputs<unknown>, log: Log, nothingDone: string): Promise<Api> {
  const api: Api = {
    base: inputs.apiBaseUrl,
    token: undefined,
    timeoutSeconds: inputs.timeoutSeconds,
    maxAttempts: inputs.maxAttempts,
    log,
  };
  const { credentials } = inputs;
  const token = credentials.kind === 'token' ? credentials.accessToken : await obtainComponentToken(api, credentials, nothingDone);
  return { ...api, token };
}

/** Exchanges the platform's credentials for a component_access_token; the token is masked before anything else is printed. */
export async function obtainComponentToken(
  api: Api,
  credentials: Extract<Credentials, { kind: 'component' }>,
  nothingDone: string,
): Promise<string> {
  const call = { ...COMPONENT_TOKEN, failed: `${COMPONENT_TOKEN.name} failed (the token step: ${nothingDone})` };
  const { answer, outcome, attempts } = await callWeChat({ ...api, token: undefined }, call, tokenRequestBody(credentials));
  const token = answer.component_access_token;
  if (token !== undefined && token !== '') {
    api.log.hide([token]);
    // Each exchange may end the platform's previous token about 5 minutes later (SPEC §1.6).
    api.log.notice(
      'Obtained a new component_access_token (masked). WeChat may end the previous token about 5 minutes later: ' +
        "if the platform's own backend uses it, pass access_token from the platform's token service instead.",
    );
    return token;
  }
  if (outcome.errcode === 0) throw new CallFailed(`${call.failed}: WeChat answered without a component_access_token`);
  throw new CallFailed(describeFailure(call, outcome, attempts), outcome);
}

/** For a dry run: the token request, when the action would make one. */
export function showTokenRequest(inputs: Inputs<unknown>, log: Log): void {
  const { credentials } = inputs;
  if (credentials.kind !== 'component') return;
  showRequest(log, inputs.apiBaseUrl, COMPONENT_TOKEN, tokenRequestBody(credentials));
}

const tokenRequestBody = (credentials: Extract<Credentials, { kind: 'component' }>) => ({
  component_appid: credentials.appid,
  component_appsecret: credentials.appsecret,
  component_verify_ticket: credentials.verifyTicket,
});

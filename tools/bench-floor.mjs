// The floor for `npm run bench`: the create action's success path with Node built-ins only. It
// reads the INPUT_* variables, POSTs the same two calls with node:http(s) (the lookup, then the
// create), and appends the outputs to GITHUB_OUTPUT; no validation, masking, retries or summary.
// Plain .mjs: no type stripping.
import { appendFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? '').trim();

/** POSTs `body` to one call and resolves with its parsed answer. */
function post(call, body) {
  const url = new URL(`/componenttcb/${call}`, input('api_base_url') || 'https://api.weixin.qq.com');
  url.searchParams.set('access_token', input('access_token'));
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      let answer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (answer += chunk));
      response.on('end', () => resolve(JSON.parse(answer)));
    });
    request.end(text);
  });
}

const listed = await post('getcslist', { env: input('env_id'), offset: 0, limit: 20 });
if (!listed.cslist.some((service) => service.server_name === input('service_name'))) {
  const answer = await post('establishcloudbaserunserver', {
    env_id: input('env_id'),
    service_name: input('service_name'),
    is_public: input('is_public') === 'true',
  });
  const rid = /rid: (\S+)/.exec(answer.errmsg)?.[1] ?? '';
  appendFileSync(
    process.env.GITHUB_OUTPUT,
    `errcode=${answer.errcode}\nerrmsg=${answer.errmsg}\nrid=${rid}\nenv_id=${input('env_id')}\n` +
      `service_name=${input('service_name')}\ncreated=${answer.errcode === 0}\n`,
  );
  if (answer.errcode !== 0) process.exitCode = 1;
}

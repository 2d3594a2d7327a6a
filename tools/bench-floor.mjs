// The floor for `npm run bench`: the action's success path with Node built-ins only. It reads
// the INPUT_* variables, POSTs the same body with node:http(s), and appends the outputs to
// GITHUB_OUTPUT; no validation, masking, retries or summary. Plain .mjs: no type stripping.
import { appendFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? '').trim();
const url = new URL('/componenttcb/establishcloudbaserunserver', input('api_base_url') || 'https://api.weixin.qq.com');
url.searchParams.set('access_token', input('access_token'));
const body = JSON.stringify({ env_id: input('env_id'), service_name: input('service_name'), is_public: input('is_public') === 'true' });

const request = (url.protocol === 'https:' ? https : http).request(url, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
});
request.on('response', (response) => {
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => (text += chunk));
  response.on('end', () => {
    const answer = JSON.parse(text);
    const rid = /rid: (\S+)/.exec(answer.errmsg)?.[1] ?? '';
    appendFileSync(
      process.env.GITHUB_OUTPUT,
      `errcode=${answer.errcode}\nerrmsg=${answer.errmsg}\nrid=${rid}\nenv_id=${input('env_id')}\n` +
        `service_name=${input('service_name')}\ncreated=${answer.errcode === 0}\n`,
    );
    if (answer.errcode !== 0) process.exitCode = 1;
  });
});
request.end(body);

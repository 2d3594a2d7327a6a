'use strict';
// Bundled in place of undici (tsconfig.json "paths", which ncc honours). @actions/http-client 4
// imports undici only for HttpClient.getAgentDispatcher, a fetch proxy dispatcher that neither
// this action nor @actions/core calls, yet evaluating undici cost about 40 ms of every start and
// two thirds of the bundle (npm run bench). Anything that does reach it fails loudly.
class ProxyAgent {
  constructor() {
    throw new Error('undici is not bundled with create-cloudbase-service: HttpClient.getAgentDispatcher is unavailable');
  }
}

module.exports = { ProxyAgent };

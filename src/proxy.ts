import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { getProxyUrl } from '@actions/http-client/lib/proxy';

/**
 * The proxy for a request to `url`: HTTPS_PROXY / HTTP_PROXY (either case) unless NO_PROXY
 * lists the host, read exactly as @actions/http-client reads them for other actions.
 * Loopback hosts never go through a proxy.
 */
export function proxyFor(url: URL): URL | undefined {
  const proxy = getProxyUrl(url);
  return proxy !== undefined && proxy.hostname !== '' ? proxy : undefined;
}

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'];

/** The passwords in the proxy variables, as written and decoded: as secret as the inputs. */
export function proxySecrets(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let url: URL;
    try {
      // Like @actions/http-client, a value without a scheme is taken as http://.
      url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
    } catch {
      continue;
    }
    if (url.password === '') continue;
    secrets.push(url.password);
    try {
      secrets.push(decodeURIComponent(url.password));
    } catch {
      // Not valid percent-encoding: only the written form can be sent, and it is masked.
    }
  }
  return [...new Set(secrets)];
}

/**
 * The agent for one request to `url`: a direct connection, or a CONNECT tunnel through the
 * proxy (with its basic credentials), then TLS to the target itself, so the proxy never
 * sees the request, the token in its query, or the answer.
 */
export function agentFor(url: URL): http.Agent {
  const secure = url.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  const proxy = proxyFor(url);
  if (proxy === undefined) return agent;

  const opening = new Set<http.ClientRequest>();
  agent.createConnection = (options, callback) => {
    const host = options.hostname ?? options.host ?? url.hostname;
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${options.port ?? url.port}`;
    const connect = (proxy.protocol === 'https:' ? https : http).request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: proxy.port === '' ? (proxy.protocol === 'https:' ? 443 : 80) : Number(proxy.port),
      method: 'CONNECT',
      path: target,
      agent: false,
      headers: { host: target, ...credentialsHeader(proxy) },
    });
    opening.add(connect);
    // The agent's callback takes no stream with an error.
    const give = callback as ((error: Error | null, stream?: Duplex) => void) | undefined;
    const done = (error: Error | null, stream?: Duplex) => {
      opening.delete(connect);
      give?.(error, stream);
    };
    connect.once('connect', (answer: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      if (answer.statusCode !== 200) {
        socket.destroy();
        const hint = answer.statusCode === 407 ? ': check the user and password in HTTPS_PROXY' : '';
        return done(new Error(`the proxy answered HTTP ${answer.statusCode} to CONNECT${hint}`));
      }
      if (head.length > 0) socket.unshift(head);
      if (!secure) return done(null, socket);
      // An IP address is not a valid TLS server name; the certificate is then checked against `host`.
      done(null, tls.connect({ socket, host, ...(net.isIP(host) === 0 && { servername: host }) }));
    });
    connect.once('error', (error) => done(new Error(`could not reach the proxy: ${error.message}`)));
    connect.end();
    return undefined;
  };
  const destroy = agent.destroy.bind(agent);
  agent.destroy = () => {
    for (const request of opening) request.destroy();
    destroy();
  };
  return agent;
}

function credentialsHeader(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  // getProxyUrl's URL gives username and password already decoded.
  return { 'proxy-authorization': `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')}` };
}

/**
 * A fake WeChat API on 127.0.0.1 for tests and `npm start`. It answers the two calls the
 * action makes the way the real API does (SPEC §1): token checks, parameter checks, the
 * documented errcodes and `rid: …` in every errmsg; it can misbehave on demand; and it
 * records every request it received. Node built-ins only.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export const CREATE_PATH = '/componenttcb/establishcloudbaserunserver';
export const TOKEN_PATH = '/cgi-bin/component/api_component_token';

/** Ways to misbehave, each for one request (see `failNext`) or for all (`failAlways`). */
export type Fault =
  | { kind: 'delay'; ms: number } // answers normally, after `ms`
  | { kind: 'reset' } // reads the request, then drops the connection without a word
  | { kind: 'reset-mid-body' } // sends the headers and half the body, then drops the connection
  | { kind: 'html-502' } // a gateway's HTML error page
  | { kind: 'echo-url-502' } // a gateway's error page that quotes the request URL, token and all
  | { kind: 'empty-503' } // 503 with an empty body
  | { kind: 'truncated-json' } // 200 with a JSON body cut short
  | { kind: 'not-object' } // 200 with JSON that is not an object
  | { kind: 'errcode-string' } // 200 with "errcode" as a string
  | { kind: 'busy' } // errcode -1
  | { kind: 'errcode'; errcode: number; errmsg: string }; // any other answer

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** What the fake answered, when it answered with JSON. */
  answer?: Record<string, unknown>;
}

export interface FakeWeChatOptions {
  /** Serve HTTPS with this key and certificate instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  port?: number;
}

export interface PlatformCredentials {
  appid: string;
  appsecret: string;
  verifyTicket: string;
}

export class FakeWeChat {
  readonly requests: ReceivedRequest[] = [];
  /** Tokens the fake accepts; tokens it issues are added here. */
  readonly tokens = new Set<string>(['test-component-access-token']);
  readonly expiredTokens = new Set<string>(['expired-component-access-token']);
  /** Environments whose app has not enabled CloudBase: 85088. */
  readonly environmentsWithoutCloudBase = new Set<string>();
  /** When set, callers whose IP is not listed get 61004, as on a platform with an IP whitelist. */
  ipWhitelist: string[] | undefined;
  platform: PlatformCredentials = {
    appid: 'wx-test-component-appid',
    appsecret: 'test-component-appsecret',
    verifyTicket: 'ticket@@@test-verify-ticket',
  };
  readonly expiredTickets = new Set<string>(['ticket@@@expired']);
  /** Services created, in order: `${env_id}/${service_name}`. */
  readonly created: string[] = [];

  private readonly queued: Fault[] = [];
  private always: Fault | undefined;
  private readonly sockets = new Set<Socket>();
  private issued = 0;
  private server: http.Server | undefined;

  /** The base URL to give the action as api_base_url. */
  url = '';

  async start(options: FakeWeChatOptions = {}): Promise<this> {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
      void this.handle(request, response);
    };
    const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Misbehave on the next requests, one fault each, in order. */
  failNext(...faults: Fault[]): void {
    this.queued.push(...faults);
  }

  /** Misbehave on every request until `reset()`. */
  failAlways(fault: Fault): void {
    this.always = fault;
  }

  reset(): void {
    this.requests.length = 0;
    this.created.length = 0;
    this.queued.length = 0;
    this.always = undefined;
    this.ipWhitelist = undefined;
    this.environmentsWithoutCloudBase.clear();
  }

  /** The requests to one path, e.g. CREATE_PATH. */
  requestsTo(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://fake');
    const received: ReceivedRequest = {
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      body,
    };
    this.requests.push(received);

    const fault = this.queued.shift() ?? this.always;
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (response.destroyed || request.socket.destroyed) return;
    if (fault !== undefined && fault.kind !== 'delay') return this.misbehave(fault, received, response);

    const callerIp = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    let answer: Record<string, unknown>;
    if (url.pathname === CREATE_PATH) answer = this.createService(received, callerIp);
    else if (url.pathname === TOKEN_PATH) answer = this.componentToken(received, callerIp);
    else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    received.answer = answer;
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
  }

  private misbehave(fault: Exclude<Fault, { kind: 'delay' }>, received: ReceivedRequest, response: http.ServerResponse): void {
    const json = (status: number, text: string): void => {
      response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(text);
    };
    switch (fault.kind) {
      case 'reset':
        response.socket?.resetAndDestroy();
        return;
      case 'reset-mid-body': {
        const text = JSON.stringify(error(0, 'ok'));
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': text.length });
        // A pause first: a reset on Linux discards what the client has not read yet.
        response.write(text.slice(0, text.length / 2), () => setTimeout(() => response.socket?.resetAndDestroy(), 50));
        return;
      }
      case 'html-502':
        response
          .writeHead(502, { 'Content-Type': 'text/html' })
          .end('<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n');
        return;
      case 'echo-url-502':
        response
          .writeHead(502, { 'Content-Type': 'text/html' })
          .end(`<html><body>upstream failed for ${received.path}?${new URLSearchParams(received.query)}</body></html>`);
        return;
      case 'empty-503':
        response.writeHead(503).end();
        return;
      case 'truncated-json':
        return json(200, JSON.stringify(error(0, 'ok')).slice(0, 12));
      case 'not-object':
        return json(200, '["errcode", 0]');
      case 'errcode-string':
        return json(200, JSON.stringify({ errcode: '0', errmsg: `ok rid: ${rid()}` }));
      case 'busy':
        received.answer = error(-1, 'system error');
        return json(200, JSON.stringify(received.answer));
      case 'errcode':
        received.answer = error(fault.errcode, fault.errmsg);
        return json(200, JSON.stringify(received.answer));
    }
  }

  private ipProblem(callerIp: string): Record<string, unknown> | undefined {
    if (this.ipWhitelist === undefined || this.ipWhitelist.includes(callerIp)) return undefined;
    return error(61004, `access clientip is not registered requestIP: ${callerIp}`);
  }

  private createService(request: ReceivedRequest, callerIp: string): Record<string, unknown> {
    if (request.method !== 'POST') return error(43002, 'require POST method');
    const token = request.query['access_token'];
    if (token === undefined || token === '') return error(41001, 'access_token missing');
    if (this.expiredTokens.has(token)) return error(42001, 'access_token expired');
    if (!this.tokens.has(token)) return error(40014, 'invalid access_token');
    const ipProblem = this.ipProblem(callerIp);
    if (ipProblem) return ipProblem;
    if (request.body === '') return error(44002, 'empty post data');
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return error(47001, 'data format error');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return error(47001, 'data format error');
    const fields = body as Record<string, unknown>;
    for (const required of ['env_id', 'service_name', 'is_public']) {
      if (!(required in fields)) return error(40101, `missing parameter ${required}`);
    }
    const wrong = wrongField(fields);
    if (wrong !== undefined) return error(40097, `invalid args ${wrong}`);
    const envId = fields['env_id'] as string;
    if (this.environmentsWithoutCloudBase.has(envId)) return error(85088, 'no qbase privilege');
    this.created.push(`${envId}/${String(fields['service_name'])}`);
    return error(0, 'ok');
  }

  private componentToken(request: ReceivedRequest, callerIp: string): Record<string, unknown> {
    if (request.method !== 'POST') return error(43002, 'require POST method');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body) as Record<string, unknown>;
    } catch {
      return error(47001, 'data format error');
    }
    if (typeof body['component_appid'] !== 'string') return error(41002, 'appid missing');
    if (typeof body['component_appsecret'] !== 'string') return error(41004, 'appsecret missing');
    if (typeof body['component_verify_ticket'] !== 'string') return error(61006, 'component ticket is invalid');
    const ipProblem = this.ipProblem(callerIp);
    if (ipProblem) return ipProblem;
    if (body['component_appid'] !== this.platform.appid || body['component_appsecret'] !== this.platform.appsecret) {
      return error(40001, 'invalid credential, access_token is invalid or not latest');
    }
    const ticket = body['component_verify_ticket'];
    if (this.expiredTickets.has(ticket)) return error(61005, 'component ticket is expired');
    if (ticket !== this.platform.verifyTicket) return error(61006, 'component ticket is invalid');
    this.issued += 1;
    const token = `issued-component-access-token-${this.issued}-${randomBytes(8).toString('hex')}`;
    this.tokens.add(token);
    return { component_access_token: token, expires_in: 7200 };
  }
}

/** A port on 127.0.0.1 that nothing listens on: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startFakeWeChat(options: FakeWeChatOptions = {}): Promise<FakeWeChat> {
  return new FakeWeChat().start(options);
}

/** WeChat's answer shape; like the real API, every errmsg ends in a request id. */
function error(errcode: number, errmsg: string): Record<string, unknown> {
  return { errcode, errmsg: `${errmsg} rid: ${rid()}` };
}

function rid(): string {
  return [4, 4, 4].map((n) => randomBytes(n).toString('hex')).join('-');
}

/** The field whose type the real API rejects with 40097, if any. */
function wrongField(fields: Record<string, unknown>): string | undefined {
  const isString = (v: unknown) => typeof v === 'string';
  const isNumber = (v: unknown) => typeof v === 'number';
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const checks: Record<string, (v: unknown) => boolean> = {
    env_id: (v) => isString(v) && v !== '',
    service_name: (v) => isString(v) && v !== '',
    is_public: (v) => typeof v === 'boolean',
    image_repo: isString,
    remark: isString,
    es_info: (v) => isObject(v) && fieldsMatch(v as Record<string, unknown>, { id: isNumber, port: isNumber }, isString),
    log_type: (v) => v === 'es' || v === 'cls',
    vpc_info: (v) =>
      isObject(v) &&
      fieldsMatch(
        v as Record<string, unknown>,
        { subnet_ids: (ids) => Array.isArray(ids) && ids.every(isString), create_type: isNumber },
        isString,
      ),
    public_access: (v) => v === 0 || v === 1,
  };
  for (const [name, value] of Object.entries(fields)) {
    const check = checks[name];
    if (check === undefined || !check(value)) return name;
  }
  return undefined;
}

function fieldsMatch(
  object: Record<string, unknown>,
  special: Record<string, (v: unknown) => boolean>,
  otherwise: (v: unknown) => boolean,
): boolean {
  return Object.entries(object).every(([key, value]) => (special[key] ?? otherwise)(value));
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

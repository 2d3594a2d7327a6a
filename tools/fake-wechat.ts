/**
 * A fake WeChat API on 127.0.0.1 for tests and `npm start`. It answers the calls the
 * actions make the way the real API does (SPEC §1): token checks, parameter checks with
 * each call's own field names, the documented errcodes and `rid: …` in every errmsg; it
 * keeps services and their versions per environment, so one call sees what another did;
 * it can misbehave on demand; and it records every request it received (and, given `log`,
 * shows each in one line with its secrets blanked). Node built-ins only.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export const CREATE_PATH = '/componenttcb/establishcloudbaserunserver';
export const LIST_SERVICES_PATH = '/componenttcb/getcslist';
export const LIST_VERSIONS_PATH = '/componenttcb/getcsversionlist';
export const DELETE_SERVICE_PATH = '/componenttcb/delcontainerservice';
export const DELETE_VERSION_PATH = '/componenttcb/deletecloudbaserunserverversion';
export const CREATE_VERSION_PATH = '/componenttcb/createcloudbaserunserverversion';
export const RELEASE_VERSION_PATH = '/componenttcb/releasecloudbaserunversion';
export const SET_TRAFFIC_PATH = '/componenttcb/setcspropotion';
export const TOKEN_PATH = '/cgi-bin/component/api_component_token';

/** Ways to answer other than the API would, without acting (except `act-then`). */
export type Misbehaviour =
  | { kind: 'delay'; ms: number } // answers normally, after `ms` (nothing happens if the caller left before)
  | { kind: 'reset' } // reads the request, then drops the connection without a word
  | { kind: 'reset-mid-body' } // sends the headers and half the body, then drops the connection
  | { kind: 'html-502' } // a gateway's HTML error page
  | { kind: 'echo-url-502' } // a gateway's error page that quotes the request URL, token and all
  | { kind: 'empty-503' } // 503 with an empty body
  | { kind: 'truncated-json' } // 200 with a JSON body cut short
  | { kind: 'not-object' } // 200 with JSON that is not an object
  | { kind: 'errcode-string' } // 200 with "errcode" as a string
  | { kind: 'busy' } // errcode -1
  | { kind: 'errcode'; errcode: number; errmsg: string; rid?: false } // any other answer; `rid: false` sends errmsg as is
  | { kind: 'echo-request'; errcode: number } // errmsg quotes the raw request body as a JSON string, as WeChat does for some 40097s
  | { kind: 'raw'; status: number; body: string | Buffer; headers?: Record<string, string> }; // exactly this answer

/**
 * One fault per request (see `failNext`) or for all (`failAlways`); with `path`, only for
 * requests to that path. `act-then` does the call (state changes, the request records the
 * answer it would have given) and then misbehaves instead of answering: an outcome the
 * caller cannot know.
 */
export type Fault = (Misbehaviour | { kind: 'act-then'; fault: Misbehaviour }) & { path?: string };

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The parsed body, when it is JSON. */
  json?: unknown;
  /** What the fake answered, when it answered with JSON (with `act-then`: what it would have answered). */
  answer?: Record<string, unknown>;
}

export interface FakeWeChatOptions {
  /** Serve HTTPS with this key and certificate instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  port?: number;
  /**
   * Called with one line per request: `POST /componenttcb/getcslist?access_token=*** {"env":"…"} → {"errcode":0,…}`,
   * the query's values, the secret fields (SECRET_FIELDS) and the errmsg of a fault that echoes the request blanked.
   */
  log?: (line: string) => void;
}

/** Fields whose value a log line never shows, in a request's body or an answer, at any depth. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'component_appsecret',
  'component_verify_ticket',
  'component_access_token',
  'access_token',
]);

/**
 * How long a traffic change (releasecloudbaserunversion, setcspropotion) takes to show in
 * getcsversionlist: that many reads of the service, or that many ms, whichever ends first.
 */
export interface TrafficDelay {
  reads?: number;
  ms?: number;
}

export interface PlatformCredentials {
  appid: string;
  appsecret: string;
  verifyTicket: string;
}

/**
 * A step of a new version's life: it lasts `reads` getcsversionlist reads that list the
 * version, or `ms` since it began, whichever ends first; the last step never ends.
 */
export interface LifecycleStep {
  status: string;
  reads?: number;
  ms?: number;
}

/** A version as getcsversionlist lists it. */
export interface VersionState {
  version_name: string;
  status: string;
  created_time: string;
  updated_time: string;
  flow_ratio: number;
  buildid: number;
  upload_type: string;
  min_replicas: number;
  max_replicas: number;
}

export interface VersionSeed {
  version_name: string;
  /** Permanent; default `normal`. */
  status?: string;
  /** Default 0; taken as given (the other versions' shares are left alone). */
  flow_ratio?: number;
  /**
   * `"2020-12-07 21:30:44"` (Beijing time, as WeChat shows it) or ms since the epoch. Default: addService
   * spaces its seeds one second apart in seed order, the last one a second before now, so a version created
   * through the API is newer than every seed; addVersion dates its version now.
   */
  created_time?: string | number;
}

export const DEFAULT_LIFECYCLE: readonly LifecycleStep[] = [{ status: 'building', reads: 2 }, { status: 'normal' }];

interface Version {
  name: string;
  /** Its share of the service's traffic as the list shows it now. */
  flowRatio: number;
  /** The flow_ratio its create asked for, taken when it starts serving. */
  requestedRatio: number;
  /** Whether it has been `normal` (a seed counts as serving from the start): the share rule applies once. */
  serving: boolean;
  uploadType: string;
  minReplicas: number;
  maxReplicas: number;
  buildid: number;
  created: number;
  steps: LifecycleStep[];
  step: number;
  stepStarted: number;
  readsInStep: number;
}

interface Service {
  created: number;
  updated: number;
  versions: Version[];
  /** The number in the last version name given, `${name}-NNN`. */
  lastVersionNumber: number;
  /** A traffic change accepted but not showing yet (see `trafficDelay`). */
  pendingTraffic: PendingTraffic | undefined;
}

interface PendingTraffic {
  /** Version → share; a version left out gets 0. */
  split: Map<string, number>;
  since: number;
  /** getcsversionlist reads of the service since the change. */
  readsSeen: number;
  reads: number | undefined;
  ms: number | undefined;
}

type Answer = Record<string, unknown>;
type Fields = Record<string, unknown>;
type Check = (value: unknown) => boolean;

/** What one componenttcb call accepts, and what it does once every shared check passed. */
interface Call {
  /** The field naming the environment (it differs between WeChat's two generations). */
  env: 'env' | 'env_id';
  required: readonly string[];
  /** Every field the call knows; any other field is 40097. */
  fields: Record<string, Check>;
  /** A rule across fields, checked after each field's own: the field to blame. */
  across?: (fields: Fields) => string | undefined;
  act: (fields: Fields) => Answer;
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
  /** Services created through the API, in order: `${env_id}/${service_name}`. */
  readonly created: string[] = [];
  /** The most items one list page holds, whatever `limit` asks (whether WeChat caps is undocumented). */
  pageCap: number | undefined;
  /** The statuses a version created through the API goes through; taken when it is created. */
  versionLifecycle: LifecycleStep[] = copySteps(DEFAULT_LIFECYCLE);
  /** Version creates answer without `version_name`, as SPEC §1.4 allows while `result` is `creating`. */
  omitVersionName = false;
  /** How long a traffic change takes to show in getcsversionlist; none: at once. */
  trafficDelay: TrafficDelay | undefined;

  private readonly state = new Map<string, Map<string, Service>>();
  private readonly queued: Fault[] = [];
  private always: Fault | undefined;
  private readonly sockets = new Set<Socket>();
  private issued = 0;
  private builds = 0;
  private releaseOrders = 0;
  private readonly hooks: Array<{ path: string; action: () => void }> = [];
  private log: ((line: string) => void) | undefined;
  private server: http.Server | undefined;

  /** The base URL to give the action as api_base_url. */
  url = '';

  private readonly calls: Record<string, Call> = {
    [CREATE_PATH]: {
      env: 'env_id',
      required: ['env_id', 'service_name', 'is_public'],
      fields: {
        env_id: isName,
        service_name: isName,
        is_public: isBoolean,
        image_repo: isString,
        remark: isString,
        es_info: objectOf({ id: isNumber, port: isNumber }, isString),
        log_type: oneOf('es', 'cls'),
        vpc_info: objectOf({ subnet_ids: (ids) => Array.isArray(ids) && ids.every(isString), create_type: isNumber }, isString),
        public_access: oneOf(0, 1),
      },
      act: (fields) => this.establish(fields),
    },
    [LIST_SERVICES_PATH]: {
      env: 'env',
      required: ['env'],
      fields: { env: isName, offset: isCount, limit: isPageSize },
      act: (fields) => this.listServices(fields),
    },
    [LIST_VERSIONS_PATH]: {
      env: 'env',
      required: ['env', 'service_name'],
      fields: { env: isName, service_name: isName, offset: isCount, limit: isPageSize },
      act: (fields) => this.listVersions(fields),
    },
    [DELETE_SERVICE_PATH]: {
      env: 'env',
      required: ['env', 'service_name'],
      fields: { env: isName, service_name: isName },
      act: (fields) => this.deleteService(fields),
    },
    [DELETE_VERSION_PATH]: {
      env: 'env_id',
      required: ['env_id', 'server_name', 'version_name'],
      fields: { env_id: isName, server_name: isName, version_name: isName, is_delete_server: isBoolean, is_delete_image: isBoolean },
      act: (fields) => this.deleteVersion(fields),
    },
    [CREATE_VERSION_PATH]: {
      env: 'env_id',
      required: [
        'env_id',
        'server_name',
        'upload_type',
        'flow_ratio',
        'cpu',
        'mem',
        'min_num',
        'max_num',
        'policy_type',
        'policy_threshold',
        'container_port',
      ],
      fields: {
        env_id: isName,
        server_name: isName,
        upload_type: oneOf('image', 'package', 'repository', 'jar', 'war'),
        flow_ratio: numberIn(0, 100),
        cpu: isPositive,
        mem: isPositive,
        min_num: numberIn(0, Infinity),
        max_num: numberIn(0, 50),
        policy_type: isName,
        policy_threshold: isPositive,
        container_port: (v) => Number.isInteger(v) && numberIn(1, 65535)(v),
        image_info: objectOf({ image_url: isString }),
        // A JSON object in a string, not an object: SPEC §1.4.
        env_params: (v) => typeof v === 'string' && isObject(parseJson(v)?.value),
        version_remark: isString,
        image_secret_info: objectOf({ registry_server: isString, user_name: isString, password: isString, email: isString }),
      },
      across: (fields) => ((fields['min_num'] as number) > (fields['max_num'] as number) ? 'min_num' : undefined),
      act: (fields) => this.createVersion(fields),
    },
    [RELEASE_VERSION_PATH]: {
      env: 'env_id',
      required: ['env_id', 'server_name', 'release_version'],
      fields: { env_id: isName, server_name: isName, release_version: isName },
      act: (fields) => this.releaseVersion(fields),
    },
    [SET_TRAFFIC_PATH]: {
      env: 'env',
      required: ['env', 'service_name', 'items'],
      fields: { env: isName, service_name: isName, items: isTrafficItems },
      act: (fields) => this.setTraffic(fields),
    },
  };

  async start(options: FakeWeChatOptions = {}): Promise<this> {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
      void this.handle(request, response);
    };
    const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A port in use rejects (EADDRINUSE) instead of throwing from an event.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.log = options.log;
    const { port } = server.address() as AddressInfo;
    this.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Misbehave on the next requests (to `path`, for a fault that has one), one fault each, in order. */
  failNext(...faults: Fault[]): void {
    this.queued.push(...faults);
  }

  /** Misbehave on every request (to `path`, when the fault has one) until `reset()`. */
  failAlways(fault: Fault): void {
    this.always = fault;
  }

  /**
   * Runs `action` once, right after the next request to `path` has been answered by the API's logic (a
   * refusal too; not a fault that does not act) and before the answer is sent: another run acting between
   * two calls. Hooks added by an action wait for the request after.
   */
  after(path: string, action: () => void): void {
    this.hooks.push({ path, action });
  }

  /** Forgets requests, services, faults, hooks and knobs; tokens and platform credentials stay. */
  reset(): void {
    this.requests.length = 0;
    this.created.length = 0;
    this.queued.length = 0;
    this.always = undefined;
    this.ipWhitelist = undefined;
    this.environmentsWithoutCloudBase.clear();
    this.state.clear();
    this.pageCap = undefined;
    this.versionLifecycle = copySteps(DEFAULT_LIFECYCLE);
    this.omitVersionName = false;
    this.trafficDelay = undefined;
    this.hooks.length = 0;
  }

  /** The requests to one path, e.g. CREATE_PATH. */
  requestsTo(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** A service that exists before the test, with versions in a permanent status. Not added to `created`. */
  addService(env: string, name: string, versions: VersionSeed[] = []): void {
    const services = this.servicesOf(env);
    if (services.has(name)) throw new Error(`fake WeChat: ${env}/${name} exists already`);
    const now = Date.now();
    const service: Service = { created: now, updated: now, versions: [], lastVersionNumber: 0, pendingTraffic: undefined };
    // A second apart, the last one a second before this second began: every later version is newer.
    const base = Math.floor(now / 1000) * 1000 - versions.length * 1000;
    versions.forEach((seed, index) => {
      service.versions.push(this.seedVersion(seed, base + index * 1000));
    });
    services.set(name, service);
  }

  /**
   * A version in a permanent status added to an existing service, as another run would create it: dated
   * now (unless the seed says), and the service's own numbering moves past a `${service}-NNN` name.
   */
  addVersion(env: string, name: string, seed: VersionSeed): void {
    const service = this.state.get(env)?.get(name);
    if (service === undefined) throw new Error(`fake WeChat: ${env}/${name} does not exist`);
    if (service.versions.some((version) => version.name === seed.version_name)) {
      throw new Error(`fake WeChat: ${env}/${name} has a version ${seed.version_name} already`);
    }
    const now = Date.now();
    service.versions.push(this.seedVersion(seed, now));
    const number = seed.version_name.slice(name.length + 1);
    if (seed.version_name.startsWith(`${name}-`) && /^\d+$/.test(number)) {
      service.lastVersionNumber = Math.max(service.lastVersionNumber, Number(number));
    }
    service.updated = now;
  }

  /** The names of the services in an environment, in creation order. */
  services(env: string): string[] {
    return [...(this.state.get(env)?.keys() ?? [])];
  }

  /** A service's versions as getcsversionlist would list them now, without counting as a read. */
  versions(env: string, name: string): VersionState[] {
    const service = this.state.get(env)?.get(name);
    if (service === undefined) return [];
    advance(service, Date.now());
    return service.versions.map(describeVersion);
  }

  /** Each version's share of the service's traffic as getcsversionlist would list it now, without counting as a read. */
  trafficOf(env: string, name: string): Record<string, number> {
    return Object.fromEntries(this.versions(env, name).map((version) => [version.version_name, version.flow_ratio]));
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
    const parsed = parseJson(body);
    if (parsed !== undefined) received.json = parsed.value;
    this.requests.push(received);

    const gone = () => response.destroyed || request.socket.destroyed;
    const fault = this.takeFault(received.path);
    if (fault?.kind === 'delay') await sleep(fault.ms);
    if (gone()) return this.logRequest(received, 'not answered: the caller left');
    if (fault !== undefined && fault.kind !== 'delay' && fault.kind !== 'act-then') {
      this.logRequest(received, describeFault(fault));
      return this.misbehave(fault, received, response);
    }

    const callerIp = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const answer = this.answer(received, callerIp);
    if (answer !== undefined) {
      received.answer = answer;
      this.runHooks(received.path);
    }
    const shown = answer === undefined ? '404 not found' : JSON.stringify(blankSecrets(answer));
    if (fault?.kind === 'act-then') {
      if (fault.fault.kind !== 'delay') {
        this.logRequest(received, `${shown}, not sent: ${describeFault(fault.fault)}`);
        return this.misbehave(fault.fault, received, response);
      }
      await sleep(fault.fault.ms);
      if (gone()) return this.logRequest(received, `${shown}, not sent: the caller left`);
    }
    this.logRequest(received, shown);
    if (answer === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
  }

  /** The hooks waiting for this path, each once; one that throws fails the test as an uncaught error. */
  private runHooks(path: string): void {
    const due = this.hooks.filter((hook) => hook.path === path);
    if (due.length === 0) return;
    this.hooks.splice(0, this.hooks.length, ...this.hooks.filter((hook) => hook.path !== path));
    for (const hook of due) {
      try {
        hook.action();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** One line for `log`: the request with its token and secrets blanked, then what became of it. */
  private logRequest(received: ReceivedRequest, outcome: string): void {
    if (this.log === undefined) return;
    const names = Object.keys(received.query);
    const query = names.length > 0 ? `?${names.map((name) => `${name}=***`).join('&')}` : '';
    const body = received.body === '' ? '' : ` ${showBody(received)}`;
    this.log(`${received.method} ${received.path}${query}${body} → ${outcome}`);
  }

  /** The first queued fault for this path, else the standing one if it applies. */
  private takeFault(path: string): Fault | undefined {
    const applies = (fault: Fault) => fault.path === undefined || fault.path === path;
    const index = this.queued.findIndex(applies);
    if (index >= 0) return this.queued.splice(index, 1)[0];
    return this.always !== undefined && applies(this.always) ? this.always : undefined;
  }

  /** What the API answers, acting on it; undefined for a path it does not serve. */
  private answer(received: ReceivedRequest, callerIp: string): Answer | undefined {
    if (received.path === TOKEN_PATH) return this.componentToken(received, callerIp);
    const call = this.calls[received.path];
    if (call === undefined) return undefined;
    const checked = this.check(call, received, callerIp);
    return 'refusal' in checked ? checked.refusal : call.act(checked.fields);
  }

  private misbehave(fault: Exclude<Misbehaviour, { kind: 'delay' }>, received: ReceivedRequest, response: http.ServerResponse): void {
    const json = (status: number, text: string): void => {
      response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(text);
    };
    // After `act-then` the answer it would have given is cut short, and stays recorded as is.
    const text = JSON.stringify(received.answer ?? error(0, 'ok'));
    switch (fault.kind) {
      case 'reset':
        response.socket?.resetAndDestroy();
        return;
      case 'reset-mid-body': {
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        // A pause first: a reset on Linux discards what the client has not read yet.
        response.write(text.slice(0, text.length / 2), () => setTimeout(() => response.socket?.resetAndDestroy(), 50));
        return;
      }
      case 'html-502':
        response
          .writeHead(502, { 'Content-Type': 'text/html' })
          .end(
            '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n',
          );
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
        json(200, text.slice(0, 12));
        return;
      case 'not-object':
        json(200, '["errcode", 0]');
        return;
      case 'errcode-string':
        json(200, JSON.stringify({ errcode: '0', errmsg: `ok rid: ${rid()}` }));
        return;
      case 'busy': {
        const answer = error(-1, 'system error');
        received.answer ??= answer;
        json(200, JSON.stringify(answer));
        return;
      }
      case 'errcode': {
        const answer = fault.rid === false ? { errcode: fault.errcode, errmsg: fault.errmsg } : error(fault.errcode, fault.errmsg);
        received.answer ??= answer;
        json(200, JSON.stringify(answer));
        return;
      }
      case 'echo-request': {
        // The raw body as a JSON string inside errmsg: a secret in it arrives escaped twice over.
        const answer = error(fault.errcode, `invalid args, request: ${JSON.stringify(received.body)}`);
        received.answer ??= answer;
        json(200, JSON.stringify(answer));
        return;
      }
      case 'raw':
        response.writeHead(fault.status, fault.headers ?? {}).end(fault.body);
        return;
    }
  }

  private ipProblem(callerIp: string): Answer | undefined {
    if (this.ipWhitelist === undefined || this.ipWhitelist.includes(callerIp)) return undefined;
    return error(61004, `access clientip is not registered requestIP: ${callerIp}`);
  }

  /** The checks every componenttcb call makes, in the real API's order, before it acts. */
  private check(call: Call, request: ReceivedRequest, callerIp: string): { refusal: Answer } | { fields: Fields } {
    const refuse = (errcode: number, errmsg: string) => ({ refusal: error(errcode, errmsg) });
    if (request.method !== 'POST') return refuse(43002, 'require POST method');
    const token = request.query['access_token'];
    if (token === undefined || token === '') return refuse(41001, 'access_token missing');
    if (this.expiredTokens.has(token)) return refuse(42001, 'access_token expired');
    if (!this.tokens.has(token)) return refuse(40014, 'invalid access_token');
    const ipProblem = this.ipProblem(callerIp);
    if (ipProblem) return { refusal: ipProblem };
    if (request.body === '') return refuse(44002, 'empty post data');
    if (!isObject(request.json)) return refuse(47001, 'data format error');
    const fields = request.json as Fields;
    for (const required of call.required) {
      if (!(required in fields)) return refuse(40101, `missing parameter ${required}`);
    }
    for (const [name, value] of Object.entries(fields)) {
      const check = call.fields[name];
      if (check === undefined || !check(value)) return refuse(40097, `invalid args ${name}`);
    }
    const wrong = call.across?.(fields);
    if (wrong !== undefined) return refuse(40097, `invalid args ${wrong}`);
    if (this.environmentsWithoutCloudBase.has(fields[call.env] as string)) return refuse(85088, 'no qbase privilege');
    return { fields };
  }

  private establish(fields: Fields): Answer {
    const env = fields['env_id'] as string;
    const name = fields['service_name'] as string;
    const services = this.servicesOf(env);
    if (services.has(name)) return tcbError('ResourceInUse', 'service already exists');
    const now = Date.now();
    services.set(name, { created: now, updated: now, versions: [], lastVersionNumber: 0, pendingTraffic: undefined });
    this.created.push(`${env}/${name}`);
    return error(0, 'ok');
  }

  private listServices(fields: Fields): Answer {
    const services = [...this.servicesOf(fields['env'] as string)];
    const cslist = this.page(services, fields).map(([name, service]) => ({
      server_name: name,
      status: 'succ',
      vpcid: '',
      image_repo: '',
      created_time: wechatTime(service.created),
      updated_time: wechatTime(service.updated),
    }));
    return { ...error(0, 'ok'), total: services.length, cslist };
  }

  private listVersions(fields: Fields): Answer {
    const service = this.servicesOf(fields['env'] as string).get(fields['service_name'] as string);
    if (service === undefined) return tcbError('ResourceNotFound', 'service not found');
    const now = Date.now();
    advance(service, now);
    const listed = this.page(service.versions, fields);
    const items = listed.map(describeVersion);
    // The read counts after the page is taken, so one page never shows two states of the service.
    for (const version of listed) countRead(version, now);
    settle(service);
    if (service.pendingTraffic !== undefined) service.pendingTraffic.readsSeen += 1;
    return { ...error(0, 'ok'), total: service.versions.length, items };
  }

  private deleteService(fields: Fields): Answer {
    const services = this.servicesOf(fields['env'] as string);
    const name = fields['service_name'] as string;
    const service = services.get(name);
    if (service === undefined) return tcbError('ResourceNotFound', 'service not found');
    if (service.versions.length > 0) return tcbError('OperationDenied', 'service has versions, delete them first');
    services.delete(name);
    return error(0, 'ok');
  }

  private deleteVersion(fields: Fields): Answer {
    const services = this.servicesOf(fields['env_id'] as string);
    const name = fields['server_name'] as string;
    const service = services.get(name);
    if (service === undefined) return tcbError('ResourceNotFound', 'service not found');
    const index = service.versions.findIndex((version) => version.name === fields['version_name']);
    if (index < 0) return tcbError('ResourceNotFound', 'version not found');
    service.versions.splice(index, 1);
    service.updated = Date.now();
    // is_delete_server takes effect only when the last version goes (SPEC §1.3).
    if (fields['is_delete_server'] === true && service.versions.length === 0) services.delete(name);
    return { ...error(0, 'ok'), result: 'succ' };
  }

  private createVersion(fields: Fields): Answer {
    const name = fields['server_name'] as string;
    const service = this.servicesOf(fields['env_id'] as string).get(name);
    if (service === undefined) return tcbError('ResourceNotFound', 'service not found');
    let versionName: string;
    do {
      service.lastVersionNumber += 1;
      versionName = `${name}-${String(service.lastVersionNumber).padStart(3, '0')}`;
    } while (service.versions.some((version) => version.name === versionName));
    const now = Date.now();
    advance(service, now);
    const steps = this.versionLifecycle.length > 0 ? this.versionLifecycle : DEFAULT_LIFECYCLE;
    service.versions.push(
      this.newVersion(versionName, now, copySteps(steps), {
        flowRatio: 0,
        requestedRatio: fields['flow_ratio'] as number,
        serving: false,
        uploadType: fields['upload_type'] as string,
        minReplicas: fields['min_num'] as number,
        maxReplicas: fields['max_num'] as number,
      }),
    );
    // A lifecycle that starts `normal` serves at once.
    settle(service);
    service.updated = now;
    const runId = `run-${randomBytes(8).toString('hex')}`;
    return {
      ...error(0, 'ok'),
      result: 'creating',
      ...(!this.omitVersionName && { version_name: versionName }),
      run_id: runId,
    };
  }

  /** 全量发布: the version takes all of the service's traffic, once the traffic delay is over (SPEC §1.4a). */
  private releaseVersion(fields: Fields): Answer {
    const service = this.servicesOf(fields['env_id'] as string).get(fields['server_name'] as string);
    if (service === undefined) return tcbError('ResourceNotFound', 'service not found');
    advance(service, Date.now());
    const version = service.versions.find((candidate) => candidate.name === fields['release_version']);
    if (version === undefined) return tcbError('ResourceNotFound', 'version not found');
    // Accepted, yet not done: errcode 0 with result "failed" is a failure (SPEC §1.4a).
    if (statusOf(version) !== 'normal') return { ...error(0, 'ok'), result: 'failed' };
    this.releaseOrders += 1;
    this.changeTraffic(service, new Map([[version.name, 100]]));
    return { ...error(0, 'ok'), result: 'success', release_order_id: this.releaseOrders };
  }

  /** 流量配置: the split between versions, adding up to 100; a version left out gets 0 (SPEC §1.4a). */
  private setTraffic(fields: Fields): Answer {
    const service = this.servicesOf(fields['env'] as string).get(fields['service_name'] as string);
    if (service === undefined) return tcbError('ResourceNotFound', 'service not found');
    advance(service, Date.now());
    const split = new Map<string, number>();
    for (const item of fields['items'] as TrafficItem[]) {
      if (split.has(item.version_name)) return tcbError('InvalidParameter', `version ${item.version_name} is listed more than once`);
      if (!service.versions.some((version) => version.name === item.version_name)) return tcbError('ResourceNotFound', 'version not found');
      split.set(item.version_name, item.flow_ratio);
    }
    const sum = [...split.values()].reduce((total, share) => total + share, 0);
    if (sum !== 100) return tcbError('InvalidParameter', `the flow_ratio of the items add up to ${sum}, not 100`);
    for (const version of service.versions) {
      const status = statusOf(version);
      if ((split.get(version.name) ?? 0) > 0 && status !== 'normal') {
        return tcbError('InvalidParameter', `version ${version.name} is ${status}: only a normal version takes traffic`);
      }
    }
    this.changeTraffic(service, split);
    return error(0, 'ok');
  }

  /** A new split, at once or after `trafficDelay`; it replaces one still pending. */
  private changeTraffic(service: Service, split: Map<string, number>): void {
    const now = Date.now();
    service.updated = now;
    const delay = this.trafficDelay;
    if (delay?.reads === undefined && delay?.ms === undefined) {
      service.pendingTraffic = undefined;
      applySplit(service, split);
      return;
    }
    service.pendingTraffic = { split, since: now, readsSeen: 0, reads: delay.reads, ms: delay.ms };
  }

  private seedVersion(seed: VersionSeed, created: number): Version {
    const time = seed.created_time === undefined ? created : seedTime(seed.created_time);
    return this.newVersion(seed.version_name, time, [{ status: seed.status ?? 'normal' }], {
      flowRatio: seed.flow_ratio ?? 0,
      requestedRatio: seed.flow_ratio ?? 0,
      serving: true,
      uploadType: 'image',
      minReplicas: 0,
      maxReplicas: 5,
    });
  }

  private newVersion(
    name: string,
    now: number,
    steps: LifecycleStep[],
    settings: Pick<Version, 'flowRatio' | 'requestedRatio' | 'serving' | 'uploadType' | 'minReplicas' | 'maxReplicas'>,
  ): Version {
    this.builds += 1;
    return { name, ...settings, buildid: this.builds, created: now, steps, step: 0, stepStarted: now, readsInStep: 0 };
  }

  private servicesOf(env: string): Map<string, Service> {
    let services = this.state.get(env);
    if (services === undefined) {
      services = new Map();
      this.state.set(env, services);
    }
    return services;
  }

  /** One page of a list: `limit` (default 20) items from `offset`, no more than `pageCap`. */
  private page<T>(items: T[], fields: Fields): T[] {
    const offset = (fields['offset'] as number | undefined) ?? 0;
    const limit = Math.min((fields['limit'] as number | undefined) ?? 20, this.pageCap ?? Infinity);
    return items.slice(offset, offset + limit);
  }

  private componentToken(request: ReceivedRequest, callerIp: string): Answer {
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
function error(errcode: number, errmsg: string): Answer {
  return { errcode, errmsg: `${errmsg} rid: ${rid()}` };
}

/** A failure of the cloud underneath, as WeChat passes it on (SPEC §1.1). */
function tcbError(code: string, message: string): Answer {
  return error(-501000, `tcb api error TcbCode: [${code}] TcbMessage: [${message}]`);
}

function rid(): string {
  return [4, 4, 4].map((n) => randomBytes(n).toString('hex')).join('-');
}

/** `2020-12-07 21:30:44`, in Beijing time as WeChat shows it. */
function wechatTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function copySteps(steps: readonly LifecycleStep[]): LifecycleStep[] {
  return steps.map((step) => ({ ...step }));
}

/** Ends the time-based steps that are over by `now`; each next step starts when the last one ended. */
function advanceByTime(version: Version, now: number): void {
  for (;;) {
    const ms = version.steps[version.step]?.ms;
    if (version.step >= version.steps.length - 1 || ms === undefined || now - version.stepStarted < ms) return;
    version.stepStarted += ms;
    version.step += 1;
    version.readsInStep = 0;
  }
}

/** A getcsversionlist read that listed the version, after it was listed: it counts toward a `reads` step. */
function countRead(version: Version, now: number): void {
  version.readsInStep += 1;
  const reads = version.steps[version.step]?.reads;
  if (version.step < version.steps.length - 1 && reads !== undefined && version.readsInStep >= reads) {
    version.step += 1;
    version.stepStarted = now;
    version.readsInStep = 0;
  }
}

/**
 * Brings a service up to `now` without counting a read: the time-based steps of its versions, the shares
 * of those that started serving, and its pending traffic change once it is due.
 */
function advance(service: Service, now: number): void {
  for (const version of service.versions) advanceByTime(version, now);
  settle(service);
  const pending = service.pendingTraffic;
  if (pending === undefined) return;
  const byReads = pending.reads !== undefined && pending.readsSeen >= pending.reads;
  const byTime = pending.ms !== undefined && now - pending.since >= pending.ms;
  if (!byReads && !byTime) return;
  service.pendingTraffic = undefined;
  applySplit(service, pending.split);
}

/**
 * The share rule of a version created through the API, applied once, when it first shows `normal` (it has
 * 0 until then): it takes the flow_ratio X its create asked for, and the other versions' shares are scaled
 * to add up to 100 − X (largest remainder, in whole numbers; a tie goes to the version listed first). When
 * no other version has traffic it takes 100, as a service's only serving version serves everything; X = 0
 * leaves every share as it is. A failed version never serves and keeps 0.
 */
function settle(service: Service): void {
  for (const version of service.versions) {
    if (version.serving || statusOf(version) !== 'normal') continue;
    version.serving = true;
    const share = version.requestedRatio;
    if (share === 0) continue;
    const others = service.versions.filter((other) => other !== version && other.flowRatio > 0);
    if (others.length === 0) {
      version.flowRatio = 100;
      continue;
    }
    version.flowRatio = share;
    const scaled = largestRemainder(
      others.map((other) => other.flowRatio),
      100 - share,
    );
    others.forEach((other, index) => {
      other.flowRatio = scaled[index] ?? 0;
    });
  }
}

/** Whole numbers in proportion to `weights` that add up to `total`. */
function largestRemainder(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((weight) => (weight * total) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((value, index) => ({ index, remainder: value - Math.floor(value) })).sort((a, b) => b.remainder - a.remainder);
  for (const { index } of order) {
    if (left <= 0) break;
    shares[index] = (shares[index] ?? 0) + 1;
    left -= 1;
  }
  return shares;
}

/** Every version takes its share of the split; one left out gets 0. */
function applySplit(service: Service, split: Map<string, number>): void {
  for (const version of service.versions) version.flowRatio = split.get(version.name) ?? 0;
}

function statusOf(version: Version): string {
  return version.steps[version.step]?.status ?? 'normal';
}

/** A seed's created_time: WeChat's `2020-12-07 21:30:44` (Beijing time) or ms since the epoch. */
function seedTime(time: string | number): number {
  if (typeof time === 'number') return time;
  const ms = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(time) ? Date.parse(`${time.replace(' ', 'T')}+08:00`) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`fake WeChat: created_time ${JSON.stringify(time)} is not like "2020-12-07 21:30:44"`);
  return ms;
}

function describeVersion(version: Version): VersionState {
  return {
    version_name: version.name,
    status: statusOf(version),
    created_time: wechatTime(version.created),
    updated_time: wechatTime(version.step === 0 ? version.created : version.stepStarted),
    flow_ratio: version.flowRatio,
    buildid: version.buildid,
    upload_type: version.uploadType,
    min_replicas: version.minReplicas,
    max_replicas: version.maxReplicas,
  };
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

const isString: Check = (v) => typeof v === 'string';
const isName: Check = (v) => typeof v === 'string' && v !== '';
const isBoolean: Check = (v) => typeof v === 'boolean';
// A numeric string such as "80" is not a number: 40097.
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isPositive: Check = (v) => isNumber(v) && (v as number) > 0;
const isCount: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isPageSize: Check = (v) => Number.isInteger(v) && (v as number) >= 1;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface TrafficItem {
  version_name: string;
  flow_ratio: number;
}

/** setcspropotion's items: a non-empty array of `{version_name, flow_ratio}`, exactly those keys, flow_ratio a whole 0–100. */
const isTrafficItems: Check = (v) =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every(
    (item) =>
      isObject(item) &&
      Object.keys(item).length === 2 &&
      isName(item['version_name']) &&
      Number.isInteger(item['flow_ratio']) &&
      numberIn(0, 100)(item['flow_ratio']),
  );

function numberIn(min: number, max: number): Check {
  return (v) => isNumber(v) && (v as number) >= min && (v as number) <= max;
}

function oneOf(...values: unknown[]): Check {
  return (v) => values.includes(v);
}

/** An object whose keys pass their own check, or `otherwise` (none: unknown keys are invalid). */
function objectOf(special: Record<string, Check>, otherwise?: Check): Check {
  return (v) => isObject(v) && Object.entries(v).every(([key, value]) => (special[key] ?? otherwise)?.(value) === true);
}

/** What a log line says of a fault, never its body (one echoes the request, another the URL with its token). */
function describeFault(fault: Misbehaviour): string {
  switch (fault.kind) {
    case 'busy':
      return 'fault busy (errcode -1)';
    case 'errcode':
    case 'echo-request':
      return `fault ${fault.kind} (errcode ${fault.errcode})`;
    case 'raw':
      return `fault raw (HTTP ${fault.status})`;
    case 'delay':
      return `fault delay (${fault.ms} ms)`;
    default:
      return `fault ${fault.kind}`;
  }
}

/** A copy with the value of every SECRET_FIELDS field, at any depth, as `***`. */
function blankSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(blankSecrets);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SECRET_FIELDS.has(key) && typeof inner !== 'object' ? '***' : blankSecrets(inner)]),
  );
}

/** A secret field's string value in text that is not JSON (cut short, say), to its closing quote or the end. */
const SECRET_IN_TEXT = new RegExp(`("(?:${[...SECRET_FIELDS].join('|')})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"?`, 'g');

/** The body on one line: JSON with its secrets blanked; other text with a `"password": "…"` blanked and line breaks escaped. */
function showBody(received: ReceivedRequest): string {
  if (received.json !== undefined) return JSON.stringify(blankSecrets(received.json));
  return received.body.replace(SECRET_IN_TEXT, '$1"***"').replaceAll('\r', '\\r').replaceAll('\n', '\\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

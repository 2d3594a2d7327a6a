import * as http from 'node:http';
import * as https from 'node:https';
import { agentFor } from './proxy.ts';

export interface HttpAnswer {
  status: number;
  statusText: string;
  /** The Content-Encoding header; '' when there is none. WeChat sends none: the action asks for none. */
  contentEncoding: string;
  text: string;
}

/**
 * A POST that failed before an answer was read. `sent` tells whether the request
 * may have reached the server: only a request that was never sent is safe to repeat.
 */
export class TransportError extends Error {
  readonly sent: boolean;

  constructor(message: string, sent: boolean) {
    super(message);
    this.name = 'TransportError';
    this.sent = sent;
  }
}

// WeChat answers with a few hundred bytes; anything far larger is not its answer.
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * POSTs a JSON body and reads the whole answer, within `timeoutMs` for the attempt.
 * Errors never contain the URL: its query may hold a token.
 */
export function postJson(url: URL, body: string, timeoutMs: number): Promise<HttpAnswer> {
  const transport = url.protocol === 'https:' ? https : http;
  const agent = agentFor(url);
  return new Promise((resolve, reject) => {
    let sent = false;
    const fail = (error: unknown) => reject(new TransportError(describeNetworkError(error), sent));

    const request = transport.request(url, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        Accept: 'application/json',
        'User-Agent': 'create-cloudbase-service',
      },
    });
    const timer = setTimeout(() => {
      request.destroy();
      agent.destroy();
      fail(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const settle = () => clearTimeout(timer);

    // 'finish' means the whole request was handed to the operating system: from then on
    // the server may act on it, even if we never see its answer.
    request.on('finish', () => {
      sent = true;
    });
    // Set once the answer's headers arrived: a failure after that broke the answer, not the request.
    let answerStatus: number | undefined;
    const broken = () => {
      settle();
      fail(new Error(`the connection broke after HTTP ${answerStatus}, while the answer was being read`));
    };
    request.on('error', (error) => {
      if (answerStatus !== undefined) return broken();
      settle();
      fail(error);
    });
    request.on('response', (response) => {
      answerStatus = response.statusCode;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          settle();
          request.destroy();
          fail(new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('aborted', broken);
      response.on('error', broken);
      response.on('end', () => {
        settle();
        resolve({
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? '',
          contentEncoding: String(response.headers['content-encoding'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.end(body);
  });
}

/** What went wrong on the way, in words, with the remedy where there is one. Never the URL. */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, hostname } = error as NodeJS.ErrnoException & { hostname?: string };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup of ${hostname ?? 'the host'} failed (${code})`;
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return `${error.message}; a proxy that inspects TLS needs its CA certificate in NODE_EXTRA_CA_CERTS`;
  }
  if (code === 'ECONNRESET' || error.message === 'socket hang up') return 'the connection was reset before an answer arrived';
  return error.message;
}

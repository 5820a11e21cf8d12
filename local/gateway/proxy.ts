import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { Pool, type Dispatcher } from 'undici';
import { endToEndHeaders, type HeaderMap } from './headers.ts';

/**
 * Forwarding to an upstream with undici: request and response bodies are
 * streamed in both directions (an SSE response reaches the client event by
 * event), the request body is counted against a limit, and failures become
 * the gateway's own JSON answers.
 */

export interface ProxyFailure {
  status: 413 | 502 | 504;
  code: string;
  message: string;
}

export const TOO_LARGE: ProxyFailure = { status: 413, code: 'payload_too_large', message: 'The request body is too large' };
const UNAVAILABLE: ProxyFailure = { status: 502, code: 'upstream_unavailable', message: 'An invalid response was received from the upstream server' };
const TIMED_OUT: ProxyFailure = { status: 504, code: 'upstream_timeout', message: 'The upstream server is timing out' };

export interface UpstreamPools {
  /** One keep-alive pool per upstream origin and connect timeout. */
  get(origin: string, connectTimeoutMs: number): Dispatcher;
  close(): Promise<void>;
}

export function createUpstreamPools(): UpstreamPools {
  const pools = new Map<string, Pool>();
  return {
    get(origin, connectTimeoutMs) {
      const key = `${origin} ${connectTimeoutMs}`;
      let pool = pools.get(key);
      if (!pool) {
        pool = new Pool(origin, { connect: { timeout: connectTimeoutMs } });
        pools.set(key, pool);
      }
      return pool;
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
      pools.clear();
    },
  };
}

export interface ProxyRequest {
  req: IncomingMessage;
  res: ServerResponse;
  dispatcher: Dispatcher;
  origin: string;
  /** Escaped path with query string. */
  path: string;
  headers: HeaderMap;
  /** Kong's read_timeout: for the response headers and between two body chunks. */
  readTimeoutMs: number;
  bodyLimitBytes: number;
  /** Last chance to change the upstream's response headers before they are sent. */
  onResponseHeaders(headers: HeaderMap): void;
  log: Logger;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Passes the request body through, failing once it exceeds the limit. */
function limitedBody(req: IncomingMessage, limit: number, onExceeded: () => void): Readable {
  let received = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received <= limit) {
        callback(null, chunk);
        return;
      }
      onExceeded();
      // Stop forwarding but keep the client's connection: it gets a 413.
      req.unpipe(limiter);
      req.resume();
      callback(new Error('request body exceeds the limit'));
    },
  });
  req.once('error', (error) => limiter.destroy(error));
  req.once('close', () => {
    if (!req.complete && !limiter.destroyed) limiter.destroy(new Error('client aborted the request'));
  });
  req.pipe(limiter);
  return limiter;
}

function classify(error: unknown): ProxyFailure {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' ? TIMED_OUT : UNAVAILABLE;
}

/**
 * Sends the request upstream and streams the answer back. Resolves with a
 * failure the caller must answer, or undefined once the response went out
 * (or the client left).
 */
export async function proxy(request: ProxyRequest): Promise<ProxyFailure | undefined> {
  const { req, res, log } = request;
  const abort = new AbortController();
  const onClientGone = () => {
    if (!res.writableFinished) abort.abort(new Error('client closed the connection'));
  };
  res.once('close', onClientGone);

  let tooLarge = false;
  const body = hasBody(req) ? limitedBody(req, request.bodyLimitBytes, () => (tooLarge = true)) : null;

  let response: Dispatcher.ResponseData;
  try {
    response = await request.dispatcher.request({
      origin: request.origin,
      path: request.path,
      method: req.method ?? 'GET',
      headers: request.headers,
      body,
      headersTimeout: request.readTimeoutMs,
      bodyTimeout: request.readTimeoutMs,
      signal: abort.signal,
    });
  } catch (error) {
    if (tooLarge) return TOO_LARGE;
    if (abort.signal.aborted) return undefined;
    const failure = classify(error);
    log.warn({ upstream: request.origin, reason: (error as Error).message, status: failure.status }, 'upstream request failed');
    return failure;
  }

  const headers = endToEndHeaders(response.headers);
  request.onResponseHeaders(headers);
  res.writeHead(response.statusCode, headers);
  // Headers go out at once: a client waiting on an event stream learns the
  // status before the first event.
  res.flushHeaders();
  try {
    await pipeline(response.body, res);
  } catch (error) {
    if (!abort.signal.aborted) log.warn({ upstream: request.origin, reason: (error as Error).message }, 'upstream response interrupted');
    res.destroy();
  } finally {
    res.off('close', onClientGone);
  }
  return undefined;
}

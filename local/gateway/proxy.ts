import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import type { Logger } from 'pino';
import { Pool, type Dispatcher } from 'undici';
import type { Balancer, Target } from './balancer.ts';
import { endToEndHeaders, type HeaderMap } from './headers.ts';
import { RequestAborted, RequestBodyTooLarge } from './plugins/types.ts';
import { dispatchExchange, type UpstreamExchange, type UpstreamHead } from './upstream-exchange.ts';

/**
 * Forwarding to an upstream with undici: request bodies stream (or go as
 * buffered), small answers are sent in one write, event streams and large
 * answers stream through (an SSE response reaches the client event by
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
  /** The service's targets; each attempt takes the next one. */
  balancer: Balancer;
  /** Further attempts after a failed connection (the service's Kong `retries`). */
  retries: number;
  /** Escaped path with query string. */
  path: string;
  /** Without `host`, each target's own host name is sent. */
  headers: HeaderMap;
  /** A body a plugin read (and maybe replaced); the client's is streamed otherwise. */
  body?: Buffer;
  /** Kong's write_timeout: the longest pause between two request body chunks on their way upstream. */
  writeTimeoutMs: number;
  /** Kong's read_timeout: for the response headers and between two body chunks. */
  readTimeoutMs: number;
  bodyLimitBytes: number;
  /** Last chance to change the upstream's response headers before they are sent. */
  onResponseHeaders(headers: HeaderMap): void;
  log: Logger;
}

export function hasRequestBody(req: IncomingMessage): boolean {
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

/** The whole request body, for plugins that transform it; rejects beyond the limit. */
export function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.off('data', onData);
        // Drain the rest so that the client can read the 413.
        req.resume();
        fail(new RequestBodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => done(Buffer.concat(chunks)));
    req.once('error', fail);
    req.once('close', () => {
      if (!req.complete) fail(new RequestAborted());
    });
  });
}

/** Fails the request when no body chunk moved upstream for `ms` (Kong's write_timeout). */
function writeWatchdog(body: Readable, ms: number, onTimeout: () => void): { stream: Readable; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(onTimeout, ms);
    timer.unref();
  };
  const watched = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      arm();
      callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(timer);
      callback();
    },
  });
  watched.once('close', () => clearTimeout(timer));
  body.once('error', (error) => watched.destroy(error));
  body.pipe(watched);
  arm();
  return { stream: watched, stop: () => clearTimeout(timer) };
}

// Splits a buffered body so that the write watchdog sees the upstream's pace.
const WRITE_CHUNK_BYTES = 16 * 1024;

function* chunksOf(body: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < body.length; offset += WRITE_CHUNK_BYTES) yield body.subarray(offset, offset + WRITE_CHUNK_BYTES);
}

/** The `code` of a Node or undici error, if it has one. */
const errorCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** The connection closed or reset before any response arrived. */
function isClosedConnection(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

// No connection was made, so nothing was sent: any request may go to the next target.
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export function isConnectFailure(error: unknown): boolean {
  const code = errorCode(error);
  return typeof code === 'string' && CONNECT_FAILURES.has(code);
}

function classify(error: unknown): ProxyFailure {
  const code = errorCode(error);
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' ? TIMED_OUT : UNAVAILABLE;
}

/**
 * Answers with a Content-Length up to this size are read whole and sent in
 * one write; event streams, larger answers and answers of unknown length
 * stream through.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

const EVENT_STREAM = /^\s*text\/event-stream\s*(?:;|$)/i;

/**
 * Sends the request upstream and streams the answer back. Resolves with a
 * failure the caller must answer, or undefined once the response went out
 * (or the client left).
 *
 * Attempts follow Kong (nginx's proxy_next_upstream error): a connection
 * that could not be made moves the request to the next target, up to the
 * service's `retries`, whatever the method, because nothing was sent. A
 * kept-alive connection the upstream closed as the request went out is
 * retried once more, on a fresh connection. Only a body that can be sent
 * again (buffered, or none) is ever retried.
 */
export async function proxy(request: ProxyRequest): Promise<ProxyFailure | undefined> {
  const { req, res, log, balancer } = request;
  let current: UpstreamExchange | undefined;
  let cancelled: Error | undefined;
  // Ends the exchange under way and any later attempt: the client left, or the upstream stopped reading the body.
  const cancel = (reason: Error) => {
    cancelled ??= reason;
    current?.abort(reason);
  };
  const onClientGone = () => {
    if (!res.writableFinished) cancel(new Error('client closed the connection'));
  };
  res.once('close', onClientGone);
  try {
    return await forward();
  } finally {
    res.off('close', onClientGone);
  }

  async function forward(): Promise<ProxyFailure | undefined> {
    let tooLarge = false;
    let writeTimedOut = false;
    const onWriteTimeout = () => {
      writeTimedOut = true;
      cancel(new Error('upstream write timed out'));
    };
    const streamed = request.body === undefined && hasRequestBody(req) ? limitedBody(req, request.bodyLimitBytes, () => (tooLarge = true)) : null;
    // A buffered body (or none) can be sent again; a streamed one only once.
    const replayable = streamed === null;

    const tried = new Set<Target>();
    let retriesLeft = request.retries;
    let staleRetried = false;
    let answer: { exchange: UpstreamExchange; head: UpstreamHead } | undefined;
    let target = balancer.next();
    let watchdog: ReturnType<typeof writeWatchdog> | undefined;
    // A body of one chunk goes as it is, in the request's one write: the
    // watchdog would see that single chunk taken at once and stop there.
    const whole = request.body !== undefined && request.body.length <= WRITE_CHUNK_BYTES ? request.body : undefined;
    while (!answer) {
      tried.add(target);
      const source = whole !== undefined ? null : request.body === undefined ? streamed : Readable.from(chunksOf(request.body));
      watchdog = source ? writeWatchdog(source, request.writeTimeoutMs, onWriteTimeout) : undefined;
      const exchange = dispatchExchange(target.dispatcher, {
        origin: target.origin,
        path: request.path,
        method: req.method ?? 'GET',
        headers: { ...request.headers, host: request.headers.host ?? target.host },
        body: whole ?? watchdog?.stream ?? null,
        headersTimeout: request.readTimeoutMs,
        bodyTimeout: request.readTimeoutMs,
      });
      current = exchange;
      if (cancelled) exchange.abort(cancelled);
      try {
        answer = { exchange, head: await exchange.head };
      } catch (error) {
        watchdog?.stop();
        if (tooLarge) return TOO_LARGE;
        if (writeTimedOut) {
          log.warn({ upstream: target.origin, reason: 'write timeout', status: TIMED_OUT.status }, 'upstream request failed');
          return TIMED_OUT;
        }
        if (cancelled) return undefined;
        const reason = (error as Error).message;
        if (replayable && isConnectFailure(error)) {
          balancer.failed(target);
          if (retriesLeft > 0) {
            retriesLeft -= 1;
            const next = balancer.next(tried);
            log.debug({ upstream: target.origin, next: next.origin, reason }, 'upstream connection failed; trying the next target');
            target = next;
            continue;
          }
        }
        // A kept-alive connection the upstream closed just as the request went
        // out: nothing was answered, so try once more on another connection,
        // as nginx does for a failed cached upstream connection.
        if (!staleRetried && replayable && isClosedConnection(error)) {
          staleRetried = true;
          log.debug({ upstream: target.origin, reason }, 'upstream closed the connection; retrying once');
          continue;
        }
        const failure = classify(error);
        log.warn({ upstream: target.origin, reason, status: failure.status }, 'upstream request failed');
        return failure;
      }
    }

    // The upstream has answered: whatever it still reads of the body is its business.
    watchdog?.stop();
    const { exchange, head } = answer;
    const headers = endToEndHeaders(head.headers);
    request.onResponseHeaders(headers);
    const contentType = head.headers['content-type'];
    const eventStream = typeof contentType === 'string' && EVENT_STREAM.test(contentType);
    const length = Number(head.headers['content-length'] ?? Number.NaN);

    if (!eventStream && length >= 0 && length <= SMALL_BODY_BYTES) {
      let body: Buffer;
      try {
        body = await exchange.whole();
      } catch (error) {
        if (cancelled) return undefined;
        log.warn({ upstream: target.origin, reason: (error as Error).message }, 'upstream response interrupted');
        // Nothing was sent yet: the client gets a clean answer.
        return classify(error);
      }
      res.writeHead(head.statusCode, headers);
      res.end(body);
      return undefined;
    }

    res.writeHead(head.statusCode, headers);
    // A client waiting on an event stream learns the status before the first event.
    if (eventStream) res.flushHeaders();
    try {
      await exchange.relay(res);
    } catch (error) {
      if (!cancelled) log.warn({ upstream: target.origin, reason: (error as Error).message }, 'upstream response interrupted');
      res.destroy();
    }
    return undefined;
  }
}

import { Pool, type Dispatcher } from 'undici';
import { isResponseTooLarge, transportErrorCode, type UpstreamError } from './errors.ts';

/** Neither a token response nor a stocks answer comes anywhere near this. */
export const MAX_UPSTREAM_RESPONSE_BYTES = 1024 * 1024;

/**
 * One connection pool per upstream origin, so that tool calls reuse
 * keep-alive connections instead of paying a TCP (and TLS) handshake each.
 * The same timeout bounds connecting, waiting for the response headers and
 * every pause while the body arrives: a dead or stuck upstream turns into an
 * error after `timeoutMs` rather than a tool call that never returns.
 */
export function createUpstreamPool(url: string, timeoutMs: number): Pool {
  return new Pool(new URL(url).origin, {
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    maxResponseSize: MAX_UPSTREAM_RESPONSE_BYTES,
  });
}

/** The request target (path and query) of a URL, as a pool for its origin expects it. */
export function requestTarget(url: URL): string {
  return `${url.pathname}${url.search}`;
}

export interface UpstreamAnswer {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  text: string;
}

/** How an upstream client names its two kinds of failure: it is down, or it answered nonsense. */
export interface UpstreamFailures {
  unavailable(detail: string | undefined, status?: number): UpstreamError;
  invalidResponse(status: number, detail: string): UpstreamError;
}

/**
 * Sends one request and reads the whole answer. A connection that fails or
 * times out, before or during the body, means the upstream is unavailable;
 * a body over the size limit means it answered something it should not have.
 */
export async function requestText(pool: Pool, options: Dispatcher.RequestOptions, failures: UpstreamFailures): Promise<UpstreamAnswer> {
  let response: Dispatcher.ResponseData;
  try {
    response = await pool.request(options);
  } catch (error) {
    throw failures.unavailable(transportErrorCode(error));
  }
  try {
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  } catch (error) {
    if (isResponseTooLarge(error)) throw failures.invalidResponse(response.statusCode, 'response too large');
    throw failures.unavailable(transportErrorCode(error), response.statusCode);
  }
}

/** The JSON value of a body, or undefined when it is not JSON (JSON itself has no undefined). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

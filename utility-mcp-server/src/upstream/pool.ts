import { Pool } from 'undici';

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

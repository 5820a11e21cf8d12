import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

/** What a caller's X-Request-Id may hold to be adopted: short, and safe in a header, a log line and a JSON body. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The request id of a request: the caller's X-Request-Id when it is sane, so
 * that one request can be followed across the gateway and the services, a
 * new UUID otherwise.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}

/** The path of a request target without its query string, which can carry authorization codes. */
export function pathOf(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  const queryStart = target.indexOf('?');
  return queryStart === -1 ? target : target.slice(0, queryStart);
}

export interface AccessLogFields {
  method: string | undefined;
  /** Without the query string (see pathOf). */
  path: string | undefined;
  status: number;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  /** Anything a component adds: the gateway's route, the MCP method and tool names. */
  [field: string]: unknown;
}

/**
 * The one access line a request gets, written when its response is done, in
 * the same shape by the gateway and every service.
 */
export function logRequestCompleted(log: Logger, { startedAt, ...fields }: AccessLogFields): void {
  const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
  log.info({ ...fields, durationMs }, 'request completed');
}

import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { HeaderMap } from '../headers.ts';

/** What plugins see of a request on its way through the gateway. */
export interface Exchange {
  readonly method: string;
  /** Headers as the client sent them. */
  readonly requestHeaders: IncomingHttpHeaders;
  /** Headers a plugin wants sent upstream in place of the client's. */
  readonly upstreamHeaders: HeaderMap;
  readonly log: Logger;
}

/** A response a plugin gives instead of proxying (Kong's kong.response.exit). */
export interface PluginResponse {
  status: number;
  headers: HeaderMap;
  body?: string;
}

/**
 * A plugin runs in Kong's phases: `access` before proxying (it may answer
 * the request itself) and `headerFilter` on every response of its route,
 * whether the upstream, the gateway or another plugin produced it. Plugins
 * run in descending priority, as in Kong.
 */
export interface GatewayPlugin {
  readonly name: string;
  readonly priority: number;
  access?(exchange: Exchange): PluginResponse | undefined | Promise<PluginResponse | undefined>;
  headerFilter?(exchange: Exchange, responseHeaders: HeaderMap): void;
}

export function jsonResponse(status: number, body: { code: string; message: string }, headers: HeaderMap = {}): PluginResponse {
  return { status, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

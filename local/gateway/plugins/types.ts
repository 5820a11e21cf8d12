import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { HeaderMap } from '../headers.ts';

/** What plugins see of a request on its way through the gateway. */
export interface GatewayRequest {
  readonly method: string;
  /** Headers as the client sent them. */
  readonly requestHeaders: IncomingHttpHeaders;
  /** Headers a plugin wants sent upstream in place of the client's. */
  readonly upstreamHeaders: HeaderMap;
  /** The connecting client's address (Kong's forwarded IP without trusted_ips). */
  readonly clientAddress: string;
  /** The request id, also in X-Request-Id and in Kong-style error bodies. */
  readonly requestId: string;
  /**
   * The whole request body, read once and kept (Kong's get_raw_body). Rejects
   * with RequestBodyTooLarge beyond the gateway's body limit.
   */
  readBody(): Promise<Buffer>;
  /** Sends this body upstream instead of the client's (Kong's set_raw_body). */
  replaceBody(body: Buffer): void;
  readonly log: Logger;
}

/** The client went away before its request body was complete. */
export class RequestAborted extends Error {
  constructor() {
    super('client aborted the request');
    this.name = 'RequestAborted';
  }
}

export class RequestBodyTooLarge extends Error {
  constructor() {
    super('request body exceeds the limit');
    this.name = 'RequestBodyTooLarge';
  }
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
  access?(gatewayRequest: GatewayRequest): PluginResponse | undefined | Promise<PluginResponse | undefined>;
  headerFilter?(gatewayRequest: GatewayRequest, responseHeaders: HeaderMap): void;
}

/**
 * kong.response.error(status, message) for a client that accepts JSON: Kong's
 * default JSON error template, with the request id.
 */
export function kongError(status: number, message: string, requestId: string, headers: HeaderMap = {}): PluginResponse {
  const body = `{\n  "message":${JSON.stringify(message)},\n  "request_id":${JSON.stringify(requestId)}\n}`;
  return { status, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body };
}

export function jsonResponse(status: number, body: { code: string; message: string }, headers: HeaderMap = {}): PluginResponse {
  return { status, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

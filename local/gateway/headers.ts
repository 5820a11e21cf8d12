import type { IncomingHttpHeaders } from 'node:http';

/** Header names in lower case; a list stands for repeated header lines. */
export type HeaderMap = Record<string, string | string[]>;

export function getHeader(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function setHeader(headers: HeaderMap, name: string, value: string): void {
  headers[name.toLowerCase()] = value;
}

/** Adds another line for the header, keeping the ones already there. */
export function appendHeader(headers: HeaderMap, name: string, value: string): void {
  const key = name.toLowerCase();
  const existing = headers[key];
  if (existing === undefined) headers[key] = value;
  else headers[key] = [...(Array.isArray(existing) ? existing : [existing]), value];
}

export function deleteHeader(headers: HeaderMap, name: string): void {
  delete headers[name.toLowerCase()];
}

// Headers that describe one connection rather than the message (RFC 9110
// section 7.6.1), plus Proxy (httpoxy) and Expect, which the gateway's own
// HTTP server has already answered.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

/** The header names a Connection header lists, in lower case. */
function connectionOptions(value: string | string[]): Set<string> {
  const options = new Set<string>();
  for (const line of Array.isArray(value) ? value : [value]) {
    for (const token of line.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') options.add(name);
    }
  }
  return options;
}

/** Copies end-to-end headers: hop-by-hop ones and those the Connection header names are left out. */
export function endToEndHeaders(source: Record<string, string | string[] | undefined>): HeaderMap {
  // Most messages name no option beyond "keep-alive", itself hop-by-hop:
  // no set is built for them.
  const connection = source.connection;
  const line = Array.isArray(connection) && connection.length === 1 ? connection[0] : connection;
  const named = line === undefined || (typeof line === 'string' && HOP_BY_HOP.has(line.toLowerCase())) ? undefined : connectionOptions(line);
  const copy: HeaderMap = {};
  for (const name in source) {
    const value = source[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    copy[name] = Array.isArray(value) && value.length === 1 ? (value[0] as string) : value;
  }
  return copy;
}

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-path', 'x-forwarded-prefix', 'x-real-ip'];

export interface ForwardedContext {
  clientAddress: string;
  /** The port of the listener that received the request. */
  listenerPort: number;
  /** Used when the request carries no Host header. */
  fallbackHost: string;
  /** The request path exactly as received. */
  rawPath: string;
  /** The stripped route prefix, if the route strips one other than "/". */
  prefix: string | undefined;
}

/** "Example.COM:8080" and "[::1]:3100" become "example.com" and "[::1]". */
export function hostnameOf(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

/**
 * Kong copies the whole request path into X-Forwarded-Path. A path near the
 * 8 KB request-line limit then nearly doubles the upstream's header section,
 * and Node upstreams (16 KB limit) answer 431. None of this deployment's
 * upstreams reads the header, so beyond this length it is left out.
 */
export const MAX_FORWARDED_PATH_BYTES = 2048;

/**
 * X-Forwarded-* as Kong sets them for a client it does not trust (Kong's
 * default: no trusted_ips): the client's own values are replaced, except that
 * X-Forwarded-For keeps the chain and appends the connecting address.
 */
export function setForwardedHeaders(headers: HeaderMap, incoming: IncomingHttpHeaders, context: ForwardedContext): void {
  for (const name of FORWARDED) delete headers[name];
  const chain = incoming['x-forwarded-for'];
  headers['x-forwarded-for'] = chain ? `${chain}, ${context.clientAddress}` : context.clientAddress;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = hostnameOf(incoming.host ?? context.fallbackHost);
  headers['x-forwarded-port'] = String(context.listenerPort);
  if (Buffer.byteLength(context.rawPath) <= MAX_FORWARDED_PATH_BYTES) headers['x-forwarded-path'] = context.rawPath;
  if (context.prefix) headers['x-forwarded-prefix'] = context.prefix;
  headers['x-real-ip'] = context.clientAddress;
}

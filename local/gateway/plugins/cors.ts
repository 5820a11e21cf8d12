import { z } from 'zod';
import { appendHeader, deleteHeader, setHeader, type HeaderMap } from '../headers.ts';
import type { GatewayRequest, GatewayPlugin, PluginResponse } from './types.ts';

/**
 * Kong's bundled cors plugin (priority 2000): answers preflights itself and
 * adds the CORS response headers to every other response of the route.
 */

const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

// Kong reads an origin made of other characters as a regular expression.
const PLAIN_ORIGIN = /^[A-Za-z0-9.:/-]+$/;

export const CORS_PRIORITY = 2000;

export const corsConfigSchema = z.strictObject({
  origins: z
    .array(
      z.string().refine((origin) => origin === '*' || PLAIN_ORIGIN.test(origin), {
        error: 'regular expression origins are not supported by the local gateway; list exact origins or "*"',
      }),
    )
    .nullish(),
  methods: z.array(z.enum(METHODS)).default([...METHODS]),
  headers: z.array(z.string().min(1)).nullish(),
  exposed_headers: z.array(z.string().min(1)).nullish(),
  credentials: z.boolean().default(false),
  max_age: z.number().nullish(),
  preflight_continue: z.boolean().default(false),
  private_network: z.boolean().default(false),
});

export type CorsConfig = z.output<typeof corsConfigSchema>;

/** scheme://host[:port] without a default port, or the value itself when it is no URL. */
function normalizeOrigin(origin: string): string {
  try {
    const url = new URL(origin);
    return url.host ? `${url.protocol}//${url.host}` : origin;
  } catch {
    return origin;
  }
}

function isPreflight(gatewayRequest: GatewayRequest): boolean {
  const headers = gatewayRequest.requestHeaders;
  return gatewayRequest.method === 'OPTIONS' && Boolean(headers.origin) && Boolean(headers['access-control-request-method']);
}

/** Sets Access-Control-Allow-Origin; returns whether every origin is allowed ("*"). */
function allowOrigin(config: CorsConfig, headers: HeaderMap, requestOrigin: string | undefined, adding: boolean): boolean {
  const origins = config.origins ?? [];
  if (origins.length === 0 || (origins.length === 1 && origins[0] === '*')) {
    setHeader(headers, 'access-control-allow-origin', '*');
    return true;
  }
  // The answer depends on the Origin, so caches must key on it.
  if (adding) appendHeader(headers, 'vary', 'Origin');
  else setHeader(headers, 'vary', 'Origin');

  // A single origin is announced whatever the request's Origin: a browser on
  // another origin sees a mismatch and refuses the response.
  const [only] = origins;
  if (origins.length === 1 && only !== undefined) {
    setHeader(headers, 'access-control-allow-origin', only);
    return false;
  }
  if (requestOrigin !== undefined) {
    const requested = normalizeOrigin(requestOrigin);
    for (const origin of origins) {
      if (origin === '*') {
        setHeader(headers, 'access-control-allow-origin', '*');
        return true;
      }
      if (normalizeOrigin(origin) === requested) {
        setHeader(headers, 'access-control-allow-origin', requested);
        return false;
      }
    }
  }
  deleteHeader(headers, 'access-control-allow-origin');
  return false;
}

function allowCredentials(config: CorsConfig, headers: HeaderMap, allowAll: boolean, requestOrigin: string | undefined, adding: boolean): void {
  if (!config.credentials) return;
  if (!allowAll) {
    setHeader(headers, 'access-control-allow-credentials', 'true');
    return;
  }
  // Credentials are never allowed together with "*": echo the origin instead.
  if (requestOrigin !== undefined) {
    if (adding) appendHeader(headers, 'vary', 'Origin');
    else setHeader(headers, 'vary', 'Origin');
    setHeader(headers, 'access-control-allow-origin', requestOrigin);
    setHeader(headers, 'access-control-allow-credentials', 'true');
  }
}

function answerPreflight(config: CorsConfig, gatewayRequest: GatewayRequest): PluginResponse {
  const request = gatewayRequest.requestHeaders;
  const headers: HeaderMap = { 'content-length': '0' };
  const allowAll = allowOrigin(config, headers, request.origin, false);
  allowCredentials(config, headers, allowAll, request.origin, false);
  if (config.headers && config.headers.length > 0) {
    setHeader(headers, 'access-control-allow-headers', config.headers.join(','));
  } else if (request['access-control-request-headers']) {
    setHeader(headers, 'access-control-allow-headers', request['access-control-request-headers']);
  }
  setHeader(headers, 'access-control-allow-methods', config.methods.join(','));
  if (config.max_age !== null && config.max_age !== undefined) {
    setHeader(headers, 'access-control-max-age', String(config.max_age));
  }
  if (config.private_network && request['access-control-request-private-network'] === 'true') {
    setHeader(headers, 'access-control-allow-private-network', 'true');
  }
  return { status: 200, headers };
}

export function corsPlugin(config: CorsConfig): GatewayPlugin {
  return {
    name: 'cors',
    priority: CORS_PRIORITY,
    access(gatewayRequest) {
      if (!isPreflight(gatewayRequest) || config.preflight_continue) return undefined;
      return answerPreflight(config, gatewayRequest);
    },
    headerFilter(gatewayRequest, headers) {
      // Preflights were answered completely (or left to the upstream).
      if (isPreflight(gatewayRequest)) return;
      const requestOrigin = gatewayRequest.requestHeaders.origin;
      const allowAll = allowOrigin(config, headers, requestOrigin, true);
      allowCredentials(config, headers, allowAll, requestOrigin, true);
      if (config.exposed_headers && config.exposed_headers.length > 0) {
        setHeader(headers, 'access-control-expose-headers', config.exposed_headers.join(','));
      }
    },
  };
}

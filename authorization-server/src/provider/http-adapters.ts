import type { RequestHandler } from 'express';
import { DISCOVERY_ALIASES, ROUTES } from './paths.ts';

/**
 * oidc-provider derives endpoint URLs from the request (Host and, with proxy
 * trust, X-Forwarded-Proto/Host). Pinning them to PUBLIC_BASE_URL makes the
 * metadata and redirects name the public origin whether a request came
 * through the gateway (which preserves the host) or straight to this port.
 */
export function pinPublicOrigin(publicBaseUrl: string): RequestHandler {
  const origin = new URL(publicBaseUrl);
  const proto = origin.protocol.slice(0, -1);
  return (req, _res, next) => {
    req.headers.host = origin.host;
    req.headers['x-forwarded-host'] = origin.host;
    req.headers['x-forwarded-proto'] = proto;
    next();
  };
}

/**
 * Serves the issuer-specific discovery URLs (RFC 8414 path insertion and
 * OpenID Connect Discovery path appending) from oidc-provider's metadata
 * route. Both URL fields are rewritten because oidc-provider computes its
 * mount path from their difference.
 */
export function discoveryAliases(): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
      const [path, query] = splitUrl(req.url);
      const target = DISCOVERY_ALIASES[path];
      if (target) {
        req.url = query === undefined ? target : `${target}?${query}`;
        req.originalUrl = req.url;
      }
    }
    next();
  };
}

function splitUrl(url: string): [string, string | undefined] {
  const index = url.indexOf('?');
  return index === -1 ? [url, undefined] : [url.slice(0, index), url.slice(index + 1)];
}

/**
 * Browser-based MCP clients (MCP Inspector) register from their own origin,
 * and oidc-provider has no CORS on the registration endpoint. Registration is
 * open and uses no cookies, so any origin may call it; the preflight allows
 * whatever headers the client asks for, as oidc-provider's own CORS does.
 */
export function registrationCors(): RequestHandler {
  return (req, res, next) => {
    if (req.path !== ROUTES.registration) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      const requestedHeaders = req.get('access-control-request-headers');
      if (requestedHeaders) res.setHeader('Access-Control-Allow-Headers', requestedHeaders);
      res.setHeader('Access-Control-Max-Age', '3600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * Bounds the size of a registration request before oidc-provider reads it
 * (its own limit is 56 KiB). The length must be declared: a body sent in
 * chunks without Content-Length is refused rather than counted, because
 * oidc-provider reads the request stream itself.
 */
export function registrationBodyLimit(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    if (req.path !== ROUTES.registration || req.method !== 'POST') {
      next();
      return;
    }
    const declared = req.get('content-length');
    if (declared === undefined) {
      res.status(411).json({ error: 'invalid_client_metadata', error_description: 'a registration request must declare its Content-Length' });
      return;
    }
    if (!/^\d+$/.test(declared) || Number(declared) > maxBytes) {
      res.status(413).json({ error: 'invalid_client_metadata', error_description: `a registration request may hold at most ${maxBytes} bytes` });
      return;
    }
    next();
  };
}

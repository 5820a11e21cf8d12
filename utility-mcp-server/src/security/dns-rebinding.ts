import type { RequestHandler } from 'express';
import { hostHeaderValidation } from '@modelcontextprotocol/express';
import { JSON_RPC_SERVER_ERROR, sendJsonRpcError } from '../http/json-rpc-error.ts';

export interface DnsRebindingSettings {
  /** Host names (no port) the Host header may carry; empty turns the check off. */
  allowedHosts: readonly string[];
  /** Serialised origins a browser may call from; always checked. */
  allowedOrigins: readonly string[];
}

/**
 * The MCP transport specification (2025-11-25 and 2026-07-28) requires a 403
 * for a present Origin that is not allowed. Requests without an Origin header
 * come from non-browser clients, which a DNS rebinding page cannot
 * impersonate, so they pass. Origins are compared whole (scheme, host and
 * port), stricter than the SDK's host-name-only check: another port on
 * localhost is another application.
 */
function originValidation(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      sendJsonRpcError(res, 403, JSON_RPC_SERVER_ERROR, 'Origin not allowed');
      return;
    }
    next();
  };
}

/**
 * DNS rebinding protection for the MCP endpoint: an Origin check, always on,
 * and the SDK's Host header check when host names are configured. The Host
 * check is opt-in because the Host a gateway forwards differs per deployment
 * (Kong sends the upstream's name unless it preserves the host), and every
 * MCP request already needs a bearer token, which a rebinding page lacks.
 */
export function dnsRebindingProtection(settings: DnsRebindingSettings): RequestHandler[] {
  const checks: RequestHandler[] = [];
  if (settings.allowedHosts.length > 0) checks.push(hostHeaderValidation([...settings.allowedHosts]));
  checks.push(originValidation(settings.allowedOrigins));
  return checks;
}

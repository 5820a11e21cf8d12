import type { RequestHandler } from 'express';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { JSON_RPC_SERVER_ERROR, sendJsonRpcError } from '../http/json-rpc-error.ts';

export interface DnsRebindingSettings {
  /** Host names (no port) the Host header may carry; empty turns the check off. */
  allowedHosts: readonly string[];
  /** Serialised origins a browser may call from; empty turns the check off. */
  allowedOrigins: readonly string[];
}

/**
 * Requests without an Origin header come from non-browser clients, which a
 * DNS rebinding page cannot impersonate, so only a present, unlisted Origin
 * is refused.
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
 * DNS rebinding protection for the MCP endpoint: the SDK's own Host header
 * check plus an Origin check. Both are opt-in because every MCP request
 * already needs a bearer token, which a rebinding page does not have, and
 * the Host a gateway forwards differs per deployment.
 */
export function dnsRebindingProtection(settings: DnsRebindingSettings): RequestHandler[] {
  const checks: RequestHandler[] = [];
  if (settings.allowedHosts.length > 0) checks.push(hostHeaderValidation([...settings.allowedHosts]));
  if (settings.allowedOrigins.length > 0) checks.push(originValidation(settings.allowedOrigins));
  return checks;
}

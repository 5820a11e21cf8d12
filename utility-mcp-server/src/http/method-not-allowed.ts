import type { RequestHandler } from 'express';
import { JSON_RPC_SERVER_ERROR, sendJsonRpcError } from './json-rpc-error.ts';

/**
 * A stateless server has no stream for server-initiated messages (GET) and
 * no session to end (DELETE). The Streamable HTTP transport specification
 * provides 405 for both cases, and clients then carry on with POST alone.
 */
export function methodNotAllowed(): RequestHandler {
  return (_req, res) => {
    sendJsonRpcError(res, 405, JSON_RPC_SERVER_ERROR, 'Method not allowed', { Allow: 'POST' });
  };
}

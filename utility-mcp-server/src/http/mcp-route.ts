import { Router, type RequestHandler } from 'express';
import { requireAccessToken, type AccessTokenVerifier } from '@mcp-demo/access-token';
import { errorFields } from '@mcp-demo/service-kit';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { StocksApiClient } from '../api/stocks-client.ts';
import type { Config } from '../config.ts';
import { createMcpServer } from '../mcp/server.ts';
import type { ExchangeCache } from '../oauth/exchange-cache.ts';
import { toAuthInfo } from '../security/auth-info.ts';
import { dnsRebindingProtection } from '../security/dns-rebinding.ts';
import { jsonRpcBody } from './json-rpc-body.ts';
import { JSON_RPC_INTERNAL_ERROR, sendJsonRpcError } from './json-rpc-error.ts';
import { methodNotAllowed } from './method-not-allowed.ts';

export interface McpRouteDependencies {
  config: Config;
  verifier: AccessTokenVerifier;
  exchangeCache: ExchangeCache;
  stocksApi: StocksApiClient;
}

/**
 * One JSON-RPC exchange per HTTP request, with a server and a transport made
 * for it and closed with it. No session id is issued, and responses are
 * plain JSON: the tools answer once, so a stream would only add framing.
 */
function handleMcpRequest(deps: McpRouteDependencies): RequestHandler {
  return async (req, res) => {
    const log = res.locals.log;
    const server = createMcpServer({ exchangeCache: deps.exchangeCache, stocksApi: deps.stocksApi, log });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      transport.close().catch(() => undefined);
      server.close().catch(() => undefined);
    });
    try {
      await server.connect(transport);
      const auth = toAuthInfo(res.locals.accessToken, res.locals.claims, deps.config.resource);
      await transport.handleRequest(Object.assign(req, { auth }), res, req.body);
    } catch (error) {
      log.error(errorFields(error), 'MCP request failed');
      if (!res.headersSent) sendJsonRpcError(res, 500, JSON_RPC_INTERNAL_ERROR, 'Internal error');
    }
  };
}

/** The MCP endpoint at the root path, as the gateway routes mcp.demo.example/ to it. */
export function mcpRoute(deps: McpRouteDependencies): Router {
  const authenticate = requireAccessToken(deps.verifier, {
    resourceMetadata: deps.config.resourceMetadataUrl,
    scope: deps.config.accessToken.requiredScope,
  });
  const router = Router();
  router
    .route('/')
    // Cheap checks first: a rebinding page is refused before its request is verified, and a body is
    // parsed only for a caller with a valid token.
    .post(...dnsRebindingProtection(deps.config), authenticate, jsonRpcBody(), handleMcpRequest(deps))
    .all(methodNotAllowed());
  return router;
}

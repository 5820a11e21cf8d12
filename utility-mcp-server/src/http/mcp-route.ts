import { Router, type Request, type RequestHandler, type Response } from 'express';
import { requireAccessToken, type AccessTokenVerifier } from '@mcp-demo/access-token';
import { errorFields } from '@mcp-demo/service-kit';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type AuthInfo } from '@modelcontextprotocol/server';
import type { StocksApiClient } from '../api/stocks-client.ts';
import type { Config } from '../config.ts';
import { createMcpServer } from '../mcp/server.ts';
import type { ToolContext } from '../mcp/tools/context.ts';
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

type AuthenticatedRequest = Request & { auth: AuthInfo };

/**
 * Whether a request speaks a 2025 revision (initialize handshake, no
 * per-request envelope). The SDK's own classifier decides, from the parsed
 * body and the headers, so this routing never disagrees with the 2026 path.
 * A body the JSON parser left alone (another media type) goes to the 2025
 * transport, which answers 415 as it always has.
 */
async function speaksLegacyRevision(req: Request): Promise<boolean> {
  if (req.body === undefined) return true;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return isLegacyRequest(new Request('http://mcp.invalid/', { method: req.method, headers }), req.body);
}

/**
 * 2025-11-25 (and older) clients: the stateless Streamable HTTP transport as
 * before, answering plain JSON (the tools answer once, so a stream would only
 * add framing) and issuing no session id.
 */
async function serveLegacy(req: AuthenticatedRequest, res: Response, context: ToolContext): Promise<void> {
  const server = createMcpServer(context);
  const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    transport.close().catch(() => undefined);
    server.close().catch(() => undefined);
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}

/**
 * 2026-07-28 clients: the SDK's per-request entry validates the envelope and
 * the Mcp-Method / Mcp-Name headers against the body, answers server/discover,
 * and refuses 2025 traffic (which never reaches it, see speaksLegacyRevision).
 */
async function serveModern(req: AuthenticatedRequest, res: Response, context: ToolContext): Promise<void> {
  const handler = createMcpHandler(() => createMcpServer(context), {
    legacy: 'reject',
    // Rejections (bad envelope, header/body mismatch) are the client's mistake, not this server's.
    onerror: (error) => context.log.info(errorFields(error), 'MCP request refused'),
  });
  res.on('close', () => {
    handler.close().catch(() => undefined);
  });
  await toNodeHandler(handler, { onerror: (error) => context.log.warn(errorFields(error), 'MCP exchange failed') })(req, res, req.body);
}

/**
 * One JSON-RPC exchange per HTTP request, with a server made for it and
 * closed with it, in whichever protocol era the client speaks.
 */
function handleMcpRequest(deps: McpRouteDependencies): RequestHandler {
  return async (req, res) => {
    const log = res.locals.log;
    const context: ToolContext = { exchangeCache: deps.exchangeCache, stocksApi: deps.stocksApi, log };
    try {
      const auth = toAuthInfo(res.locals.accessToken, res.locals.claims, deps.config.resource);
      const authenticated = Object.assign(req, { auth });
      if (await speaksLegacyRevision(req)) await serveLegacy(authenticated, res, context);
      else await serveModern(authenticated, res, context);
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

import { AsyncLocalStorage } from 'node:async_hooks';
import { Router, type Request as ExpressRequest, type RequestHandler, type Response as ExpressResponse } from 'express';
import { requireAccessToken, type AccessTokenVerifier } from '@mcp-demo/access-token';
import { errorFields, type Logger } from '@mcp-demo/service-kit';
import { createMcpHandler, isLegacyRequest, PROTOCOL_VERSION_META_KEY, WebStandardStreamableHTTPServerTransport, type AuthInfo } from '@modelcontextprotocol/server';
import type { StocksApiClient } from '../api/stocks-client.ts';
import { allowedOriginsOf, resourceOf, type Settings } from '../config.ts';
import { createMcpServer } from '../mcp/server.ts';
import type { ToolContext } from '../mcp/tools/context.ts';
import type { ExchangeCache } from '../oauth/exchange-cache.ts';
import { toAuthInfo } from '../security/auth-info.ts';
import { dnsRebindingProtection } from '../security/dns-rebinding.ts';
import { jsonRpcBody } from './json-rpc-body.ts';
import { JSON_RPC_INTERNAL_ERROR, sendJsonRpcError } from './json-rpc-error.ts';
import { methodNotAllowed } from './method-not-allowed.ts';
import { resourceMetadataUrlOf } from './protected-resource-metadata.ts';
import { abortOnClose, sendWebResponse, webRequestOf } from './web-exchange.ts';

export interface McpRouteDependencies {
  settings: Settings;
  verifier: AccessTokenVerifier;
  exchangeCache: ExchangeCache;
  stocksApi: StocksApiClient;
}

/**
 * Whether a request speaks a 2025 revision (initialize handshake, no
 * per-request envelope). The SDK's own classifier decides, so this routing
 * never disagrees with the 2026 path; it is skipped only where its answer is
 * certain: a message (other than initialize) whose `_meta` claims a protocol
 * revision is never legacy, valid claim or not (the 2026 path answers it). A body the JSON parser left alone (another media type) goes
 * to the 2025 transport, which answers 415 as it always has.
 */
async function speaksLegacyRevision(request: Request, parsedBody: unknown): Promise<boolean> {
  if (parsedBody === undefined) return true;
  const message = parsedBody as { method?: unknown; params?: { _meta?: unknown } } | null;
  const meta = message?.params?._meta;
  // initialize is the exception: with an envelope the SDK cannot accept it still counts as the 2025 handshake.
  if (message?.method !== 'initialize' && meta !== null && typeof meta === 'object' && PROTOCOL_VERSION_META_KEY in meta) return false;
  return isLegacyRequest(request, parsedBody);
}

/**
 * 2025-11-25 (and older) clients: the stateless Streamable HTTP transport,
 * answering plain JSON (the tools answer once, so a stream would only add
 * framing) and issuing no session id. Server and transport are made for this
 * request and closed once it is answered.
 */
async function serveLegacy(request: Request, options: { authInfo: AuthInfo; parsedBody: unknown }, context: ToolContext): Promise<Response> {
  const server = createMcpServer(context);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  try {
    await server.connect(transport);
    return await transport.handleRequest(request, options);
  } finally {
    // The JSON answer is complete once handleRequest resolves; nothing of the exchange outlives it.
    void server.close().catch(() => undefined);
  }
}

/**
 * The MCP endpoint: one JSON-RPC exchange per HTTP request, in whichever
 * protocol revision the client speaks, each with an McpServer made for it
 * and closed with it, so nothing of one caller's request (its token above
 * all) can reach another's. The caller's verified token travels with the
 * request only, as the SDK's `authInfo`.
 */
function handleMcpRequest(deps: McpRouteDependencies): RequestHandler {
  // One URL object for every request's AuthInfo; nothing writes to it.
  const resource = new URL(resourceOf(deps.settings));
  // The request's logger, for the server factory and the SDK's error hook,
  // which the SDK calls without a request at hand.
  const requestLog = new AsyncLocalStorage<Logger>();
  const contextFor = (log: Logger): ToolContext => ({
    exchangeCache: deps.exchangeCache,
    stocksApi: deps.stocksApi,
    requiredScope: deps.settings.REQUIRED_SCOPE,
    log,
  });

  // 2026-07-28: made once. The SDK's per-request entry validates the envelope
  // and the Mcp-Method / Mcp-Name headers against the body, answers
  // server/discover, and calls the factory for a fresh server per request.
  const modern = createMcpHandler(
    () => {
      const log = requestLog.getStore();
      if (!log) throw new Error('MCP server requested outside a request');
      return createMcpServer(contextFor(log));
    },
    {
      legacy: 'reject',
      // Rejections (bad envelope, header/body mismatch) are the client's mistake, not this server's.
      onerror: (error) => requestLog.getStore()?.info(errorFields(error), 'MCP request refused'),
    },
  );

  return async (req: ExpressRequest, res: ExpressResponse) => {
    const log = res.locals.log;
    try {
      const authInfo = toAuthInfo(res.locals.accessToken, res.locals.claims, resource);
      const request = webRequestOf(req, abortOnClose(res));
      const parsedBody: unknown = req.body;
      const response = (await speaksLegacyRevision(request, parsedBody))
        ? await serveLegacy(request, { authInfo, parsedBody }, contextFor(log))
        : await requestLog.run(log, () => modern.fetch(request, { authInfo, parsedBody }));
      await sendWebResponse(res, response);
    } catch (error) {
      log.error(errorFields(error), 'MCP request failed');
      if (!res.headersSent) sendJsonRpcError(res, 500, JSON_RPC_INTERNAL_ERROR, 'Internal error');
      else res.destroy();
    }
  };
}

/** The MCP endpoint at the root path, as the gateway routes mcp.demo.example/ to it. */
export function mcpRoute(deps: McpRouteDependencies): Router {
  const authenticate = requireAccessToken(deps.verifier, {
    resourceMetadata: resourceMetadataUrlOf(deps.settings),
    scope: deps.settings.REQUIRED_SCOPE,
  });
  const rebindingChecks = dnsRebindingProtection({ allowedHosts: deps.settings.ALLOWED_HOSTS, allowedOrigins: allowedOriginsOf(deps.settings) });
  const router = Router();
  router
    .route('/')
    // Cheap checks first: a rebinding page is refused before its request is verified, and a body is
    // parsed only for a caller with a valid token.
    .post(...rebindingChecks, authenticate, jsonRpcBody(), handleMcpRequest(deps))
    .all(methodNotAllowed());
  return router;
}

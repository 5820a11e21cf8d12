import { errorFields, type Logger } from '@mcp-demo/service-kit';
import type { AuthInfo, CallToolResult } from '@modelcontextprotocol/server';
import type { StocksApiClient } from '../../api/stocks-client.ts';
import type { ExchangeCache } from '../../oauth/exchange-cache.ts';
import { UpstreamError } from '../../upstream/errors.ts';
import { dataResult, errorResult } from './results.ts';

/** What a tool handler needs; built once per MCP request. */
export interface ToolContext {
  exchangeCache: ExchangeCache;
  stocksApi: StocksApiClient;
  /** The scopes every call needs (settings.REQUIRED_SCOPE), which a tool's scope challenge names beside its own. */
  requiredScope: string;
  /** The request's logger, so tool lines carry the request id. */
  log: Logger;
}

/**
 * The path every tool takes: swap the caller's token for one addressed to
 * the stocks API, make the call, and turn any failure into a tool result
 * with isError so the model gets a reason instead of a protocol error.
 */
export async function callStocksApi(
  context: ToolContext,
  tool: string,
  authInfo: AuthInfo | undefined,
  call: (apiAccessToken: string) => Promise<unknown>,
): Promise<CallToolResult> {
  const log = context.log;
  // The HTTP layer only lets verified requests through; this guards against wiring mistakes.
  if (!authInfo?.token) {
    log.error({ tool }, 'tool called without a verified access token');
    return errorResult('This request carries no verified access token; re-authorize the MCP client.');
  }
  try {
    const apiAccessToken = await context.exchangeCache.accessTokenFor(authInfo.token);
    const data = await call(apiAccessToken);
    // The access line already says the request succeeded; this detail is for debugging.
    log.debug({ tool }, 'tool call succeeded');
    return dataResult(data);
  } catch (error) {
    if (error instanceof UpstreamError) {
      // The API may have rotated keys or revoked the delegation: exchange afresh next time.
      if (error.failure === 'stocks_api_rejected_token') context.exchangeCache.forget(authInfo.token);
      log.warn({ tool, failure: error.failure, status: error.status, detail: error.detail }, 'tool call failed');
      return errorResult(error.message);
    }
    log.error({ tool, ...errorFields(error) }, 'tool call failed unexpectedly');
    return errorResult('The tool failed unexpectedly; try again later.');
  }
}

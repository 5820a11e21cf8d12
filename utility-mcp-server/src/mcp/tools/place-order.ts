import type { McpServer, ScopeChallengeHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { INSUFFICIENT_SCOPE_MESSAGE } from '@mcp-demo/access-token';
import { callStocksApi, type ToolContext } from './context.ts';
import { stockId } from './fetch-stock-price.ts';

export const PLACE_ORDER = 'place-order';

/** The scope this tool needs on top of the configured REQUIRED_SCOPE (kong/kong.yml asks the gateway for the same). */
export const TRADE_SCOPE = 'stocks/trade';

// stocks-api/src/domain/orders.ts: the API's own limits, checked here before a token is exchanged.
const MAX_ORDER_QUANTITY = 1_000_000;

/**
 * Defence in depth behind the gateway's scope requirement: a token without
 * stocks/trade gets the same 403 insufficient_scope before the tool runs,
 * naming the scopes every call needs (`requiredScope`, the server's
 * REQUIRED_SCOPE) and stocks/trade, so a client steps up whichever component
 * refused it and keeps the scopes it needs for everything else. An
 * unauthenticated request is the HTTP layer's.
 */
export function requireTradeScope(requiredScope: string): ScopeChallengeHandler {
  return ({ authInfo }) => {
    if (!authInfo || authInfo.scopes.includes(TRADE_SCOPE)) return undefined;
    const [first, ...rest] = requiredScope.split(' ').filter((scope) => scope !== '' && scope !== TRADE_SCOPE);
    return { scopes: first === undefined ? [TRADE_SCOPE] : [first, ...rest, TRADE_SCOPE], errorDescription: INSUFFICIENT_SCOPE_MESSAGE };
  };
}

/** Built once: a server is made per request, and a zod schema costs far more to build than to use. */
const inputSchema = z.object({
  id: stockId,
  side: z.enum(['buy', 'sell']).describe('"buy" or "sell"'),
  quantity: z.int().min(1).max(MAX_ORDER_QUANTITY).describe('How many shares, a whole number from 1'),
  limitPrice: z.number().positive().optional().describe('The highest (buy) or lowest (sell) price per share; a market order without it'),
});

export function registerPlaceOrder(server: McpServer, context: ToolContext): void {
  server.registerTool(
    PLACE_ORDER,
    {
      title: 'Place a stock order',
      description:
        'Places an order to buy or sell a quantity of one stock for the signed-in user. Needs the stocks/trade scope; the stocks API decides whether the client may trade at all.',
      inputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      scopeChallenge: requireTradeScope(context.requiredScope),
    },
    ({ id, side, quantity, limitPrice }, ctx) =>
      callStocksApi(context, PLACE_ORDER, ctx.http?.authInfo, (token) => context.stocksApi.placeOrder(token, id, { side, quantity, limitPrice })),
  );
}

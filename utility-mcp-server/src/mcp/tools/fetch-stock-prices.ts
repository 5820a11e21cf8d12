import type { McpServer } from '@modelcontextprotocol/server';
import { callStocksApi, type ToolContext } from './context.ts';

export const FETCH_STOCK_PRICES = 'fetch-stock-prices';

export function registerFetchStockPrices(server: McpServer, context: ToolContext): void {
  server.registerTool(
    FETCH_STOCK_PRICES,
    {
      title: 'Fetch stock prices',
      description:
        'Fetches secured information about financial stock prices: every stock the signed-in user may see (those of their region), with its current price.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (ctx) => callStocksApi(context, FETCH_STOCK_PRICES, ctx.http?.authInfo, (token) => context.stocksApi.listStocks(token)),
  );
}

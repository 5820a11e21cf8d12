import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { callStocksApi, type ToolContext } from './context.ts';

export const FETCH_STOCK_PRICE = 'fetch-stock-price';

/** Stock ids are short slugs; anything else is refused before a token is exchanged or the API is called. */
export const stockId = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'must be a stock id: letters, digits, ".", "_" or "-"' })
  .describe('The id of a stock, as listed by fetch-stock-prices (for example "acme-robotics")');

/** Built once: a server is made per request, and a zod schema costs far more to build than to use. */
const inputSchema = z.object({ id: stockId });

export function registerFetchStockPrice(server: McpServer, context: ToolContext): void {
  server.registerTool(
    FETCH_STOCK_PRICE,
    {
      title: 'Fetch one stock price',
      description: 'Fetches secured information about the price of one financial stock, by its id, if the signed-in user may see it.',
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ id }, ctx) => callStocksApi(context, FETCH_STOCK_PRICE, ctx.http?.authInfo, (token) => context.stocksApi.getStock(token, id)),
  );
}

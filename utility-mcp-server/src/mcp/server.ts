import { McpServer } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import packageJson from '../../package.json' with { type: 'json' };
import { SERVICE_NAME } from '../config.ts';
import type { ToolContext } from './tools/context.ts';
import { registerFetchStockPrice } from './tools/fetch-stock-price.ts';
import { registerFetchStockPrices } from './tools/fetch-stock-prices.ts';
import { registerPlaceOrder } from './tools/place-order.ts';

/**
 * How long a 2026-07-28 client may reuse the tool list and the discovery
 * result. The list is the same for every caller and changes only with a
 * deployment, so shared caches (a gateway) may keep it too.
 */
export const LIST_CACHE_HINT = { ttlMs: 300_000, cacheScope: 'public' } as const;

/**
 * One JSON Schema validator for every per-request server. The SDK (2.4.0)
 * builds its Ajv engines lazily, on the first schema it validates, so a
 * validator per server would cost nothing until a feature validates JSON
 * Schema (elicitation results); sharing one makes sure its compiled schemas
 * are kept for the life of the process whenever that happens. It holds
 * compiled schemas only, nothing of a request.
 */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/**
 * A new McpServer per HTTP request, in both protocol eras: the server keeps
 * no session, so nothing of one client's request (its token above all) can
 * leak into another's.
 */
export function createMcpServer(context: ToolContext): McpServer {
  const server = new McpServer(
    { name: SERVICE_NAME, title: 'Stocks (secured)', version: packageJson.version },
    {
      // The tool list is fixed for the life of the process: no list_changed notifications will ever come.
      capabilities: { tools: { listChanged: false } },
      instructions: 'Financial stock prices, limited to what the signed-in user may see. Placing an order (place-order) needs the stocks/trade scope, asked for when the tool is called.',
      cacheHints: { 'tools/list': LIST_CACHE_HINT, 'server/discover': LIST_CACHE_HINT },
      jsonSchemaValidator,
    },
  );
  registerFetchStockPrices(server, context);
  registerFetchStockPrice(server, context);
  registerPlaceOrder(server, context);
  return server;
}

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import packageJson from '../../package.json' with { type: 'json' };
import { SERVICE_NAME } from '../config.ts';
import type { ToolContext } from './tools/context.ts';
import { registerFetchStockPrice } from './tools/fetch-stock-price.ts';
import { registerFetchStockPrices } from './tools/fetch-stock-prices.ts';

/**
 * A new McpServer per HTTP request: the server keeps no session, so nothing
 * of one client's request (its token above all) can leak into another's.
 */
export function createMcpServer(context: ToolContext): McpServer {
  const server = new McpServer(
    { name: SERVICE_NAME, title: 'Stocks (secured)', version: packageJson.version },
    {
      capabilities: { tools: {} },
      instructions: 'Read-only access to financial stock prices. Results are limited to what the signed-in user may see.',
    },
  );
  registerFetchStockPrices(server, context);
  registerFetchStockPrice(server, context);
  return server;
}

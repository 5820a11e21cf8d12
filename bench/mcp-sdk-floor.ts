/**
 * The floor for one MCP tool call with the TypeScript SDK as this project
 * uses it: `createMcpHandler` with a new McpServer per request (what the SDK
 * requires for 2026-07-28) and one tool that answers a constant, behind a
 * bare node:http server. No token check, no token exchange, no API call, no
 * logging: whatever the MCP server costs above this is the project's own.
 * The benchmark runs it as its own process:
 *   node bench/mcp-sdk-floor.ts
 * and reads the port it listens on (127.0.0.1) from the first line of stdout.
 */
import { createServer } from 'node:http';
import { announceAndServe } from './server-process.ts';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

// The tool the benchmark calls, answering about as much as the real one does.
const TOOL_NAME = 'fetch-stock-prices';
const STOCKS = [{ id: 'acme-robotics', name: 'Acme Robotics', price: 101.5, currency: 'USD', region: 'USA' }];
const inputSchema = z.object({});

const handler = createMcpHandler(
  () => {
    const server = new McpServer({ name: 'sdk-floor', version: '1.0.0' }, { capabilities: { tools: { listChanged: false } } });
    server.registerTool(TOOL_NAME, { description: 'A constant list of stock prices', inputSchema }, () => ({
      content: [{ type: 'text', text: JSON.stringify(STOCKS) }],
      structuredContent: { stocks: STOCKS },
    }));
    return server;
  },
  { legacy: 'reject' },
);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      let parsedBody: unknown;
      try {
        parsedBody = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const response = await handler.fetch(new Request(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method ?? 'POST', headers }), { parsedBody });
      const body = Buffer.from(await response.arrayBuffer());
      const answerHeaders: Record<string, string> = { 'content-length': String(body.length) };
      for (const [name, value] of response.headers) answerHeaders[name] = value;
      res.writeHead(response.status, answerHeaders).end(body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
});
announceAndServe(server);

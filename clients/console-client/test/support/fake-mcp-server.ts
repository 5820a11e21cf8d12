import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readRequestBody } from '@mcp-demo/testing';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A stateless MCP resource server for the console client's tests. It trusts
 * whatever access tokens `scopeOf` knows (standing in for introspection),
 * answers 401 with the RFC 9728 challenge, and 403 insufficient_scope for
 * the one tool that needs more than stocks/read.
 */
export interface FakeMcpServer {
  url: string;
  /** Bearer tokens seen on MCP requests, in order (to check reuse). */
  seenTokens: string[];
  close(): Promise<void>;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'fake-mcp-server', version: '1.0.0' });
  server.registerTool(
    'fetch-stock-prices',
    { description: 'Stock prices for the caller', inputSchema: { id: z.string().optional() } },
    async ({ id }) => ({ content: [{ type: 'text', text: JSON.stringify([{ id: id ?? 'ALL', price: 42 }]) }] }),
  );
  server.registerTool('always-fails', { description: 'Reports an error' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'The stocks API is unavailable' }],
  }));
  server.registerTool('admin-report', { description: 'Needs stocks/admin' }, async () => ({ content: [{ type: 'text', text: 'admin data' }] }));
  return server;
}

export async function startFakeMcpServer({ authorizationServer, scopeOf }: { authorizationServer: string; scopeOf: (token: string) => string | undefined }): Promise<FakeMcpServer> {
  let base = '';
  const seenTokens: string[] = [];

  const challenge = (res: ServerResponse, status: 401 | 403, error: string, scope: string) => {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'WWW-Authenticate': `Bearer error="${error}", resource_metadata="${base}/.well-known/oauth-protected-resource", scope="${scope}"`,
    });
    res.end(JSON.stringify({ code: error, message: 'Missing, invalid or expired access token' }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/.well-known/oauth-protected-resource') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ resource: `${base}/`, resource_name: 'Fake MCP', authorization_servers: [authorizationServer], scopes_supported: ['stocks/read'] }));
      return;
    }
    if (url.pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const scope = token ? scopeOf(token) : undefined;
    if (scope === undefined) {
      challenge(res, 401, 'invalid_token', 'stocks/read');
      return;
    }
    seenTokens.push(token);
    const body = JSON.parse(await readRequestBody(req)) as { method?: string; params?: { name?: string } };
    if (body.method === 'tools/call' && body.params?.name === 'admin-report' && !scope.split(' ').includes('stocks/admin')) {
      challenge(res, 403, 'insufficient_scope', 'stocks/read stocks/admin');
      return;
    }
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    seenTokens,
    close: () =>
      new Promise<void>((done) => {
        http.close(() => done());
        http.closeAllConnections();
      }),
  };
}

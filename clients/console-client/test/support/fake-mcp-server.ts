import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readRequestBody } from '@mcp-demo/testing';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * A stateless MCP resource server for the console client's tests, on the
 * SDK v2 server: 2026-07-28 natively, earlier revisions through the SDK's
 * stateless fallback (`revisions: 'legacy'` serves those only). It trusts
 * whatever access tokens `scopeOf` knows (standing in for introspection),
 * answers 401 with the RFC 9728 challenge, and 403 insufficient_scope for
 * the one tool that needs more than stocks/read.
 */
export interface FakeMcpServer {
  url: string;
  /** Bearer tokens seen on MCP requests, in order (to check reuse). */
  seenTokens: string[];
  /** MCP-Protocol-Version and JSON-RPC method of every authorized request, in order. */
  seenRequests: Array<{ protocolVersion: string | undefined; method: string | undefined }>;
  /** Points the protected resource metadata at another authorization server (the resource moved). */
  setAuthorizationServer(issuer: string): void;
  close(): Promise<void>;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'fake-mcp-server', version: '1.0.0' });
  // The two stock tools' shapes: the list takes no arguments, one stock takes its id.
  server.registerTool('fetch-stock-prices', { description: 'Stock prices for the caller' }, async () => ({
    content: [{ type: 'text', text: JSON.stringify([{ id: 'ALL', price: 42 }]) }],
  }));
  server.registerTool('fetch-stock-price', { description: 'One stock price', inputSchema: z.object({ id: z.string() }) }, async ({ id }) => ({
    content: [{ type: 'text', text: JSON.stringify([{ id, price: 42 }]) }],
  }));
  server.registerTool('always-fails', { description: 'Reports an error' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'The stocks API is unavailable' }],
  }));
  server.registerTool('admin-report', { description: 'Needs stocks/admin' }, async () => ({ content: [{ type: 'text', text: 'admin data' }] }));
  server.registerTool('place-order', { description: 'Needs stocks/write' }, async () => ({ content: [{ type: 'text', text: 'order placed' }] }));
  return server;
}

export interface FakeMcpServerOptions {
  authorizationServer: string;
  scopeOf: (token: string) => string | undefined;
  /** `legacy` answers only the 2025 handshake, as servers on the SDK v1 do. */
  revisions?: 'both' | 'legacy';
}

export async function startFakeMcpServer({ authorizationServer, scopeOf, revisions = 'both' }: FakeMcpServerOptions): Promise<FakeMcpServer> {
  let base = '';
  let currentAuthorizationServer = authorizationServer;
  const seenTokens: string[] = [];
  const seenRequests: FakeMcpServer['seenRequests'] = [];
  const handler = createMcpHandler(buildServer);
  const serveMcp = toNodeHandler(handler);

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
      res.end(JSON.stringify({ resource: `${base}/`, resource_name: 'Fake MCP', authorization_servers: [currentAuthorizationServer], scopes_supported: ['stocks/read'] }));
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
    const protocolVersion = req.headers['mcp-protocol-version'];
    seenRequests.push({ protocolVersion: typeof protocolVersion === 'string' ? protocolVersion : undefined, method: body.method });
    if (revisions === 'legacy' && body.method === 'server/discover') {
      // What a server that predates 2026-07-28 answers to a method it does not know.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: (body as { id?: unknown }).id ?? null, error: { code: -32601, message: 'Method not found' } }));
      return;
    }
    if (body.method === 'tools/call' && body.params?.name === 'admin-report' && !scope.split(' ').includes('stocks/admin')) {
      challenge(res, 403, 'insufficient_scope', 'stocks/read stocks/admin');
      return;
    }
    // This challenge names only the missing scope, as servers may: the client must keep what it has.
    if (body.method === 'tools/call' && body.params?.name === 'place-order' && !scope.split(' ').includes('stocks/write')) {
      challenge(res, 403, 'insufficient_scope', 'stocks/write');
      return;
    }
    await serveMcp(req, res, body);
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
    seenRequests,
    setAuthorizationServer: (issuer) => {
      currentAuthorizationServer = issuer;
    },
    close: () =>
      new Promise<void>((done) => {
        void handler.close();
        http.close(() => done());
        http.closeAllConnections();
      }),
  };
}

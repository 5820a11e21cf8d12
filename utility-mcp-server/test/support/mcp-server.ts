import { listen } from '@mcp-demo/service-kit';
import type { TestIssuer } from '@mcp-demo/testing';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport, type FetchLike } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { loadSettings } from '../../src/config.ts';
import { createServices } from '../../src/services.ts';

export const EXTERNAL_BASE_URL = 'https://mcp.demo.example';
export const MCP_AUDIENCE = 'https://mcp.demo.example/';
export const RESOURCE_METADATA = 'https://mcp.demo.example/.well-known/oauth-protected-resource';

export interface RunningMcpServer {
  url: string;
  /** Every log line the server wrote, at trace level. */
  logs: string[];
  close(): Promise<void>;
}

/** The environment of a server wired to a test issuer (and, when given, a stocks API). */
export function testEnvironment(issuer: TestIssuer, stocksApiUrl = 'http://127.0.0.1:9', overrides: Record<string, string> = {}): Record<string, string> {
  return {
    EXTERNAL_BASE_URL,
    ISSUER: issuer.issuer,
    JWKS_URI: issuer.jwksUri,
    TOKEN_ENDPOINT: issuer.tokenEndpoint,
    CLIENT_SECRET: 'Password1',
    STOCKS_API_URL: stocksApiUrl,
    ...overrides,
  };
}

/**
 * Runs the app on a free port as main.ts does, except that logs go to an
 * array (without the shared redaction, so a token written by this code
 * would show up) instead of stdout, at trace level unless told otherwise.
 */
export async function startMcpServer(environment: Record<string, string>, logLevel = 'trace'): Promise<RunningMcpServer> {
  const settings = loadSettings(environment);
  const logs: string[] = [];
  const logger = pino({ level: logLevel }, { write: (line: string) => void logs.push(line) });
  const services = createServices(settings, logger);
  const running = await listen(createApp({ settings, logger, ...services }), 0);
  return {
    url: running.url,
    logs,
    close: async () => {
      await running.close();
      await services.close();
    },
  };
}

/**
 * A 2025-11-25 client: the v1 SDK's, connected with a bearer token (initialize
 * handshake first), as an MCP client past its OAuth flow would be.
 */
export async function connectClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'utility-mcp-server-tests', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/**
 * A 2026-07-28 client: the v2 SDK's, pinned to the current revision so that
 * any fallback to the handshake fails instead of passing silently. `fetch`
 * lets a test see every request it sends.
 */
export async function connectModernClient(url: string, token: string, fetch?: FetchLike): Promise<ModernClient> {
  const client = new ModernClient({ name: 'utility-mcp-server-tests', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const transport = new ModernTransport(new URL(`${url}/`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    ...(fetch ? { fetch } : {}),
  });
  await client.connect(transport);
  return client;
}

/** A tool call result in the shape tools return (the SDK's union also covers task results). */
export async function callTool(client: Client | ModernClient, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === 'text' ? item.text : '')).join('');
}

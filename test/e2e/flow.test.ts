import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startStack, type Stack } from './support/stack.ts';
import { connectWithSignIn, textOf, type SignedInClient } from './support/mcp-session.ts';

/**
 * The seed's flow, step by step, through the real gateway (serving
 * kong/kong.yml), the real authorization server, MCP server and stocks API,
 * with the MCP SDK's own client and OAuth support.
 */
let stack: Stack;
let john: SignedInClient;

const catalogue = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../stocks-api/data/stocks.json'), 'utf8')) as {
  stocks: Array<{ id: string; region: string }>;
};
const idsIn = (region: string) => catalogue.stocks.filter((stock) => stock.region === region).map((stock) => stock.id).sort();

interface StockList {
  region: string;
  stocks: Array<{ id: string; region: string }>;
}

function stocksOf(result: CallToolResult): StockList {
  expect(result.isError ?? false).toBe(false);
  return (result.structuredContent as unknown as StockList | undefined) ?? (JSON.parse(textOf(result)) as StockList);
}

function requestsTo(service: string, path: string): number {
  return stack.logLines(service).filter((line) => line.msg === 'request completed' && line.path === path).length;
}

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await john?.close();
  await stack?.stop();
});

describe('discovery', () => {
  it('answers an MCP request without a token with 401 and a challenge pointing at the resource metadata', async () => {
    const response = await fetch(stack.endpoints.external.mcp, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="Missing, invalid or expired access token", resource_metadata="${stack.endpoints.external.protectedResourceMetadata}", scope="stocks/read"`,
    );
  });

  it('serves protected resource metadata without a token', async () => {
    const response = await fetch(stack.endpoints.external.protectedResourceMetadata);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource: stack.endpoints.external.mcp,
      resource_name: expect.any(String),
      authorization_servers: [stack.endpoints.external.issuer],
      scopes_supported: ['stocks/read'],
    });
  });

  it('serves authorization server metadata at the root and at the path-inserted location', async () => {
    const loginBase = new URL(stack.endpoints.external.issuer).origin;
    for (const url of [stack.endpoints.external.authorizationServerMetadata, `${loginBase}/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous`]) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      const metadata = (await response.json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({
        issuer: stack.endpoints.external.issuer,
        authorization_endpoint: `${loginBase}/oauth/v2/oauth-authorize`,
        token_endpoint: `${loginBase}/oauth/v2/oauth-token`,
        introspection_endpoint: `${loginBase}/oauth/v2/oauth-introspect`,
        registration_endpoint: `${loginBase}/token-service/oauth-registration`,
        authorization_response_iss_parameter_supported: true,
      });
      expect(metadata.code_challenge_methods_supported).toContain('S256');
      expect(metadata.scopes_supported).toContain('stocks/read');
      expect(metadata.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:token-exchange');
    }
  });
});

describe('onboarding and sign-in with the MCP SDK client', () => {
  beforeAll(async () => {
    john = await connectWithSignIn(stack.endpoints.external.mcp, { email: 'john.doe@demo.example', inbox: stack.endpoints.external.inbox });
  });

  it('registered dynamically under the MCP policy', () => {
    const registration = john.wire.find((exchange) => exchange.method === 'POST' && exchange.url.endsWith('/token-service/oauth-registration'));
    expect(registration?.status).toBe(201);
    const body = JSON.parse(registration?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      scope: 'stocks/read',
      access_token_ttl: 900,
      require_proof_key: true,
      audiences: [stack.endpoints.external.mcp],
    });
  });

  it('authorized with PKCE S256 and the resource, and got iss back', () => {
    const authorize = john.provider.lastAuthorizationUrl;
    expect(authorize?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize?.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize?.searchParams.get('resource')).toBe(stack.endpoints.external.mcp);
    expect(authorize?.searchParams.get('scope')).toBe('stocks/read');
    expect(john.redirect.searchParams.get('iss')).toBe(stack.endpoints.external.issuer);
  });

  it('received a short-lived opaque access token without a refresh token', () => {
    const tokens = john.provider.savedTokens;
    expect(tokens?.token_type.toLowerCase()).toBe('bearer');
    expect(tokens?.expires_in).toBe(900);
    expect(tokens?.scope).toBe('stocks/read');
    expect(tokens?.refresh_token).toBeUndefined();
    expect(tokens?.access_token.split('.')).toHaveLength(1);
  });

  it('lists the tools', async () => {
    const { tools } = await john.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['fetch-stock-price', 'fetch-stock-prices']);
  });

  it("returns only the user's region's stocks: USA for john.doe", async () => {
    const list = stocksOf((await john.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult);
    expect(list.region).toBe('USA');
    expect(list.stocks.map((stock) => stock.id).sort()).toEqual(idsIn('USA'));
  });

  it('Europe only for jane.test', async () => {
    const jane = await connectWithSignIn(stack.endpoints.external.mcp, { email: 'jane.test@demo.example', inbox: stack.endpoints.external.inbox });
    try {
      const list = stocksOf((await jane.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult);
      expect(list.region).toBe('Europe');
      expect(list.stocks.map((stock) => stock.id).sort()).toEqual(idsIn('Europe'));
      const other = (await jane.client.callTool({ name: 'fetch-stock-price', arguments: { id: idsIn('USA')[0] } })) as CallToolResult;
      expect(other.isError).toBe(true);
    } finally {
      await jane.close();
    }
  });
});

describe('least privilege on every hop', () => {
  it('refuses the opaque MCP token at the stocks API route: its audience is the MCP server', async () => {
    const token = john.provider.savedTokens?.access_token ?? '';
    const response = await fetch(stack.endpoints.external.stocksApi, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('only ever lets exchanged, API-audience tokens reach the stocks API', async () => {
    const result = (await john.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult;
    expect(result.isError ?? false).toBe(false);
    await stack.logsSettled();
    const accepted = stack.logLines('stocks-api').filter((line) => line.msg === 'access token accepted');
    expect(accepted.length).toBeGreaterThan(0);
    for (const line of accepted) expect(line).toMatchObject({ audience: 'https://api.demo.example', actor: 'mcp-server', clientType: 'mcp' });
  });

  it.each([
    ['a random opaque string', () => 'not-a-real-token-123'],
    ['a forged JWT', () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJqb2huLmRvZUBkZW1vLmV4YW1wbGUiLCJzY29wZSI6InN0b2Nrcy9yZWFkIn0.'],
  ])('rejects %s at the gateway', async (_name, token) => {
    const response = await fetch(stack.endpoints.external.mcp, {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('cost per call', () => {
  it('introspects a new token once and exchanges it once, however many calls it makes', async () => {
    const exchanges = () => stack.logLines('utility-mcp-server').filter((line) => line.msg === 'token exchanged').length;
    const introspections = () => requestsTo('authorization-server', '/oauth/v2/oauth-introspect');
    await stack.logsSettled();
    const before = { introspections: introspections(), exchanges: exchanges() };
    const session = await connectWithSignIn(stack.endpoints.external.mcp, { email: 'john.doe@demo.example', inbox: stack.endpoints.external.inbox });
    try {
      for (let call = 0; call < 10; call += 1) {
        stocksOf((await session.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult);
      }
    } finally {
      await session.close();
    }
    await stack.logsSettled();
    expect(introspections() - before.introspections).toBe(1);
    expect(exchanges() - before.exchanges).toBe(1);
  });
});

describe('resilience', () => {
  it('reports a dead stocks API as a readable tool error and recovers when it is back', async () => {
    await stack.stopService('stocks-api');
    const failed = (await john.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult;
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/stocks API is unavailable/i);
    expect(textOf(failed)).not.toMatch(/eyJ|Error:|at .*\.ts/);

    await stack.startService('stocks-api');
    const list = stocksOf((await john.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult);
    expect(list.region).toBe('USA');
  });
});

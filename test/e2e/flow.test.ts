import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { describeScenarios } from './scenarios/index.ts';
import { startStack, type Stack } from './support/stack.ts';
import { connectWithSignIn, textOf, type ClientEra, type SignedInClient, type ToolResult } from './support/mcp-session.ts';

/**
 * The seed's flow through the real gateway (serving kong/kong.yml), the real
 * authorization server, MCP server and stocks API, with the MCP SDK's own
 * client and OAuth support. The scenarios every profile runs come from
 * ./scenarios (test/compose runs the same ones against Docker), once with a
 * 2026-07-28 client (SDK v2) and once with a 2025-11-25 client (SDK v1); the
 * checks below them need what only the local profile offers: exact local
 * URLs, the services' logs, and stopping a service. They use the current
 * revision's client.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('local profile', () => {
  describeScenarios('local', () => (stack ? { endpoints: stack.endpoints.external, fetch } : undefined));
});

const catalogue = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../stocks-api/data/stocks.json'), 'utf8')) as {
  stocks: Array<{ id: string; region: string }>;
};
const idsIn = (region: string) => catalogue.stocks.filter((stock) => stock.region === region).map((stock) => stock.id).sort();

interface StockList {
  region: string;
  stocks: Array<{ id: string; region: string }>;
}

function stocksOf(result: ToolResult): StockList {
  expect(result.isError ?? false, textOf(result)).toBe(false);
  return (result.structuredContent as unknown as StockList | undefined) ?? (JSON.parse(textOf(result)) as StockList);
}

function requestsTo(service: string, path: string): number {
  return stack.logLines(service).filter((line) => line.msg === 'request completed' && line.path === path).length;
}

const signIn = (email: string, era?: ClientEra) => connectWithSignIn(stack.endpoints.external.mcp, { email, inbox: stack.endpoints.external.inbox, ...(era ? { era } : {}) });

describe('local profile, exactly', () => {
  it('answers an MCP request without a token with the exact challenge', async () => {
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

  it('serves authorization server metadata with Curity-compatible endpoints at the root and path-inserted locations', async () => {
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
        jwks_uri: `${loginBase}/oauth/v2/oauth-anonymous/jwks`,
      });
      expect(metadata.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:token-exchange');
    }
  });
});

describe('the MCP headers in the gateway access log', () => {
  it.each([
    ['2026-07-28', { mcpMethod: 'tools/call', mcpName: 'fetch-stock-prices' }],
    // A 2025-11-25 client sends neither header; the line says so by leaving the fields out.
    ['2025-11-25', { mcpMethod: undefined, mcpName: undefined }],
  ] as const)('records what a %s client sends', async (era, expected) => {
    const session = await signIn('john.doe@demo.example', era);
    try {
      await stack.logsSettled();
      const before = stack.logLines('gateway').length;
      stocksOf(await session.client.callTool({ name: 'fetch-stock-prices', arguments: {} }));
      await stack.logsSettled();
      const lines = stack.logLines('gateway').slice(before).filter((line) => line.msg === 'request completed' && line.method === 'POST');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ status: 200 });
      expect({ mcpMethod: lines[0]?.mcpMethod, mcpName: lines[0]?.mcpName }).toEqual(expected);
    } finally {
      await session.close();
    }
  });
});

describe('least privilege on every hop', () => {
  let jane: SignedInClient;
  beforeAll(async () => {
    jane = await signIn('jane.test@demo.example');
  });
  afterAll(() => jane?.close());

  it('lists the stock tools and hides other regions behind fetch-stock-price', async () => {
    const { tools } = await jane.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['fetch-stock-price', 'fetch-stock-prices']));
    const own = (await jane.client.callTool({ name: 'fetch-stock-price', arguments: { id: idsIn('Europe')[0] } }));
    expect(own.isError ?? false, textOf(own)).toBe(false);
    const other = (await jane.client.callTool({ name: 'fetch-stock-price', arguments: { id: idsIn('USA')[0] } }));
    expect(other.isError).toBe(true);
  });

  it('only ever lets exchanged, API-audience tokens reach the stocks API', async () => {
    stocksOf((await jane.client.callTool({ name: 'fetch-stock-prices', arguments: {} })));
    await stack.logsSettled();
    const accepted = stack.logLines('stocks-api').filter((line) => line.msg === 'access token accepted');
    expect(accepted.length).toBeGreaterThan(0);
    for (const line of accepted) expect(line).toMatchObject({ audience: 'https://api.demo.example', actor: 'mcp-server', clientType: 'mcp' });
  });

  it("hands the gateway and the API JWTs with the seed's claims, narrowed to each audience", async () => {
    // What the gateway and the MCP server do, done here with the same demo
    // credentials the launcher gives them, so the tokens can be inspected.
    const as = stack.endpoints.internal.authorizationServer;
    const basic = (id: string) => `Basic ${Buffer.from(`${id}:${stack.settings.GATEWAY_CLIENT_SECRET}`).toString('base64')}`;
    const introspection = await fetch(`${as}/oauth/v2/oauth-introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/jwt', authorization: basic('api-gateway-client') },
      body: new URLSearchParams({ token: jane.provider.savedTokens?.access_token ?? '' }).toString(),
    });
    expect(introspection.headers.get('content-type')).toMatch(/^application\/jwt/);
    const mcpJwt = await introspection.text();
    const mcpClaims = decodeJwt(mcpJwt);
    expect(mcpClaims).toMatchObject({
      iss: stack.endpoints.external.issuer,
      aud: stack.endpoints.external.mcp,
      sub: 'jane.test@demo.example',
      scope: 'stocks/read',
      region: 'Europe',
      client_type: 'mcp',
      client_assurance_level: 1,
      purpose: 'access_token',
    });
    for (const claim of ['jti', 'iat', 'nbf', 'exp', 'delegationId']) expect(mcpClaims[claim], claim).toBeDefined();

    const exchange = await fetch(`${as}/oauth/v2/oauth-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`mcp-server:${stack.settings.MCP_SERVER_CLIENT_SECRET}`).toString('base64')}` },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: mcpJwt,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'https://api.demo.example',
      }).toString(),
    });
    expect(exchange.status).toBe(200);
    const apiClaims = decodeJwt(((await exchange.json()) as { access_token: string }).access_token);
    expect(apiClaims).toMatchObject({
      aud: 'https://api.demo.example',
      sub: mcpClaims.sub,
      scope: mcpClaims.scope,
      region: mcpClaims.region,
      client_type: mcpClaims.client_type,
      client_assurance_level: mcpClaims.client_assurance_level,
      act: { sub: 'mcp-server' },
    });
    expect(apiClaims.exp).toBeLessThanOrEqual(mcpClaims.exp ?? 0);
  });

  it.each([
    ['a random opaque string', 'not-a-real-token-123'],
    ['an unsigned JWT', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJqb2huLmRvZUBkZW1vLmV4YW1wbGUiLCJzY29wZSI6InN0b2Nrcy9yZWFkIn0.'],
  ])('rejects %s at the gateway without reaching the MCP server', async (_name, token) => {
    await stack.logsSettled();
    const reachedBefore = requestsTo('utility-mcp-server', '/');
    const response = await fetch(stack.endpoints.external.mcp, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await stack.logsSettled();
    expect(requestsTo('utility-mcp-server', '/')).toBe(reachedBefore);
  });
});

describe('cost per call', () => {
  it('introspects a new token once and exchanges it once, however many calls it makes', async () => {
    const exchanges = () => stack.logLines('utility-mcp-server').filter((line) => line.msg === 'token exchanged').length;
    const introspections = () => requestsTo('authorization-server', '/oauth/v2/oauth-introspect');
    await stack.logsSettled();
    const before = { introspections: introspections(), exchanges: exchanges() };
    const session = await signIn('john.doe@demo.example');
    try {
      for (let call = 0; call < 10; call += 1) {
        stocksOf((await session.client.callTool({ name: 'fetch-stock-prices', arguments: {} })));
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
    const john = await signIn('john.doe@demo.example');
    try {
      await stack.stopService('stocks-api');
      const failed = (await john.client.callTool({ name: 'fetch-stock-prices', arguments: {} }));
      expect(failed.isError).toBe(true);
      expect(textOf(failed)).toMatch(/stocks API is unavailable/i);
      expect(textOf(failed)).not.toMatch(/eyJ|Error:|at .*\.ts/);

      await stack.startService('stocks-api');
      expect(stocksOf((await john.client.callTool({ name: 'fetch-stock-prices', arguments: {} }))).region).toBe('USA');
    } finally {
      await john.close();
    }
  });
});

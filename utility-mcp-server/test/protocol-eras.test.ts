import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '@mcp-demo/testing';
import type { FetchLike } from '@modelcontextprotocol/client';
import { STOCKS, startStocksApi, type StocksApiUnderTest } from './support/stocks-api.ts';
import { INITIALIZE, MODERN_REVISION, modernHeaders, modernRequest, postMcp, rawRequest } from './support/http-client.ts';
import {
  callTool,
  connectClient,
  connectModernClient,
  MCP_AUDIENCE,
  RESOURCE_METADATA,
  startMcpServer,
  testEnvironment,
  textOf,
  type RunningMcpServer,
} from './support/mcp-server.ts';

const john = { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1, client_id: 'agent-1' };
const CHALLENGE = `Bearer error="invalid_token", error_description="Missing, invalid or expired access token", resource_metadata="${RESOURCE_METADATA}", scope="stocks/read"`;

let issuer: TestIssuer;
let api: StocksApiUnderTest;
let server: RunningMcpServer;

beforeAll(async () => {
  issuer = await startTestIssuer();
  api = await startStocksApi(issuer);
  server = await startMcpServer(testEnvironment(issuer, api.url));
});
afterAll(async () => {
  await server?.close();
  await api?.stop();
  await issuer?.close();
});

const mint = () => issuer.mint(john, { audience: MCP_AUDIENCE });

/** Every request a client sends, with its headers and JSON body. */
function recordingFetch(): { fetch: FetchLike; sent: Array<{ headers: Headers; body: { method?: string; params?: { name?: string } } }> } {
  const sent: Array<{ headers: Headers; body: { method?: string; params?: { name?: string } } }> = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push({ headers: new Headers(init?.headers), body: typeof init?.body === 'string' ? JSON.parse(init.body) : {} });
    return globalThis.fetch(url, init);
  };
  return { fetch, sent };
}

describe('2026-07-28 with the SDK v2 client', () => {
  it('lists and calls tools without a handshake, every request carrying the revision and Mcp-Method', async () => {
    const { fetch, sent } = recordingFetch();
    const client = await connectModernClient(server.url, await mint(), fetch);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['fetch-stock-price', 'fetch-stock-prices', 'place-order']);
      const result = await callTool(client, 'fetch-stock-price', { id: 'acme-robotics' });
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(textOf(result))).toEqual(STOCKS.find((stock) => stock.id === 'acme-robotics'));
    } finally {
      await client.close();
    }
    expect(sent.map((request) => request.body.method)).toEqual(['server/discover', 'tools/list', 'tools/call']);
    for (const request of sent) {
      expect(request.headers.get('mcp-protocol-version')).toBe(MODERN_REVISION);
      expect(request.headers.get('mcp-method')).toBe(request.body.method);
    }
    expect(sent[2]?.headers.get('mcp-name')).toBe('fetch-stock-price');
  });

  it('answers server/discover with the revision, the tools capability and a cache hint', async () => {
    const response = await postMcp(server.url, { token: await mint(), headers: modernHeaders('server/discover'), body: JSON.stringify(modernRequest('server/discover')) });
    expect(response.status).toBe(200);
    expect(response.headers['mcp-session-id']).toBeUndefined();
    const { result } = response.json() as { result: Record<string, unknown> };
    expect(result.supportedVersions).toContain(MODERN_REVISION);
    // The tool list is fixed for the life of the process, so no list_changed notification is promised.
    expect(result.capabilities).toMatchObject({ tools: { listChanged: false } });
    expect(result).toMatchObject({ ttlMs: 300_000, cacheScope: 'public', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'utility-mcp-server' } } });
  });

  it('puts a cache hint on tools/list: the list is the same for every caller', async () => {
    const response = await postMcp(server.url, { token: await mint(), headers: modernHeaders('tools/list'), body: JSON.stringify(modernRequest('tools/list')) });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ id: 1, result: { ttlMs: 300_000, cacheScope: 'public' } });
  });

  it('refuses an Mcp-Method header that does not match the body', async () => {
    const response = await postMcp(server.url, { token: await mint(), headers: modernHeaders('tools/list'), body: JSON.stringify(modernRequest('tools/call', { name: 'fetch-stock-prices' })) });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32020 } });
  });

  it('refuses an Mcp-Name header that does not match the tool called', async () => {
    const body = JSON.stringify(modernRequest('tools/call', { name: 'fetch-stock-prices' }));
    const exchangesBefore = issuer.exchangeCount;
    const response = await postMcp(server.url, { token: await mint(), headers: modernHeaders('tools/call', 'fetch-stock-price'), body });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: -32020 } });
    expect(issuer.exchangeCount).toBe(exchangesBefore);
  });

  it('refuses a 2026-07-28 request without the Mcp-Method header', async () => {
    const response = await postMcp(server.url, { token: await mint(), headers: { 'mcp-protocol-version': MODERN_REVISION }, body: JSON.stringify(modernRequest('tools/list')) });
    expect(response.status).toBe(400);
    expect((response.json() as { error?: unknown }).error).toBeDefined();
  });
});

describe('2025-11-25 clients, unchanged', () => {
  it('initialize answers plain JSON without a session id, at the revision the client asked for', async () => {
    const body = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2025-11-25' } });
    const response = await postMcp(server.url, { token: await mint(), body });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['mcp-session-id']).toBeUndefined();
    expect(response.json()).toMatchObject({ result: { protocolVersion: '2025-11-25', serverInfo: { name: 'utility-mcp-server' } } });
  });

  it('serves the v1 SDK client: tools/list carries no 2026 cache fields', async () => {
    const client = await connectClient(server.url, await mint());
    try {
      const listed = (await client.listTools()) as Record<string, unknown>;
      expect(listed.ttlMs).toBeUndefined();
      const result = await callTool(client, 'fetch-stock-prices');
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});

describe('authorization is the same in both eras', () => {
  it('answers a 2026-07-28 request without a token with the same 401 challenge', async () => {
    const modern = await postMcp(server.url, { headers: modernHeaders('tools/list'), body: JSON.stringify(modernRequest('tools/list')) });
    const legacy = await postMcp(server.url);
    expect(modern.status).toBe(401);
    expect(legacy.status).toBe(401);
    expect(modern.headers['www-authenticate']).toBe(CHALLENGE);
    expect(legacy.headers['www-authenticate']).toBe(CHALLENGE);
  });

  it('refuses a token for another audience in the 2026-07-28 era', async () => {
    const token = await issuer.mint(john, { audience: 'https://api.demo.example' });
    const response = await postMcp(server.url, { token, headers: modernHeaders('tools/list'), body: JSON.stringify(modernRequest('tools/list')) });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('The access token is not intended for this resource');
  });

  it('exchanges one token once, whichever era its calls come in', async () => {
    const token = await mint();
    const before = issuer.exchangeCount;
    const legacy = await connectClient(server.url, token);
    const modern = await connectModernClient(server.url, token);
    try {
      expect((await callTool(legacy, 'fetch-stock-prices')).isError).toBeFalsy();
      expect((await callTool(modern, 'fetch-stock-prices')).isError).toBeFalsy();
      expect((await callTool(modern, 'fetch-stock-price', { id: 'acme-robotics' })).isError).toBeFalsy();
    } finally {
      await legacy.close();
      await modern.close();
    }
    expect(issuer.exchangeCount - before).toBe(1);
  });

  it('answers GET and DELETE with 405 in both eras', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await rawRequest(server.url, { method, headers: modernHeaders('tools/list') });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('POST');
    }
  });
});

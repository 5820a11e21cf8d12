import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '@modelcontextprotocol/client';
import { INSUFFICIENT_SCOPE_MESSAGE } from '@mcp-demo/access-token';
import { startTestApi, type TestApi } from '../../stocks-api/test/support.ts';
import { PLACE_ORDER, requireTradeScope } from '../src/mcp/tools/place-order.ts';
import { callTool, connectModernClient, MCP_AUDIENCE, RESOURCE_METADATA, startMcpServer, testEnvironment, textOf, type RunningMcpServer } from './support/mcp-server.ts';

/**
 * place-order against the real stocks API (its app with an in-test issuer):
 * without stocks/trade the MCP server answers 403 insufficient_scope before
 * the tool runs, in both protocol eras; with it the call reaches the API,
 * which refuses AI agents and accepts a trusted client's order.
 */

const agent = { sub: 'john.doe@demo.example', region: 'USA', client_type: 'mcp', client_assurance_level: 1, client_id: 'console-1' };
const trusted = { sub: 'jane.test@demo.example', region: 'Europe', client_type: 'web', client_assurance_level: 2, client_id: 'web-1' };
const ORDER = { id: 'acme-robotics', side: 'buy', quantity: 3 };
const EUROPEAN_ORDER = { id: 'fjord-shipping', side: 'sell', quantity: 2, limitPrice: 10.5 };
const challengeNaming = (scope: string) =>
  `Bearer error="insufficient_scope", error_description="${INSUFFICIENT_SCOPE_MESSAGE}", scope="${scope}", resource_metadata="${RESOURCE_METADATA}"`;
const CHALLENGE = challengeNaming('stocks/read stocks/trade');

let api: TestApi;
let server: RunningMcpServer;

/** Every response the client got, to see the HTTP answer behind a refused call. */
function recordingFetch(seen: Response[]): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    seen.push(response.clone());
    return response;
  };
}

/** A 2025-11-25 tools/call for place-order, sent by hand. */
const legacyPlaceOrder = async (url: string, accessToken: string) =>
  fetch(`${url}/`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: PLACE_ORDER, arguments: ORDER } }),
  });

const token = (claims: Record<string, unknown>, scope: string) => api.issuer.mint({ ...claims, scope }, { audience: MCP_AUDIENCE });
const ordersAccepted = () => api.logLines.filter((line) => line.includes('order accepted')).length;

beforeAll(async () => {
  api = await startTestApi();
  server = await startMcpServer(testEnvironment(api.issuer, api.url));
});
afterAll(async () => {
  await server?.close();
  await api?.close();
});

describe('place-order, the tool that needs stocks/trade', () => {
  it('is listed with its input schema', async () => {
    const client = await connectModernClient(server.url, await token(agent, 'stocks/read'));
    try {
      const tool = (await client.listTools()).tools.find((entry) => entry.name === PLACE_ORDER);
      expect(tool?.inputSchema.required).toEqual(expect.arrayContaining(['id', 'side', 'quantity']));
      expect(tool?.annotations?.readOnlyHint).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('answers a 2026-07-28 call without stocks/trade with 403 insufficient_scope, before the API is asked', async () => {
    const seen: Response[] = [];
    const before = ordersAccepted();
    const client = await connectModernClient(server.url, await token(trusted, 'stocks/read'), recordingFetch(seen));
    try {
      await expect(callTool(client, PLACE_ORDER, ORDER)).rejects.toThrow();
    } finally {
      await client.close();
    }
    const refused = seen.find((response) => response.status === 403);
    expect(refused?.headers.get('www-authenticate')).toBe(CHALLENGE);
    expect(ordersAccepted()).toBe(before);
  });

  // Sent by hand: the v1 SDK client does not settle a call refused with 403 unless it has an OAuth provider.
  it('answers a 2025-11-25 call without stocks/trade the same way', async () => {
    const before = ordersAccepted();
    const response = await legacyPlaceOrder(server.url, await token(trusted, 'stocks/read'));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(CHALLENGE);
    expect(await response.json()).toEqual({ error: 'insufficient_scope', error_description: INSUFFICIENT_SCOPE_MESSAGE });
    expect(ordersAccepted()).toBe(before);
  });

  // A deployment that configures other scopes for every call: the challenge must name those, or the
  // client's new token would lack them and be refused by the HTTP layer on its next call.
  it('names the configured REQUIRED_SCOPE and stocks/trade in its challenge', async () => {
    const requiredScope = 'stocks/read stocks/quotes';
    const configured = await startMcpServer(testEnvironment(api.issuer, api.url, { REQUIRED_SCOPE: requiredScope }));
    try {
      const before = ordersAccepted();
      const response = await legacyPlaceOrder(configured.url, await token(trusted, requiredScope));
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe(challengeNaming('stocks/read stocks/quotes stocks/trade'));
      expect(ordersAccepted()).toBe(before);
    } finally {
      await configured.close();
    }
  });

  it('names stocks/trade once when the configured scope already holds it', () => {
    const challenge = requireTradeScope('stocks/trade stocks/read');
    const authInfo = { token: 'unused', clientId: 'web-1', scopes: ['stocks/read'] };
    const request = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call' };
    expect(challenge({ request, authInfo })).toEqual({ scopes: ['stocks/read', 'stocks/trade'], errorDescription: INSUFFICIENT_SCOPE_MESSAGE });
    expect(challenge({ request, authInfo: { ...authInfo, scopes: ['stocks/read', 'stocks/trade'] } })).toBeUndefined();
  });

  it('leaves the other tools to stocks/read', async () => {
    const client = await connectModernClient(server.url, await token(agent, 'stocks/read'));
    try {
      const result = await callTool(client, 'fetch-stock-price', { id: 'acme-robotics' });
      expect(result.isError, textOf(result)).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("reaches the API with stocks/trade, which refuses an AI agent's order", async () => {
    const client = await connectModernClient(server.url, await token(agent, 'stocks/read stocks/trade'));
    try {
      const result = await callTool(client, PLACE_ORDER, ORDER);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('The stocks API refused this operation to AI agents: Placing orders is not available to AI agent clients');
    } finally {
      await client.close();
    }
  });

  it("reaches the API with stocks/trade, which accepts a trusted client's order", async () => {
    const before = ordersAccepted();
    const client = await connectModernClient(server.url, await token(trusted, 'stocks/read stocks/trade'));
    try {
      const result = await callTool(client, PLACE_ORDER, EUROPEAN_ORDER);
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ stockId: 'fjord-shipping', side: 'sell', quantity: 2, limitPrice: 10.5, status: 'accepted', placedBy: trusted.sub });
    } finally {
      await client.close();
    }
    expect(ordersAccepted()).toBe(before + 1);
  });

  it('refuses a malformed order before a token is exchanged', async () => {
    const client = await connectModernClient(server.url, await token(trusted, 'stocks/read stocks/trade'));
    try {
      const result = await callTool(client, PLACE_ORDER, { id: 'acme-robotics', side: 'hold', quantity: 0 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/side|quantity/);
    } finally {
      await client.close();
    }
  });
});

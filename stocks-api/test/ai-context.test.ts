import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessTokenClaims } from '@mcp-demo/access-token';
import { assuranceLevelOf, mayPlaceOrders, mayReadInsights } from '../src/domain/ai-context.ts';
import { MCP_CLIENT_CLAIMS, startTestApi, TRUSTED_CLIENT_CLAIMS, type TestApi } from './support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const ORDER = JSON.stringify({ side: 'buy', quantity: 10 });

describe('the write operation refuses AI agents', () => {
  it('answers 403 forbidden_for_ai_agents to an MCP client, without a Bearer challenge', async () => {
    const response = await api.post('/stocks/acme-robotics/orders', ORDER, await api.mint(MCP_CLIENT_CLAIMS));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toEqual({
      code: 'forbidden_for_ai_agents',
      message: 'Placing orders is not available to AI agent clients',
    });
  });

  it('refuses an MCP client even at a high assurance level, before looking at the stock or the body', async () => {
    const token = await api.mint({ ...MCP_CLIENT_CLAIMS, client_assurance_level: 3 });
    for (const [path, body] of [
      ['/stocks/acme-robotics/orders', ORDER],
      ['/stocks/no-such-stock/orders', ORDER],
      ['/stocks/acme-robotics/orders', '{broken'],
    ] as const) {
      const response = await api.post(path, body, token);
      expect(response.status, `${path} ${body}`).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'forbidden_for_ai_agents' });
    }
  });

  it('accepts the order from a client that is not an AI agent', async () => {
    const usaTrusted = { ...TRUSTED_CLIENT_CLAIMS, region: 'USA' };
    const response = await api.post('/stocks/acme-robotics/orders', ORDER, await api.mint(usaTrusted));
    expect(response.status).toBe(202);
    const order = (await response.json()) as Record<string, unknown>;
    expect(order).toMatchObject({
      stockId: 'acme-robotics',
      symbol: 'ACMR',
      side: 'buy',
      quantity: 10,
      currency: 'USD',
      status: 'accepted',
      placedBy: usaTrusted.sub,
    });
    expect(order.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts the order from a token with no client_type claim', async () => {
    const { client_type: _drop, ...claims } = { ...TRUSTED_CLIENT_CLAIMS, region: 'USA' };
    const response = await api.post('/stocks/acme-robotics/orders', ORDER, await api.mint(claims));
    expect(response.status).toBe(202);
  });
});

describe('the sensitive read needs client assurance level 2', () => {
  it('answers 403 insufficient_client_assurance to a dynamically registered MCP client (level 1)', async () => {
    const response = await api.get('/stocks/acme-robotics/insights', await api.mint(MCP_CLIENT_CLAIMS));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toEqual({
      code: 'insufficient_client_assurance',
      message: 'Stock insights require a client assurance level of at least 2',
    });
  });

  it('gives a refused client the same answer for unknown and other-region ids', async () => {
    const token = await api.mint(MCP_CLIENT_CLAIMS);
    const known = await api.get('/stocks/acme-robotics/insights', token);
    const unknown = await api.get('/stocks/no-such-stock/insights', token);
    expect(unknown.status).toBe(known.status);
    expect(await unknown.json()).toEqual(await known.json());
  });

  it('refuses a token without an assurance level, or with one that is not a number', async () => {
    const { client_assurance_level: _drop, ...withoutLevel } = TRUSTED_CLIENT_CLAIMS;
    for (const claims of [withoutLevel, { ...TRUSTED_CLIENT_CLAIMS, client_assurance_level: '2' }]) {
      const response = await api.get('/stocks/nordlicht-optics/insights', await api.mint(claims));
      expect(response.status).toBe(403);
    }
  });

  it('serves insights to a level 2 client that is not an AI agent', async () => {
    const response = await api.get('/stocks/nordlicht-optics/insights', await api.mint(TRUSTED_CLIENT_CLAIMS));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: string; insights: Record<string, unknown> };
    expect(body.id).toBe('nordlicht-optics');
    expect(Object.keys(body.insights).sort()).toEqual(['analystNote', 'analystRating', 'insiderHoldingsPercent', 'targetPrice']);
  });

  it('still applies region filtering to sensitive reads', async () => {
    const token = await api.mint(TRUSTED_CLIENT_CLAIMS);
    const response = await api.get('/stocks/acme-robotics/insights', token);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'not_found', message: 'No stock with this id is available to you' });
  });
});

describe('client rules as functions', () => {
  const claims = (extra: Partial<AccessTokenClaims>): AccessTokenClaims => ({ sub: 's', scope: 'stocks/read', ...extra });

  it('reads the assurance level only from a number', () => {
    expect(assuranceLevelOf(claims({ client_assurance_level: 2 }))).toBe(2);
    expect(assuranceLevelOf(claims({}))).toBe(0);
    // @ts-expect-error a string level is deliberately outside the claim's type
    expect(assuranceLevelOf(claims({ client_assurance_level: '3' }))).toBe(0);
    expect(assuranceLevelOf(claims({ client_assurance_level: Number.NaN }))).toBe(0);
  });

  it('decides orders on client_type and insights on the assurance level alone', () => {
    expect(mayPlaceOrders(claims({ client_type: 'mcp', client_assurance_level: 5 })).allowed).toBe(false);
    expect(mayPlaceOrders(claims({ client_type: 'MCP' })).allowed).toBe(false);
    expect(mayPlaceOrders(claims({ client_type: 'web' })).allowed).toBe(true);
    expect(mayPlaceOrders(claims({})).allowed).toBe(true);
    expect(mayReadInsights(claims({ client_type: 'mcp', client_assurance_level: 2 })).allowed).toBe(true);
    expect(mayReadInsights(claims({ client_type: 'web', client_assurance_level: 1 })).allowed).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, TRUSTED_CLIENT_CLAIMS, type TestApi } from './support.ts';

let api: TestApi;
let token: string;

beforeAll(async () => {
  api = await startTestApi();
  token = await api.mint(TRUSTED_CLIENT_CLAIMS);
});
afterAll(() => api.close());

const ORDERS = '/stocks/nordlicht-optics/orders';

describe('POST /stocks/:id/orders', () => {
  it('acknowledges a valid limit order with 202', async () => {
    const response = await api.post(ORDERS, JSON.stringify({ side: 'sell', quantity: 5, limitPrice: 70.5 }), token);
    expect(response.status).toBe(202);
    const order = (await response.json()) as Record<string, unknown>;
    expect(order).toMatchObject({ stockId: 'nordlicht-optics', side: 'sell', quantity: 5, limitPrice: 70.5, currency: 'EUR' });
    expect(Number.isNaN(Date.parse(String(order.placedAt)))).toBe(false);
  });

  it('answers malformed JSON with a JSON 400', async () => {
    const response = await api.post(ORDERS, '{"side": "buy", quantity: }', token);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ code: 'invalid_request', message: 'The request body is not valid JSON' });
  });

  it.each<[string, string, string]>([
    ['a missing field', JSON.stringify({ side: 'buy' }), 'Invalid order: quantity is required'],
    ['an unknown side', JSON.stringify({ side: 'short', quantity: 1 }), 'Invalid order: side must be "buy" or "sell"'],
    ['a fractional quantity', JSON.stringify({ side: 'buy', quantity: 1.5 }), 'Invalid order: quantity must be a whole number'],
    ['a zero quantity', JSON.stringify({ side: 'buy', quantity: 0 }), 'Invalid order: quantity must be at least 1'],
    ['a quantity as text', JSON.stringify({ side: 'buy', quantity: '10' }), 'Invalid order: quantity must be a number'],
    ['a negative limit price', JSON.stringify({ side: 'buy', quantity: 1, limitPrice: -3 }), 'Invalid order: limitPrice must be greater than 0'],
    ['an unknown field', JSON.stringify({ side: 'buy', quantity: 1, account: 'x' }), 'Invalid order: unknown field(s) account'],
    ['an array', JSON.stringify([{ side: 'buy', quantity: 1 }]), 'The request body must be a JSON object'],
    ['JSON null', 'null', 'The request body must be a JSON object'],
    ['a bare number', '42', 'The request body must be a JSON object'],
  ])('answers 400 to an order with %s', async (_case, body, message) => {
    const response = await api.post(ORDERS, body, token);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 'invalid_request', message });
  });

  it('answers 400 when the body is not sent as JSON', async () => {
    const response = await api.post(ORDERS, 'side=buy&quantity=1', token, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 'invalid_request', message: 'The request body must be a JSON object' });
  });

  it('answers 413 to an oversized body', async () => {
    const response = await api.post(ORDERS, JSON.stringify({ side: 'buy', quantity: 1, padding: 'x'.repeat(32_000) }), token);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('answers 404 for orders on unknown or other-region stocks', async () => {
    for (const id of ['acme-robotics', 'no-such-stock']) {
      const response = await api.post(`/stocks/${id}/orders`, JSON.stringify({ side: 'buy', quantity: 1 }), token);
      expect(response.status, id).toBe(404);
      expect(await response.json()).toEqual({ code: 'not_found', message: 'No stock with this id is available to you' });
    }
  });
});

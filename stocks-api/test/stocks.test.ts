import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_STOCKS_FILE } from '../src/config.ts';
import { MCP_CLIENT_CLAIMS, startTestApi, type TestApi } from './support.ts';

interface RawStock {
  id: string;
  region: string;
}

let api: TestApi;
let raw: RawStock[];

beforeAll(async () => {
  api = await startTestApi();
  raw = (JSON.parse(await readFile(BUNDLED_STOCKS_FILE, 'utf8')) as { stocks: RawStock[] }).stocks;
});
afterAll(() => api.close());

const idsIn = (region: string) =>
  raw
    .filter((stock) => stock.region === region)
    .map((stock) => stock.id)
    .sort();

const tokenFor = (region: string) => api.mint({ ...MCP_CLIENT_CLAIMS, region });

describe('GET /stocks', () => {
  it.each(['USA', 'Europe', 'Asia'])('lists exactly the stocks of region %s, without sensitive fields', async (region) => {
    const response = await api.get('/stocks', await tokenFor(region));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { region: string; stocks: Array<Record<string, unknown>> };
    expect(body.region).toBe(region);
    expect(body.stocks.length).toBeGreaterThanOrEqual(2);
    expect(body.stocks.map((stock) => stock.id).sort()).toEqual(idsIn(region));
    for (const stock of body.stocks) {
      expect(stock.region).toBe(region);
      expect(Object.keys(stock).sort()).toEqual(['currency', 'exchange', 'id', 'name', 'price', 'region', 'symbol']);
    }
  });

  it('gives each region different stocks', async () => {
    const usa = await (await api.get('/stocks', await tokenFor('USA'))).json();
    const europe = await (await api.get('/stocks', await tokenFor('Europe'))).json();
    expect(usa).not.toEqual(europe);
  });

  it('returns an empty list for a region that holds no stocks, and compares regions exactly', async () => {
    for (const region of ['Antarctica', 'usa']) {
      const response = await api.get('/stocks', await tokenFor(region));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ region, stocks: [] });
    }
  });
});

describe('GET /stocks/:id', () => {
  it('returns a stock of the caller region', async () => {
    const [id] = idsIn('Europe');
    const response = await api.get(`/stocks/${id}`, await tokenFor('Europe'));
    expect(response.status).toBe(200);
    const stock = (await response.json()) as Record<string, unknown>;
    expect(stock.id).toBe(id);
    expect(stock.region).toBe('Europe');
    expect(stock).not.toHaveProperty('insights');
  });

  it('answers another region stock exactly like an unknown id', async () => {
    const token = await tokenFor('USA');
    const [asian] = idsIn('Asia');
    const otherRegion = await api.get(`/stocks/${asian}`, token);
    const unknown = await api.get('/stocks/no-such-stock', token);
    expect(otherRegion.status).toBe(404);
    expect(unknown.status).toBe(404);
    const body = await otherRegion.json();
    expect(body).toEqual({ code: 'not_found', message: 'No stock with this id is available to you' });
    expect(await unknown.json()).toEqual(body);
  });
});

describe('outside the stock routes', () => {
  it('serves GET /health without a token', async () => {
    const response = await api.get('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await api.get('/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ code: 'not_found', message: 'The requested resource does not exist' });
  });

  it('answers unknown routes under /stocks with a JSON 404 once the token is valid', async () => {
    const response = await api.get('/stocks/acme-robotics/history', await tokenFor('USA'));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  it('echoes a sane X-Request-Id and does not advertise the framework', async () => {
    const response = await api.get('/health', undefined, { 'x-request-id': 'trace-123' });
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

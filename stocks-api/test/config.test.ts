import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '@mcp-demo/service-kit';
import { BUNDLED_STOCKS_FILE, loadSettings } from '../src/config.ts';
import { loadCatalogue } from '../src/domain/catalogue.ts';

const REQUIRED = {
  ISSUER: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  JWKS_URI: 'http://idsvr:8443/oauth/v2/oauth-anonymous/jwks',
};

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).message;
  }
  throw new Error('expected a configuration error');
}

describe('settings', () => {
  it('applies the documented defaults', () => {
    expect(loadSettings(REQUIRED)).toEqual({
      PORT: 3001,
      HOST: '127.0.0.1',
      ISSUER: REQUIRED.ISSUER,
      JWKS_URI: REQUIRED.JWKS_URI,
      AUDIENCE: 'https://api.demo.example',
      ALGORITHMS: ['PS256'],
      REQUIRED_SCOPE: 'stocks/read',
      CLOCK_TOLERANCE_SECONDS: 5,
      VERIFIED_TOKEN_CACHE_ENTRIES: 10_000,
      STOCKS_DATA_FILE: BUNDLED_STOCKS_FILE,
      LOG_LEVEL: 'info',
    });
  });

  it('reads every variable', () => {
    const settings = loadSettings({
      ...REQUIRED,
      PORT: '4001',
      HOST: '0.0.0.0',
      AUDIENCE: 'https://api.other.example',
      ALGORITHMS: 'PS256, ES256',
      REQUIRED_SCOPE: 'stocks/read stocks/trade',
      CLOCK_TOLERANCE_SECONDS: '0',
      VERIFIED_TOKEN_CACHE_ENTRIES: '0',
      STOCKS_DATA_FILE: '/srv/stocks.json',
      LOG_LEVEL: 'debug',
    });
    expect(settings).toMatchObject({
      PORT: 4001,
      HOST: '0.0.0.0',
      AUDIENCE: 'https://api.other.example',
      ALGORITHMS: ['PS256', 'ES256'],
      REQUIRED_SCOPE: 'stocks/read stocks/trade',
      CLOCK_TOLERANCE_SECONDS: 0,
      VERIFIED_TOKEN_CACHE_ENTRIES: 0,
      STOCKS_DATA_FILE: '/srv/stocks.json',
      LOG_LEVEL: 'debug',
    });
  });

  it('names a malformed ISSUER', () => {
    expect(problemsOf({ ...REQUIRED, ISSUER: 'login.demo.example' })).toMatch(/^\s+- ISSUER: /m);
  });

  it('names every missing required variable', () => {
    const message = problemsOf({});
    expect(message).toContain('ISSUER: is required but not set');
    expect(message).toContain('JWKS_URI: is required but not set');
  });

  it('reads a blank variable as unset, so the default applies', () => {
    const blank = { PORT: '', HOST: '', AUDIENCE: '', ALGORITHMS: '', REQUIRED_SCOPE: '', CLOCK_TOLERANCE_SECONDS: '', VERIFIED_TOKEN_CACHE_ENTRIES: '', STOCKS_DATA_FILE: '', LOG_LEVEL: '' };
    expect(loadSettings({ ...REQUIRED, ...blank })).toEqual(loadSettings(REQUIRED));
  });

  it('accepts its own .env.example as it is', async () => {
    const example = parseEnv(await readFile(fileURLToPath(new URL('../.env.example', import.meta.url)), 'utf8'));
    expect(loadSettings(example)).toMatchObject({ PORT: 3001, HOST: '127.0.0.1', AUDIENCE: 'https://api.demo.example', ALGORITHMS: ['PS256'] });
  });

  it.each(['HS256', 'none', 'PS256,HS512', ','])('refuses ALGORITHMS=%j', (value) => {
    expect(problemsOf({ ...REQUIRED, ALGORITHMS: value })).toMatch(/^\s+- ALGORITHMS: /m);
  });

  it.each<[string, string]>([
    ['PORT', '70000'],
    ['CLOCK_TOLERANCE_SECONDS', '3600'],
    ['CLOCK_TOLERANCE_SECONDS', '-1'],
    ['REQUIRED_SCOPE', 'stocks/read  "quoted"'],
    ['LOG_LEVEL', 'loud'],
    ['JWKS_URI', 'file:///etc/passwd'],
  ])('names %s when it is %j', (variable, value) => {
    expect(problemsOf({ ...REQUIRED, [variable]: value })).toMatch(new RegExp(`^\\s+- ${variable}: `, 'm'));
  });
});

describe('stock catalogue file', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'stocks-api-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('bundles several stocks for each of three regions, each with insights', async () => {
    const stocks = await loadCatalogue(BUNDLED_STOCKS_FILE);
    const perRegion = new Map<string, number>();
    for (const stock of stocks) perRegion.set(stock.region, (perRegion.get(stock.region) ?? 0) + 1);
    expect([...perRegion.keys()].sort()).toEqual(['Asia', 'Europe', 'USA']);
    for (const count of perRegion.values()) expect(count).toBeGreaterThanOrEqual(2);
    for (const stock of stocks) expect(stock.insights.analystNote.length).toBeGreaterThan(0);
  });

  it('names the file when it is missing, not JSON, or invalid', async () => {
    const missing = join(folder, 'missing.json');
    await expect(loadCatalogue(missing)).rejects.toThrow(`STOCKS_DATA_FILE ${missing} cannot be read (ENOENT)`);

    const broken = join(folder, 'broken.json');
    await writeFile(broken, '{"stocks": [');
    await expect(loadCatalogue(broken)).rejects.toThrow(`STOCKS_DATA_FILE ${broken} is not valid JSON`);

    const duplicate = join(folder, 'duplicate.json');
    const stock = {
      id: 'a',
      name: 'A',
      symbol: 'A',
      exchange: 'X',
      price: 1,
      currency: 'usd',
      region: 'USA',
      insights: { analystRating: 'buy', targetPrice: 1, analystNote: 'n', insiderHoldingsPercent: 1 },
    };
    await writeFile(duplicate, JSON.stringify({ stocks: [{ ...stock, currency: 'USD' }, stock] }));
    const error = await loadCatalogue(duplicate).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(`STOCKS_DATA_FILE ${duplicate}`);
    expect(error?.message).toContain('stocks.1.currency: must be an ISO 4217 code');
    expect(error?.message).toContain('stocks.1.id: duplicate id a');
  });
});

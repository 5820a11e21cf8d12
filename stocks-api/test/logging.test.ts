import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, MCP_AUDIENCE, MCP_CLIENT_CLAIMS, startTestApi, TRUSTED_CLIENT_CLAIMS, type TestApi } from './support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('logs', () => {
  it('never contain a token, whether accepted or refused', async () => {
    const { region: _drop, ...regionless } = MCP_CLIENT_CLAIMS;
    const tokens = [
      await api.mint(MCP_CLIENT_CLAIMS),
      await api.mint(TRUSTED_CLIENT_CLAIMS),
      await api.mint(MCP_CLIENT_CLAIMS, { expiresIn: -60 }),
      await api.mint(MCP_CLIENT_CLAIMS, { audience: MCP_AUDIENCE }),
      await api.mint(regionless),
      await api.issuer.mintWithUnknownKey(MCP_CLIENT_CLAIMS, { audience: AUDIENCE }),
    ];
    for (const token of tokens) {
      await api.get('/stocks', token);
      await api.get('/stocks/nordlicht-optics/insights', token);
      await api.post('/stocks/nordlicht-optics/orders', JSON.stringify({ side: 'buy', quantity: 1 }), token);
      await api.post('/stocks/nordlicht-optics/orders', '{bad json', token);
    }
    await api.get(`/stocks?access_token=${tokens[0]}`);

    // One access line per request proves the capture works; the rest must be clean.
    expect(api.logLines.filter((line) => line.includes('"request completed"')).length).toBe(tokens.length * 4 + 1);
    expect(api.logLines.some((line) => line.includes('"access token rejected"'))).toBe(true);
    for (const token of tokens) {
      const signature = token.split('.')[2] ?? '';
      expect(signature.length).toBeGreaterThan(20);
      for (const line of api.logLines) {
        expect(line).not.toContain(signature);
        expect(line.toLowerCase()).not.toContain('bearer');
      }
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tamperSignature, unusedPort } from '@mcp-demo/testing';
import { AUDIENCE, challenge, MCP_AUDIENCE, MCP_CLIENT_CLAIMS, startTestApi, type TestApi } from './support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const INVALID = 'Missing, invalid or expired access token';

describe('access token validation on GET /stocks', () => {
  it('accepts a valid token', async () => {
    const response = await api.get('/stocks', await api.mint(MCP_CLIENT_CLAIMS));
    expect(response.status).toBe(200);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Nothing may cache the answer, so no ETag is computed for it.
    expect(response.headers.get('etag')).toBeNull();
  });

  it.each<[string, () => Promise<string>, string]>([
    ['expired', () => api.mint(MCP_CLIENT_CLAIMS, { expiresIn: -60 }), 'The access token has expired'],
    ['not yet valid', () => api.mint(MCP_CLIENT_CLAIMS, { notBefore: 120 }), 'The access token is not yet valid'],
    ['issued in the future, beyond the clock tolerance', () => api.mint(MCP_CLIENT_CLAIMS, { issuedAt: 120 }), 'The access token is not yet valid'],
    ['from another issuer', () => api.mint(MCP_CLIENT_CLAIMS, { issuer: 'https://login.evil.example/oauth/v2/oauth-anonymous' }), 'The access token was issued by an untrusted issuer'],
    ['meant for another API', () => api.mint(MCP_CLIENT_CLAIMS, { audience: 'https://other.demo.example' }), 'The access token is not intended for this resource'],
    // The MCP client's own token must be exchanged first; passing it through is refused.
    ['meant for the MCP server', () => api.mint(MCP_CLIENT_CLAIMS, { audience: MCP_AUDIENCE }), 'The access token is not intended for this resource'],
    ['unsigned (alg none)', async () => api.issuer.mintUnsigned(MCP_CLIENT_CLAIMS, { audience: AUDIENCE }), INVALID],
    ['HS256 signed with the public key', () => api.issuer.mintWithPublicKeyAsHmacSecret(MCP_CLIENT_CLAIMS, { audience: AUDIENCE }), INVALID],
    ['signed by an unknown key', () => api.issuer.mintWithUnknownKey(MCP_CLIENT_CLAIMS, { audience: AUDIENCE }), INVALID],
    ['tampered with', async () => tamperSignature(await api.mint(MCP_CLIENT_CLAIMS)), INVALID],
    ['not a JWT at all', async () => 'opaque-token-the-gateway-should-have-swapped', INVALID],
  ])('answers 401 to a token that is %s', async (_case, makeToken, description) => {
    const response = await api.get('/stocks', await makeToken());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(challenge('invalid_token', description));
    expect(await response.json()).toEqual({ code: 'invalid_token', message: description });
  });

  it('answers 401 without a token, and the challenge has no resource_metadata', async () => {
    const response = await api.get('/stocks');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="Missing, invalid or expired access token", scope="stocks/read"',
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ code: 'invalid_token', message: INVALID });
  });

  it('ignores tokens in the query string and other schemes', async () => {
    const token = await api.mint(MCP_CLIENT_CLAIMS);
    const inQuery = await api.get(`/stocks?access_token=${token}`);
    expect(inQuery.status).toBe(401);
    const basic = await api.get('/stocks', undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    expect(basic.status).toBe(401);
  });

  it('answers 403 insufficient_scope to a token without the required scope', async () => {
    const response = await api.get('/stocks', await api.mint({ ...MCP_CLIENT_CLAIMS, scope: 'openid profile' }));
    expect(response.status).toBe(403);
    const description = 'The access token lacks the required scope stocks/read';
    expect(response.headers.get('www-authenticate')).toBe(challenge('insufficient_scope', description));
    expect(await response.json()).toEqual({ code: 'insufficient_scope', message: description });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['not a string', ['USA']],
  ])('answers 403 missing_region when the region claim is %s', async (_case, region) => {
    const { region: _drop, ...rest } = MCP_CLIENT_CLAIMS;
    const claims = region === undefined ? rest : { ...rest, region };
    for (const path of ['/stocks', '/stocks/acme-robotics', '/stocks/acme-robotics/insights']) {
      const response = await api.get(path, await api.mint(claims));
      expect(response.status, path).toBe(403);
      const description = 'The access token carries no region claim, so no stock data can be selected for it';
      expect(response.headers.get('www-authenticate')).toBe(challenge('insufficient_scope', description));
      expect(await response.json()).toEqual({ code: 'missing_region', message: description });
    }
  });

  it('checks the token before anything else under /stocks, unknown paths included', async () => {
    for (const path of ['/stocks/acme-robotics', '/stocks/acme-robotics/insights', '/stocks/no/such/route']) {
      const response = await api.get(path);
      expect(response.status, path).toBe(401);
    }
    const order = await api.post('/stocks/acme-robotics/orders', '{not json');
    expect(order.status).toBe(401);
    expect(order.headers.get('www-authenticate')).toBe(challenge('invalid_token', INVALID));
  });
});

describe('when the signing keys cannot be fetched', () => {
  it('answers 503 with Retry-After and no challenge, so clients retry rather than re-authorize', async () => {
    const keyless = await startTestApi({ jwksUri: `http://127.0.0.1:${await unusedPort()}/jwks` });
    try {
      const response = await keyless.get('/stocks', await keyless.mint(MCP_CLIENT_CLAIMS));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(await response.json()).toEqual({
        code: 'authorization_server_unavailable',
        message: 'The token signing keys could not be fetched; try again later',
      });
      expect((await keyless.get('/health')).status).toBe(200);
    } finally {
      await keyless.close();
    }
  });
});

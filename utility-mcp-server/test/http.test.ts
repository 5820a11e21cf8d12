import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, tamperSignature, unusedPort, type TestIssuer } from '@mcp-demo/testing';
import { INITIALIZE, modernHeaders, modernRequest, postMcp, rawRequest } from './support/http-client.ts';
import { MCP_AUDIENCE, RESOURCE_METADATA, startMcpServer, testEnvironment, type RunningMcpServer } from './support/mcp-server.ts';

const claims = { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1 };

let issuer: TestIssuer;
let server: RunningMcpServer;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await startMcpServer(testEnvironment(issuer));
});
afterAll(async () => {
  await server?.close();
  await issuer?.close();
});

function challenge(error: string, description: string): string {
  return `Bearer error="${error}", error_description="${description}", resource_metadata="${RESOURCE_METADATA}", scope="stocks/read"`;
}

describe('access token validation on the MCP endpoint', () => {
  it('accepts a valid token and answers initialize', async () => {
    const response = await postMcp(server.url, { token: await issuer.mint(claims, { audience: MCP_AUDIENCE }) });
    expect(response.status).toBe(200);
    expect(response.headers['mcp-session-id']).toBeUndefined();
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'utility-mcp-server' } } });
  });

  it('answers a request without a token with 401 and the discovery challenge', async () => {
    const response = await postMcp(server.url);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(challenge('invalid_token', 'Missing, invalid or expired access token'));
    expect(response.json()).toEqual({ code: 'invalid_token', message: 'Missing, invalid or expired access token' });
  });

  it('treats a non-bearer Authorization header as no token', async () => {
    const response = await postMcp(server.url, { headers: { authorization: 'Basic bWNwOnNlY3JldA==' } });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(challenge('invalid_token', 'Missing, invalid or expired access token'));
  });

  const tampered = async () => tamperSignature(await issuer.mint(claims, { audience: MCP_AUDIENCE }));

  it.each([
    ['expired', () => issuer.mint(claims, { audience: MCP_AUDIENCE, expiresIn: -60 }), 'The access token has expired'],
    ['not yet valid', () => issuer.mint(claims, { audience: MCP_AUDIENCE, notBefore: 120 }), 'The access token is not yet valid'],
    [
      'from another issuer',
      () => issuer.mint(claims, { audience: MCP_AUDIENCE, issuer: 'https://login.evil.example/oauth/v2/oauth-anonymous' }),
      'The access token was issued by an untrusted issuer',
    ],
    ['for the stocks API', () => issuer.mint(claims, { audience: 'https://api.demo.example' }), 'The access token is not intended for this resource'],
    ['for another resource', () => issuer.mint(claims, { audience: 'https://mcp.other.example/' }), 'The access token is not intended for this resource'],
    ['unsigned (alg none)', async () => issuer.mintUnsigned(claims, { audience: MCP_AUDIENCE }), 'Missing, invalid or expired access token'],
    [
      'HS256 signed with the public key',
      () => issuer.mintWithPublicKeyAsHmacSecret(claims, { audience: MCP_AUDIENCE }),
      'Missing, invalid or expired access token',
    ],
    ['signed with an unknown key', () => issuer.mintWithUnknownKey(claims, { audience: MCP_AUDIENCE }), 'Missing, invalid or expired access token'],
    ['tampered with', tampered, 'Missing, invalid or expired access token'],
    ['not a JWT', async () => 'opaque-token-value', 'Missing, invalid or expired access token'],
  ])('rejects a token that is %s with 401', async (_case, makeToken, description) => {
    const response = await postMcp(server.url, { token: await makeToken() });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(challenge('invalid_token', description));
    expect(response.json()).toEqual({ code: 'invalid_token', message: description });
  });

  it('answers a token without the stocks/read scope with 403 insufficient_scope', async () => {
    const token = await issuer.mint({ ...claims, scope: 'openid profile' }, { audience: MCP_AUDIENCE });
    const response = await postMcp(server.url, { token });
    expect(response.status).toBe(403);
    const description = 'The access token lacks the required scope stocks/read';
    expect(response.headers['www-authenticate']).toBe(challenge('insufficient_scope', description));
    expect(response.json()).toEqual({ code: 'insufficient_scope', message: description });
  });
});

describe('signing keys that cannot be fetched', () => {
  it('answer 503 without a challenge, so clients retry instead of re-authorizing, and the server keeps serving', async () => {
    const orphan = await startMcpServer(testEnvironment(issuer, undefined, { JWKS_URI: `http://127.0.0.1:${await unusedPort()}/jwks` }));
    try {
      const response = await postMcp(orphan.url, { token: await issuer.mint(claims, { audience: MCP_AUDIENCE }) });
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(response.json()).toEqual({ code: 'authorization_server_unavailable', message: 'The token signing keys could not be fetched; try again later' });
      expect((await rawRequest(orphan.url, { path: '/health' })).status).toBe(200);
    } finally {
      await orphan.close();
    }
  });
});

describe('protected resource metadata', () => {
  it('is served without a token, readable from any origin', async () => {
    const response = await rawRequest(server.url, { path: '/.well-known/oauth-protected-resource', headers: { origin: 'http://localhost:6274' } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.json()).toEqual({
      resource: 'https://mcp.demo.example/',
      resource_name: 'MCP Server',
      authorization_servers: [issuer.issuer],
      scopes_supported: ['stocks/read'],
      bearer_methods_supported: ['header'],
    });
  });

  it('answers the browser preflight that the MCP-Protocol-Version header triggers', async () => {
    const response = await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/.well-known/oauth-protected-resource',
      headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' },
    });
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(String(response.headers['access-control-allow-headers']).toLowerCase()).toContain('mcp-protocol-version');
  });

  it('names the configured authorization server and resource name', async () => {
    const other = await startMcpServer(
      testEnvironment(issuer, undefined, { AUTHORIZATION_SERVER: 'https://login.demo.example', RESOURCE_NAME: 'Stocks MCP' }),
    );
    try {
      const response = await rawRequest(other.url, { path: '/.well-known/oauth-protected-resource' });
      expect(response.json()).toMatchObject({ resource_name: 'Stocks MCP', authorization_servers: ['https://login.demo.example'] });
    } finally {
      await other.close();
    }
  });
});

describe('Streamable HTTP transport edges', () => {
  it.each(['GET', 'DELETE'])('answers %s with 405, Allow: POST and a JSON-RPC error', async (method) => {
    const response = await rawRequest(server.url, { method, headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null });
  });

  it('answers malformed JSON with a JSON-RPC parse error and keeps serving', async () => {
    const token = await issuer.mint(claims, { audience: MCP_AUDIENCE });
    const response = await postMcp(server.url, { token, body: '{"jsonrpc": "2.0", "id": 1, "method": ' });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });

    const next = await postMcp(server.url, { token });
    expect(next.status).toBe(200);
  });

  // JSON-RPC 2.0 section 5.1: valid JSON that is not a Request object is -32600 Invalid Request.
  it('answers JSON that is not a JSON-RPC message with an invalid request error', async () => {
    const token = await issuer.mint(claims, { audience: MCP_AUDIENCE });
    const response = await postMcp(server.url, { token, body: JSON.stringify({ hello: 'world' }) });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
  });

  it('refuses a body over the size limit with 413', async () => {
    const token = await issuer.mint(claims, { audience: MCP_AUDIENCE });
    const body = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'x'.repeat(200_000) } });
    const response = await postMcp(server.url, { token, body });
    expect(response.status).toBe(413);
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
  });

  it('leaves a non-JSON media type to the transport, which answers 415', async () => {
    const token = await issuer.mint(claims, { audience: MCP_AUDIENCE });
    const response = await postMcp(server.url, { token, headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(415);
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
  });

  it('answers a client that does not accept JSON and event streams with 406', async () => {
    const token = await issuer.mint(claims, { audience: MCP_AUDIENCE });
    const response = await postMcp(server.url, { token, headers: { accept: 'text/html' } });
    expect(response.status).toBe(406);
  });

  it('does not parse the body of a request without a valid token', async () => {
    const response = await postMcp(server.url, { body: '{not json' });
    expect(response.status).toBe(401);
  });

  it('serves GET /health', async () => {
    const response = await rawRequest(server.url, { path: '/health' });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await rawRequest(server.url, { path: '/mcp' });
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({ code: 'not_found', message: 'The requested resource does not exist' });
  });
});

describe('DNS rebinding protection', () => {
  let guarded: RunningMcpServer;
  let token: string;

  beforeAll(async () => {
    guarded = await startMcpServer(
      testEnvironment(issuer, undefined, { ALLOWED_HOSTS: 'mcp.demo.example, 127.0.0.1', ALLOWED_ORIGINS: 'http://localhost:6274' }),
    );
    token = await issuer.mint(claims, { audience: MCP_AUDIENCE });
  });
  afterAll(() => guarded?.close());

  it('accepts a listed Host with any port and a listed Origin', async () => {
    const response = await postMcp(guarded.url, { token, headers: { host: 'mcp.demo.example:443', origin: 'http://localhost:6274' } });
    expect(response.status).toBe(200);
  });

  it('accepts a request without an Origin header', async () => {
    const response = await postMcp(guarded.url, { token });
    expect(response.status).toBe(200);
  });

  it('refuses an unlisted Host with 403, before looking at the token', async () => {
    const response = await postMcp(guarded.url, { token, headers: { host: 'attacker.example' } });
    expect(response.status).toBe(403);
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    const unauthenticated = await postMcp(guarded.url, { headers: { host: 'attacker.example' } });
    expect(unauthenticated.status).toBe(403);
  });

  it('refuses an unlisted Origin with 403', async () => {
    const response = await postMcp(guarded.url, { token, headers: { origin: 'https://attacker.example' } });
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Origin not allowed' }, id: null });
  });

  it('leaves the Host check off when no host is listed', async () => {
    const response = await postMcp(server.url, { token, headers: { host: 'attacker.example' } });
    expect(response.status).toBe(200);
  });

  it('checks the Origin by default: another origin gets 403, the own origin and the MCP Inspector pass', async () => {
    const refused = await postMcp(server.url, { token, headers: { origin: 'https://attacker.example' } });
    expect(refused.status).toBe(403);
    expect(refused.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Origin not allowed' }, id: null });
    // Same host name, another port: another application, refused.
    expect((await postMcp(server.url, { token, headers: { origin: 'http://localhost:6275' } })).status).toBe(403);
    expect((await postMcp(server.url, { token, headers: { origin: 'https://mcp.demo.example' } })).status).toBe(200);
    expect((await postMcp(server.url, { token, headers: { origin: 'http://localhost:6274' } })).status).toBe(200);
  });

  it('refuses an unlisted Origin in the 2026-07-28 era too', async () => {
    const response = await postMcp(server.url, { token, headers: { origin: 'https://attacker.example', ...modernHeaders('tools/list') }, body: JSON.stringify(modernRequest('tools/list')) });
    expect(response.status).toBe(403);
  });
});

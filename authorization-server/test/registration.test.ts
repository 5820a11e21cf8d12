import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectorRegistration, register, REDIRECT_URI } from './support/oauth.ts';
import { MCP_AUDIENCE, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let as: RunningAuthorizationServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
});

afterAll(async () => {
  await as?.destroy();
});

describe('dynamic client registration (RFC 7591) with the MCP policy', () => {
  it('registers an MCP client and answers like the seed, policy attributes included', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, json } = await register(as.baseUrl, inspectorRegistration());
    expect(status).toBe(201);
    expect(json.client_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(typeof json.client_secret).toBe('string');
    expect((json.client_secret as string).length).toBeGreaterThanOrEqual(32);
    expect(json.client_id_issued_at).toBeGreaterThanOrEqual(before);
    expect(json).toMatchObject({
      client_secret_expires_at: 0,
      client_name: 'MCP Inspector',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: 'stocks/read',
      token_endpoint_auth_method: 'client_secret_post',
      require_proof_key: true,
      access_token_ttl: 900,
      refresh_token_ttl: 0,
      audiences: [MCP_AUDIENCE],
      client_type: 'mcp',
      client_assurance_level: 1,
      name: 'MCP Inspector',
      template_area: 'mcp-client',
    });
    expect(json).not.toHaveProperty('registration_access_token');
  });

  it('ignores policy attributes a client tries to set itself', async () => {
    const { status, json } = await register(
      as.baseUrl,
      inspectorRegistration({
        client_assurance_level: 3,
        audiences: ['https://api.demo.example'],
        access_token_ttl: 86400,
        client_type: 'backend',
        introspection_allowed: true,
        token_exchange_audiences: ['https://api.demo.example'],
      }),
    );
    expect(status).toBe(201);
    expect(json).toMatchObject({ client_assurance_level: 1, audiences: [MCP_AUDIENCE], access_token_ttl: 900, client_type: 'mcp' });
    expect(json).not.toHaveProperty('introspection_allowed');
    expect(json).not.toHaveProperty('token_exchange_audiences');
  });

  it('accepts the refresh_token grant type MCP clients list, and public clients', async () => {
    const { status, json } = await register(
      as.baseUrl,
      inspectorRegistration({ grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' }),
    );
    expect(status).toBe(201);
    expect(json.grant_types).toEqual(['authorization_code', 'refresh_token']);
    expect(json.refresh_token_ttl).toBe(0);
    expect(json).not.toHaveProperty('client_secret');
  });

  it('allows https, and http on 127.0.0.1, [::1] and localhost', async () => {
    const redirectUris = ['https://app.example/callback', 'http://127.0.0.1:6274/callback', 'http://[::1]/cb', 'http://localhost:6274/oauth/callback'];
    const { status, json } = await register(as.baseUrl, inspectorRegistration({ redirect_uris: redirectUris }));
    expect(status).toBe(201);
    expect(json.redirect_uris).toEqual(redirectUris);
  });

  const badRedirects: Array<[string, string]> = [
    ['http on a public host', 'http://app.example/callback'],
    ['a fragment', 'https://app.example/callback#x'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,hi'],
    ['a custom scheme', 'com.example.app:/callback'],
    ['an unparsable value', 'not a uri'],
  ];
  it.each(badRedirects)('refuses a redirect URI with %s as invalid_redirect_uri', async (_case, uri) => {
    const { status, json } = await register(as.baseUrl, inspectorRegistration({ redirect_uris: [REDIRECT_URI, uri] }));
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_redirect_uri');
    expect(String(json.error_description)).toMatch(/redirect/);
  });

  it('refuses a registration without redirect URIs', async () => {
    const { status, json } = await register(as.baseUrl, inspectorRegistration({ redirect_uris: [] }));
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_redirect_uri');
  });

  const badMetadata: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no stocks/read scope', { scope: 'openid' }, /stocks\/read/],
    ['no scope at all', { scope: undefined }, /stocks\/read/],
    ['an unknown scope', { scope: 'stocks/read stocks/write' }, /scope/],
    ['the implicit grant', { grant_types: ['implicit'] }, /grant_types/],
    ['the password grant', { grant_types: ['authorization_code', 'password'] }, /grant_types/],
    ['the token exchange grant', { grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'] }, /grant_types/],
    ['an unknown grant type', { grant_types: ['authorization_code', 'urn:example:grant'] }, /unsupported: urn:example:grant/],
    ['the token response type', { response_types: ['token'] }, /response_types/],
    ['an unknown authentication method', { token_endpoint_auth_method: 'tls_client_auth' }, /token_endpoint_auth_method/],
    ['a non-string client name', { client_name: 42 }, /client_name/],
  ];
  it.each(badMetadata)('refuses %s as invalid_client_metadata', async (_case, overrides, description) => {
    const { status, json } = await register(as.baseUrl, inspectorRegistration(overrides));
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_client_metadata');
    expect(String(json.error_description)).toMatch(description);
  });

  it('refuses a body that is not a JSON object', async () => {
    const response = await fetch(`${as.baseUrl}/token-service/oauth-registration`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '["not", "an", "object"]',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('lets browser-based clients register across origins and read the refusals', async () => {
    const origin = 'http://localhost:6274';
    const preflight = await fetch(`${as.baseUrl}/token-service/oauth-registration`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-protocol-version' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/mcp-protocol-version/i);

    for (const [body, status] of [
      [inspectorRegistration(), 201],
      [inspectorRegistration({ redirect_uris: ['javascript:alert(1)'] }), 400],
    ] as const) {
      const response = await fetch(`${as.baseUrl}/token-service/oauth-registration`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(status);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      await response.body?.cancel();
    }
  });
});

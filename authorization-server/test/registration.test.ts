import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox } from '@mcp-demo/testing';
import { createBrowser } from './support/browser.ts';
import { authorizeUrl, inspectorRegistration, pkcePair, register, registerMcpClient, REDIRECT_URI, signIn } from './support/oauth.ts';
import { MCP_AUDIENCE, mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

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
      // Registered for the step-up scope too, so the client can ask for it later.
      scope: 'stocks/read stocks/trade',
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

describe('registration bounds', () => {
  const refusedAs = async (body: unknown, status = 400, error = 'invalid_client_metadata') => {
    const answer = await register(as.baseUrl, body);
    expect(answer.status, JSON.stringify(answer.json)).toBe(status);
    expect(answer.json.error).toBe(error);
    return String(answer.json.error_description);
  };

  it('refuses a client_name longer than REGISTRATION_MAX_CLIENT_NAME_LENGTH', async () => {
    expect((await register(as.baseUrl, inspectorRegistration({ client_name: 'n'.repeat(100) }))).status).toBe(201);
    expect(await refusedAs(inspectorRegistration({ client_name: 'n'.repeat(101) }))).toContain('client_name is longer than 100 characters');
  });

  it('refuses too many redirect URIs, over-long URIs and other over-long values', async () => {
    const uris = Array.from({ length: 11 }, (_, index) => `http://127.0.0.1:8765/callback/${index}`);
    // RFC 7591 names invalid_redirect_uri for problems with redirect URIs.
    expect(await refusedAs(inspectorRegistration({ redirect_uris: uris }), 400, 'invalid_redirect_uri')).toContain('redirect_uris has more than 10 items');
    const long = `http://127.0.0.1:8765/${'p'.repeat(2000)}`;
    expect(await refusedAs(inspectorRegistration({ redirect_uris: [long] }), 400, 'invalid_redirect_uri')).toContain(
      'redirect_uris[0] is longer than 2000 characters',
    );
    expect(await refusedAs(inspectorRegistration({ client_uri: `https://app.example/${'x'.repeat(2000)}` }))).toContain('client_uri is longer');
    expect(await refusedAs(inspectorRegistration({ software_id: 's'.repeat(2001) }))).toContain('software_id is longer');
    expect(await refusedAs(inspectorRegistration({ contacts: Array.from({ length: 11 }, (_, i) => `a${i}@app.example`) }))).toContain('contacts has more');
  });

  it('refuses a body larger than REGISTRATION_MAX_BODY_BYTES before reading it, and one without a declared length', async () => {
    const padded = { ...inspectorRegistration(), padding: 'x'.repeat(9000) };
    expect(await refusedAs(padded, 413)).toContain('at most 8192 bytes');

    const chunked = await fetch(`${as.baseUrl}/token-service/oauth-registration`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([JSON.stringify(inspectorRegistration())]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
    expect(((await chunked.json()) as Record<string, unknown>).error).toBe('invalid_client_metadata');
  });

  it('stores a registration for UNUSED_REGISTRATION_TTL_SECONDS until it is used for a sign-in', async () => {
    const inbox = await startTestInbox();
    const server = await startAuthorizationServer({
      env: { ...mailSettings(inbox), UNUSED_REGISTRATION_TTL_SECONDS: '600' },
    });
    try {
      const database = new DatabaseSync(join(server.dataDir, 'authorization-server.sqlite'));
      const expiry = (id: string) =>
        (database.prepare("SELECT expires_at FROM oidc_models WHERE model = 'Client' AND id = ?").get(id) as { expires_at: number | null }).expires_at;

      const used = await registerMcpClient(server.baseUrl);
      const unused = await registerMcpClient(server.baseUrl);
      for (const client of [used, unused]) {
        expect(expiry(client.client_id)).toBeGreaterThan(Date.now() + 590_000);
        expect(expiry(client.client_id)).toBeLessThanOrEqual(Date.now() + 600_000);
      }
      await signIn(createBrowser(), server.baseUrl, authorizeUrl(server.baseUrl, { clientId: used.client_id, challenge: pkcePair().challenge }), { inbox });
      expect(expiry(used.client_id)).toBeNull();

      // Once its time is up, the unused registration is gone: the client is unknown.
      database.prepare("UPDATE oidc_models SET expires_at = ? WHERE model = 'Client' AND id = ?").run(Date.now() - 1, unused.client_id);
      const response = await createBrowser().get(authorizeUrl(server.baseUrl, { clientId: unused.client_id, challenge: pkcePair().challenge }));
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('invalid_client');
      database.close();
    } finally {
      await server.destroy();
      await inbox.close();
    }
  });
});

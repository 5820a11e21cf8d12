import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let as: RunningAuthorizationServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
});

afterAll(async () => {
  await as?.destroy();
});

const ROOT_METADATA = '/.well-known/oauth-authorization-server';

// What the MCP authorization specification derives from an issuer with a path
// (RFC 8414 path insertion, OpenID Connect path insertion and appending), the
// seed's root URL, and the remaining combinations clients are known to try.
const DISCOVERY_PATHS = [
  ROOT_METADATA,
  '/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous',
  '/.well-known/openid-configuration/oauth/v2/oauth-anonymous',
  '/oauth/v2/oauth-anonymous/.well-known/openid-configuration',
  '/.well-known/openid-configuration',
  '/oauth/v2/oauth-anonymous/.well-known/oauth-authorization-server',
];

// The MCP Inspector in direct mode runs on this origin and fetches from the browser.
const INSPECTOR_ORIGIN = 'http://localhost:6274';

describe('authorization server metadata', () => {
  it.each(DISCOVERY_PATHS)('is served at %s with Curity paths under the public base URL', async (path) => {
    const response = await fetch(`${as.baseUrl}${path}`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    const base = as.baseUrl;
    expect(metadata).toMatchObject({
      issuer: `${base}/oauth/v2/oauth-anonymous`,
      authorization_endpoint: `${base}/oauth/v2/oauth-authorize`,
      token_endpoint: `${base}/oauth/v2/oauth-token`,
      introspection_endpoint: `${base}/oauth/v2/oauth-introspect`,
      registration_endpoint: `${base}/token-service/oauth-registration`,
      jwks_uri: `${base}/oauth/v2/oauth-anonymous/jwks`,
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange']));
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.scopes_supported).toContain('stocks/read');
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']));
  });

  it.each(DISCOVERY_PATHS)('serves the very same document at %s', async (path) => {
    const root = await (await fetch(`${as.baseUrl}${ROOT_METADATA}`)).json();
    expect(await (await fetch(`${as.baseUrl}${path}`)).json()).toEqual(root);
  });

  it.each([...DISCOVERY_PATHS, '/oauth/v2/oauth-anonymous/jwks'])('lets browser-based clients read %s across origins', async (path) => {
    const read = await fetch(`${as.baseUrl}${path}`, { headers: { origin: INSPECTOR_ORIGIN } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe(INSPECTOR_ORIGIN);
    await read.body?.cancel();

    // The MCP SDK sends MCP-Protocol-Version with discovery requests, which needs a preflight.
    const preflight = await fetch(`${as.baseUrl}${path}`, {
      method: 'OPTIONS',
      headers: { origin: INSPECTOR_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(INSPECTOR_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/mcp-protocol-version/i);
  });

  it('serves no metadata under other paths', async () => {
    const response = await fetch(`${as.baseUrl}/.well-known/oauth-authorization-server/some/other/issuer`);
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });

  it('names the public base URL even when the request reaches the port directly with another Host', async () => {
    const metadata = (await (
      await fetch(`${as.baseUrl}/.well-known/oauth-authorization-server`, { headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } })
    ).json()) as Record<string, string>;
    expect(metadata.token_endpoint).toBe(`${as.baseUrl}/oauth/v2/oauth-token`);
  });

  it('publishes one RSA PS256 signing key and no private parts', async () => {
    const response = await fetch(`${as.baseUrl}/oauth/v2/oauth-anonymous/jwks`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'PS256', use: 'sig' });
    for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(part);
  });

  it('reports health', async () => {
    const response = await fetch(`${as.baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', issuer: as.issuer });
  });

  it('sends security headers and JSON errors for unknown paths', async () => {
    const response = await fetch(`${as.baseUrl}/no/such/path`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'not_found', message: 'The requested resource does not exist' });
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('renders authorization errors as an HTML page without internals', async () => {
    const response = await fetch(`${as.baseUrl}/oauth/v2/oauth-authorize?client_id=unknown&response_type=code&scope=stocks/read`, {
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('invalid_client');
    expect(page).not.toMatch(/at .*\.js:\d+/);
  });
});

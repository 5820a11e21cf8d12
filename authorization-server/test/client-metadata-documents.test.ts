import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser } from './support/browser.ts';
import { REDIRECT_URI, authorizeUrl, introspect, pkcePair, redeemCode, signIn } from './support/oauth.ts';
import { GATEWAY_SECRET, MCP_AUDIENCE, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let as: RunningAuthorizationServer;
let strict: RunningAuthorizationServer;
let inbox: TestInbox;
let documents: Server;
let documentsUrl: string;
const fetches = new Map<string, number>();

/** Documents the in-test host serves, by path; functions receive the document's own URL. */
const served: Record<string, (url: string) => { status?: number; body: string; headers?: Record<string, string> }> = {
  '/agent.json': (url) => ({
    body: JSON.stringify({
      client_id: url,
      client_name: 'Metadata Agent',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'stocks/read',
    }),
    headers: { 'cache-control': 'max-age=60' },
  }),
  '/no-scope.json': (url) => ({ body: JSON.stringify({ client_id: url, client_name: 'No scope', redirect_uris: [REDIRECT_URI] }) }),
  '/other-scope.json': (url) => ({ body: JSON.stringify({ client_id: url, redirect_uris: [REDIRECT_URI], scope: 'openid' }) }),
  '/mismatch.json': () => ({ body: JSON.stringify({ client_id: 'https://elsewhere.example/client.json', redirect_uris: [REDIRECT_URI] }) }),
  '/bad-redirect.json': (url) => ({ body: JSON.stringify({ client_id: url, redirect_uris: ['http://app.example/callback'] }) }),
  '/with-secret.json': (url) => ({ body: JSON.stringify({ client_id: url, redirect_uris: [REDIRECT_URI], client_secret: 'x' }) }),
  '/secret-auth.json': (url) => ({
    body: JSON.stringify({ client_id: url, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'client_secret_basic' }),
  }),
  '/huge.json': (url) => ({ body: JSON.stringify({ client_id: url, redirect_uris: [REDIRECT_URI], padding: 'x'.repeat(64 * 1024) }) }),
  '/not-json.json': () => ({ body: '<html>hello</html>' }),
  '/missing.json': () => ({ status: 404, body: '{}' }),
};

beforeAll(async () => {
  documents = createServer((request, response) => {
    const path = new URL(request.url ?? '/', documentsUrl).pathname;
    fetches.set(path, (fetches.get(path) ?? 0) + 1);
    const document = served[path];
    if (!document) {
      response.writeHead(404).end();
      return;
    }
    const { status = 200, body, headers = {} } = document(`${documentsUrl}${path}`);
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
  });
  await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
  documentsUrl = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`;

  inbox = await startTestInbox();
  const mail = { SMTP_HOST: inbox.smtpHost, SMTP_PORT: String(inbox.smtpPort) };
  as = await startAuthorizationServer({ env: { ...mail, CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: 'true' } });
  strict = await startAuthorizationServer({ env: mail });
});

afterAll(async () => {
  await as?.destroy();
  await strict?.destroy();
  await inbox?.close();
  await new Promise<void>((resolve) => documents?.close(() => resolve()));
});

async function authorizationError(server: RunningAuthorizationServer, clientId: string): Promise<{ status: number; page: string }> {
  const response = await createBrowser().get(authorizeUrl(server.baseUrl, { clientId, challenge: pkcePair().challenge }));
  return { status: response.status, page: await response.text() };
}

describe('client ID metadata documents', () => {
  it('signs a user in for a client identified by its metadata document URL, with the MCP policy', async () => {
    const clientId = `${documentsUrl}/agent.json`;
    const { verifier, challenge } = pkcePair();
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId, challenge }), { inbox });
    expect(callback.searchParams.get('iss')).toBe(as.issuer);
    const { status, json } = await redeemCode(as.baseUrl, { clientId, code: callback.searchParams.get('code') as string, verifier });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toMatchObject({ expires_in: 900, scope: 'stocks/read' });
    expect(json).not.toHaveProperty('refresh_token');

    const introspection = (await (
      await introspect(as.baseUrl, json.access_token as string, { id: 'api-gateway-client', secret: GATEWAY_SECRET })
    ).json()) as Record<string, unknown>;
    expect(introspection).toMatchObject({ active: true, client_id: clientId, aud: MCP_AUDIENCE, client_type: 'mcp', client_assurance_level: 1 });
  });

  it('caches a document instead of fetching it for every request', async () => {
    const clientId = `${documentsUrl}/agent.json`;
    const before = fetches.get('/agent.json') ?? 0;
    const response = await createBrowser().get(authorizeUrl(as.baseUrl, { clientId, challenge: pkcePair().challenge }));
    expect(response.status).toBe(303);
    await response.body?.cancel();
    expect(fetches.get('/agent.json') ?? 0).toBe(before);
  });

  it('treats a document without scope as asking for stocks/read', async () => {
    const response = await createBrowser().get(authorizeUrl(as.baseUrl, { clientId: `${documentsUrl}/no-scope.json`, challenge: pkcePair().challenge }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toContain('/authn/interaction/');
    await response.body?.cancel();
  });

  const refused: Array<[string, string, RegExp]> = [
    ['a document whose client_id is another URL', '/mismatch.json', /client_id does not equal/],
    ['a redirect URI that is not https or loopback', '/bad-redirect.json', /redirect URI/],
    ['a client secret', '/with-secret.json', /secret/],
    ['shared-secret authentication', '/secret-auth.json', /token_endpoint_auth_method/],
    ['a document that is too large', '/huge.json', /larger than/],
    ['a document that is not JSON', '/not-json.json', /not JSON/],
    ['a missing document', '/missing.json', /HTTP 404/],
    ['a scope without stocks/read', '/other-scope.json', /stocks\/read/],
  ];
  it.each(refused)('refuses %s as invalid_client', async (_case, path, description) => {
    const { status, page } = await authorizationError(as, `${documentsUrl}${path}`);
    expect(status).toBe(400);
    expect(page).toContain('invalid_client');
    expect(page).toMatch(description);
  });

  it('does not fetch http documents unless CLIENT_METADATA_ALLOW_HTTP_LOOPBACK is on', async () => {
    const before = fetches.get('/agent.json') ?? 0;
    const { status, page } = await authorizationError(strict, `${documentsUrl}/agent.json`);
    expect(status).toBe(400);
    expect(page).toContain('invalid_client');
    expect(fetches.get('/agent.json') ?? 0).toBe(before);
  });

  it('is advertised in the metadata', async () => {
    const metadata = (await (await fetch(`${as.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
  });
});

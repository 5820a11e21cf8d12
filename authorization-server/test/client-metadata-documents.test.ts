import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mcp-demo/service-kit';
import { startTestInbox, unusedPort, type TestInbox } from '@mcp-demo/testing';
import { fetchDocument } from '../src/clients/document-fetch.ts';
import { DOCUMENT_REFUSED, cacheSecondsOf } from '../src/clients/metadata-documents.ts';
import { isPublicAddress } from '../src/clients/public-addresses.ts';
import { createBrowser } from './support/browser.ts';
import { JOHN, REDIRECT_URI, authorizeUrl, introspect, pkcePair, redeemCode, signIn } from './support/oauth.ts';
import { GATEWAY_SECRET, MCP_AUDIENCE, mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let as: RunningAuthorizationServer;
let strict: RunningAuthorizationServer;
/** Takes http loopback documents but has no private origin allowed: the default for every other host. */
let unlisted: RunningAuthorizationServer;
const logLines: string[] = [];
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
  '/protected.json': () => ({ status: 401, body: '{}' }),
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
  const mail = mailSettings(inbox);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  as = await startAuthorizationServer({
    env: { ...mail, CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: 'true', CLIENT_METADATA_PRIVATE_ORIGINS: documentsUrl },
    logger: createLogger('authorization-server', 'info', sink),
  });
  strict = await startAuthorizationServer({ env: { ...mail, CLIENT_METADATA_PRIVATE_ORIGINS: documentsUrl } });
  unlisted = await startAuthorizationServer({ env: { ...mail, CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: 'true' } });
});

afterAll(async () => {
  await as?.destroy();
  await strict?.destroy();
  await unlisted?.destroy();
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
    // The code mail names the verified host of the document, apart from the name the client chose.
    const [mail] = (await inbox.messagesTo(JOHN)).sort((a, b) => b.time.getTime() - a.time.getTime());
    expect(mail?.text).toContain(`An application published at ${new URL(documentsUrl).host} asked you to sign in.`);
    expect(mail?.text).toContain('Name the application gave itself (not verified): "Metadata Agent"');
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
    ['a document that is too large', '/huge.json', /more than 16384 bytes/],
    ['a document that is not JSON', '/not-json.json', /not JSON/],
    ['a missing document', '/missing.json', /HTTP 404/],
    ['a document behind authentication', '/protected.json', /HTTP 401/],
    ['a scope without stocks/read', '/other-scope.json', /stocks\/read/],
  ];
  const uniformPage = async () => (await authorizationError(as, `${documentsUrl}/nothing-here.json`)).page;
  it.each(refused)('refuses %s with the one uniform invalid_client page, fetching once, and logs why', async (_case, path, reason) => {
    const before = fetches.get(path) ?? 0;
    const clientId = `${documentsUrl}${path}`;
    const { status, page } = await authorizationError(as, clientId);
    expect(status).toBe(400);
    expect(page).toContain('invalid_client');
    expect(page).toContain(DOCUMENT_REFUSED);
    expect(page).toBe(await uniformPage());
    expect((fetches.get(path) ?? 0) - before).toBe(1);
    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.clientId === clientId);
    expect(String(logged?.reason)).toMatch(reason);
  });

  it('refuses an unreachable port with the same page, revealing nothing about the fetch', async () => {
    const closed = await unusedPort();
    const { status, page } = await authorizationError(as, `http://127.0.0.1:${closed}/agent.json`);
    expect(status).toBe(400);
    expect(page).toBe(await uniformPage());
  });

  it('fetches nothing from loopback or private addresses outside CLIENT_METADATA_PRIVATE_ORIGINS', async () => {
    const before = fetches.get('/agent.json') ?? 0;
    // The document host is allowed on `as` by origin only: another name for the same address is not.
    const localhost = `${documentsUrl.replace('127.0.0.1', 'localhost')}/agent.json`;
    expect((await authorizationError(as, localhost)).page).toBe(await uniformPage());
    expect((await authorizationError(unlisted, `${documentsUrl}/agent.json`)).page).toContain(DOCUMENT_REFUSED);
    expect((await authorizationError(unlisted, `http://[::1]:${new URL(documentsUrl).port}/agent.json`)).status).toBe(400);
    expect(fetches.get('/agent.json') ?? 0).toBe(before);
  });

  it('does not fetch http documents unless CLIENT_METADATA_ALLOW_HTTP_LOOPBACK is on', async () => {
    const before = fetches.get('/agent.json') ?? 0;
    const { status, page } = await authorizationError(strict, `${documentsUrl}/agent.json`);
    expect(status).toBe(400);
    expect(page).toContain('invalid_client');
    expect(fetches.get('/agent.json') ?? 0).toBe(before);
  });

  it('checks every resolved address and connects to the address it checked', async () => {
    const port = new URL(documentsUrl).port;
    const url = new URL(`http://documents.test:${port}/agent.json`);
    const options = { timeoutMs: 2_000, maxBytes: 16_384 };
    let lookups = 0;
    const toLoopback = async () => (lookups += 1, [{ address: '127.0.0.1', family: 4 }]);
    const before = fetches.get('/agent.json') ?? 0;

    // documents.test exists only in this resolver: the socket goes where the check looked, once.
    const allowed = await fetchDocument(url, { ...options, resolve: toLoopback, allowPrivate: true });
    expect(allowed.status).toBe(200);
    expect(lookups).toBe(1);

    await expect(fetchDocument(url, { ...options, resolve: toLoopback, allowPrivate: false })).rejects.toThrow(/non-public/);
    const mixed = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '::ffff:10.0.0.1', family: 6 },
    ];
    await expect(fetchDocument(url, { ...options, resolve: mixed, allowPrivate: false })).rejects.toThrow(/non-public/);
    await expect(fetchDocument(new URL(`http://127.0.0.1:${port}/agent.json`), { ...options, resolve: toLoopback, allowPrivate: false })).rejects.toThrow(
      /not a public address/,
    );
    expect((fetches.get('/agent.json') ?? 0) - before).toBe(1);
  });

  it.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.31.255.255', false],
    ['192.168.0.1', false],
    ['100.64.0.1', false],
    ['169.254.169.254', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['::', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:a9fe:a9fe', false],
    ['fe80::1', false],
    ['fd12:3456::1', false],
    ['fc00::1', false],
    ['64:ff9b::a00:1', false],
    ['2002:a00:1::', false],
    ['not an address', false],
    ['93.184.215.14', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:8.8.8.8', true],
  ])('classifies %s as public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it.each([
    ['max-age=120', 120],
    ['public, max-age=5', 10],
    ['max-age=999999', 300],
    ['no-store', 10],
    ['no-cache, max-age=100', 10],
    ['', 60],
  ])('keeps a document with Cache-Control "%s" for %i seconds (bounds 10 and 300)', (header, seconds) => {
    expect(cacheSecondsOf(header, 10, 300)).toBe(seconds);
  });

  it('is advertised in the metadata', async () => {
    const metadata = (await (await fetch(`${as.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
  });
});

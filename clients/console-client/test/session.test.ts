import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeError } from '../src/errors.ts';
import { AuthorizationError, startCallbackServer, type CallbackServer } from '../src/oauth/callback-server.ts';
import { createConsoleOAuthProvider, type PreRegisteredClient } from '../src/oauth/provider.ts';
import { createObservedFetch } from '../src/observed-fetch.ts';
import { createRecordingReporter } from '../src/report.ts';
import { createSession, type Session } from '../src/session.ts';
import { createStateStore, type StateStore } from '../src/state/store.ts';
import { startFakeAuthorizationServer, type FakeAuthorizationServer } from './support/fake-authorization-server.ts';
import { startFakeMcpServer, type FakeMcpServer } from './support/fake-mcp-server.ts';
import { followAuthorization } from './support/follow-redirects.ts';

let as: FakeAuthorizationServer;
let mcp: FakeMcpServer;
let stateDir: string;
let store: StateStore;
const open: Array<{ session: Session; callback: CallbackServer }> = [];

beforeEach(async () => {
  as = await startFakeAuthorizationServer();
  mcp = await startFakeMcpServer({ authorizationServer: as.issuer, scopeOf: as.scopeOf });
  stateDir = mkdtempSync(join(tmpdir(), 'console-client-'));
  store = createStateStore(join(stateDir, 'state'));
});

afterEach(async () => {
  for (const { session, callback } of open.splice(0)) {
    await session.close();
    await callback.close();
  }
  await mcp.close();
  await as.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** A session whose "browser" follows the authorization server's redirects back to the callback. */
async function newSession(clientMetadataUrl?: string, server: FakeMcpServer = mcp, preRegistered?: PreRegisteredClient, onOpen?: (url: string) => void) {
  const report = createRecordingReporter();
  const callback = await startCallbackServer();
  const observed = createObservedFetch(server.url, report);
  const opened: string[] = [];
  const provider = createConsoleOAuthProvider({
    serverUrl: server.url,
    store,
    callback,
    report,
    clientName: 'Console client test',
    clientMetadataUrl,
    ...(preRegistered ? { preRegistered } : {}),
    signInTimeoutMs: 10_000,
    openUrl: (url, onFailure) => {
      opened.push(url);
      onOpen?.(url);
      followAuthorization(url).catch(onFailure);
    },
  });
  const session = createSession({ serverUrl: server.url, provider, store, observed, report, clientInfo: { name: 'test', version: '0' } });
  open.push({ session, callback });
  return { session, report, opened, callback };
}

describe('console client session against a protected MCP server', () => {
  it('discovers, registers, signs in with PKCE and resource, and calls the tool', async () => {
    const { session, report, callback } = await newSession();
    const result = await session.callTool('fetch-stock-price', { id: 'acme-robotics' });

    expect(result.isError).toBeFalsy();
    expect(result.content[0]).toEqual({ type: 'text', text: JSON.stringify([{ id: 'acme-robotics', price: 42 }]) });
    expect(as.registrations).toBe(1);
    expect(as.lastRegistration).toMatchObject({ application_type: 'native', token_endpoint_auth_method: 'none', scope: 'stocks/read', redirect_uris: [callback.redirectUrl] });
    const request = as.lastAuthorization!;
    expect(request.get('code_challenge_method')).toBe('S256');
    expect(request.get('resource')).toBe(mcp.url);
    expect(request.get('scope')).toBe('stocks/read');
    expect(request.get('redirect_uri')).toBe(callback.redirectUrl);
    expect(request.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(report.lines).toEqual(
      expect.arrayContaining(['The MCP server requires authorization', 'Discovering the authorization server…', `Authorization server: ${as.issuer}`, 'Signed in (scope: stocks/read)']),
    );
    expect(report.lines.some((line) => line.startsWith('Registered client '))).toBe(true);
    const stored = store.load(mcp.url);
    expect(store.loadClient(as.issuer).registration).toBe('dynamic');
    expect(stored.issuer).toBe(as.issuer);
    expect(stored.tokens?.access_token).toBe(mcp.seenTokens.at(-1));
    expect(statSync(store.fileFor(mcp.url)).mode & 0o777).toBe(0o600);
    // Progress lines never show the token.
    expect(report.lines.join('\n')).not.toContain(stored.tokens!.access_token);
  });

  it('reuses the stored registration and token in a later run', async () => {
    const first = await newSession();
    await first.session.callTool('fetch-stock-prices', {});
    const authorizationRequests = as.authorizations;
    const second = await newSession();
    const tools = await second.session.listTools();

    expect(tools.map((tool) => tool.name)).toContain('fetch-stock-prices');
    expect(as.registrations).toBe(1);
    expect(as.authorizations).toBe(authorizationRequests);
    expect(second.opened).toEqual([]);
  });

  it('signs in again with the same registration when the token is no longer accepted', async () => {
    const first = await newSession();
    await first.session.callTool('fetch-stock-prices', {});
    store.update(mcp.url, (state) => ({ ...state, tokens: { ...state.tokens!, access_token: 'revoked' } }));

    const second = await newSession();
    await second.session.callTool('fetch-stock-prices', {});
    expect(as.registrations).toBe(1);
    expect(second.opened).toHaveLength(1);
    expect(second.report.lines).toContain('The MCP server requires authorization');
  });

  it('registers again, once, when the authorization response says the stored client is unknown', async () => {
    const first = await newSession();
    await first.session.callTool('fetch-stock-prices', {});
    const oldClient = store.loadClient(as.issuer).clientInformation!.client_id;
    as.forgetClients({ redirectWithError: true });
    store.update(mcp.url, (state) => ({ ...state, tokens: { ...state.tokens!, access_token: 'revoked' } }));
    const authorizationsBefore = as.authorizations;

    const second = await newSession();
    await second.session.callTool('fetch-stock-prices', {});
    expect(as.registrations).toBe(2);
    expect(store.loadClient(as.issuer).clientInformation!.client_id).not.toBe(oldClient);
    // One authorization request per sign-in: the refused one and the one that worked, both by the browser.
    expect(second.opened).toHaveLength(2);
    expect(as.authorizations - authorizationsBefore).toBe(2);
    expect(second.report.lines).toContain('The authorization server no longer knows this client; registering again');
  });

  it('sends exactly one authorization request per sign-in, the browser\'s', async () => {
    const { session, opened } = await newSession();
    await session.callTool('fetch-stock-prices', {});
    expect(opened).toHaveLength(1);
    expect(as.authorizations).toBe(1);
  });

  it('registers again, once, when the token endpoint answers invalid_client', async () => {
    as.forgetClientsAtNextTokenRequest();
    const { session, report, opened } = await newSession();
    await session.callTool('fetch-stock-prices', {});

    expect(as.registrations).toBe(2);
    expect(opened).toHaveLength(2);
    expect(report.lines).toContain('The authorization server no longer knows this client; registering again');
    expect(store.load(mcp.url).tokens).toBeDefined();
  });

  it('steps up to the scope named by a 403 insufficient_scope challenge', async () => {
    const { session, report } = await newSession();
    await session.callTool('fetch-stock-prices', {});
    const result = await session.callTool('admin-report', {});

    expect(result.content[0]).toEqual({ type: 'text', text: 'admin data' });
    expect(as.lastAuthorization?.get('scope')).toBe('stocks/read stocks/admin');
    expect(report.lines).toContain('The MCP server needs more access (scope "stocks/read stocks/admin"); signing in again');
  });

  it('steps up at most once per command: a server that still refuses after the new sign-in gets an error, not another browser', async () => {
    as.grantOnly(['stocks/read']);
    const { session, opened } = await newSession();
    await session.callTool('fetch-stock-prices', {});
    const error = await session.callTool('admin-report', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect(describeError(error)).toMatch(/still refuses the request after signing in with the scope it asked for/);
    // The first sign-in and one step-up; no third trip to the browser.
    expect(opened).toHaveLength(2);
    expect(new URL(opened[1]!).searchParams.get('scope')).toBe('stocks/read stocks/admin');
    // The command after it works with the token it has.
    const allowed = await session.callTool('fetch-stock-prices', {});
    expect(allowed.isError).toBeFalsy();
    expect(opened).toHaveLength(2);
  });

  it('does not register again for a client registered in this run that the authorization response refuses', async () => {
    as.refuseAuthorizations({ redirectWithError: true });
    const { session, opened } = await newSession();
    const error = await session.callTool('fetch-stock-prices', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).error).toBe('invalid_client');
    expect(as.registrations).toBe(1);
    expect(opened).toHaveLength(1);
  });

  it('registers again only once when the token endpoint refuses the new client too', async () => {
    as.forgetClientsAtEveryTokenRequest();
    const { session, opened, report } = await newSession();
    const error = await session.callTool('fetch-stock-prices', {}).catch((e: unknown) => e);

    expect(describeError(error)).toContain('refused the client it had just registered');
    expect(as.registrations).toBe(2);
    expect(opened).toHaveLength(2);
    expect(report.lines.filter((line) => line === 'The authorization server no longer knows this client; registering again')).toHaveLength(1);
    expect(store.load(mcp.url).tokens).toBeUndefined();
  });

  it('refuses an authorization response from another issuer (RFC 9207)', async () => {
    as.setResponseIssuer('https://login.attacker.example');
    const { session } = await newSession();
    const error = await session.callTool('fetch-stock-prices', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).error).toBe('issuer_mismatch');
    expect(store.load(mcp.url).tokens).toBeUndefined();
  });

  it('refuses an authorization response without iss when the server promises one', async () => {
    as.setResponseIssuer(null);
    const { session } = await newSession();
    const error = await session.callTool('fetch-stock-prices', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toContain('no iss parameter');
  });

  it('surfaces access_denied from the authorization server', async () => {
    as.setAuthorizationError('access_denied');
    const { session } = await newSession();
    const error = await session.callTool('fetch-stock-prices', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).error).toBe('access_denied');
    expect(store.load(mcp.url).tokens).toBeUndefined();
  });

  it('uses a client ID metadata document instead of registering when the server supports it', async () => {
    as.supportMetadataDocuments();
    const documentUrl = 'http://127.0.0.1:3104/console-client.json';
    const { session, report } = await newSession(documentUrl);
    await session.callTool('fetch-stock-prices', {});

    expect(as.registrations).toBe(0);
    expect(as.lastAuthorization?.get('client_id')).toBe(documentUrl);
    expect(store.loadClient(as.issuer)).toMatchObject({ registration: 'metadata-document', clientInformation: { client_id: documentUrl } });
    expect(report.lines).toContain(`Using the client ID metadata document ${documentUrl}`);
  });

  it('falls back to dynamic registration, and keeps it, when metadata documents are not supported', async () => {
    const documentUrl = 'http://127.0.0.1:3104/console-client.json';
    const first = await newSession(documentUrl);
    await first.session.callTool('fetch-stock-prices', {});
    const second = await newSession(documentUrl);
    await second.session.callTool('fetch-stock-prices', {});

    expect(as.registrations).toBe(1);
    expect(store.loadClient(as.issuer).registration).toBe('dynamic');
  });

  it('logs out by forgetting registration and tokens', async () => {
    const { session } = await newSession();
    await session.callTool('fetch-stock-prices', {});
    expect(await session.logout()).toBe(true);
    expect(store.load(mcp.url)).toEqual({ serverUrl: mcp.url });

    await session.callTool('fetch-stock-prices', {});
    expect(as.registrations).toBe(2);
  });
});

describe('revision 2026-07-28 and the authorization fixes of the current specification', () => {
  it('talks 2026-07-28 to a server that offers it: server/discover, then every request at that revision, no initialize', async () => {
    const { session } = await newSession();
    await session.callTool('fetch-stock-prices', {});
    const methods = mcp.seenRequests.map((request) => request.method);
    expect(methods[0]).toBe('server/discover');
    expect(methods).toContain('tools/call');
    expect(methods).not.toContain('initialize');
    for (const request of mcp.seenRequests) expect(request.protocolVersion).toBe('2026-07-28');
  });

  it('falls back to the initialize handshake with a server that predates 2026-07-28', async () => {
    const legacy = await startFakeMcpServer({ authorizationServer: as.issuer, scopeOf: as.scopeOf, revisions: 'legacy' });
    try {
      const { session } = await newSession(undefined, legacy);
      const result = await session.callTool('fetch-stock-price', { id: 'acme-robotics' });
      expect(result.isError).toBeFalsy();
      const methods = legacy.seenRequests.map((request) => request.method);
      expect(methods).toContain('initialize');
      expect(legacy.seenRequests.find((request) => request.method === 'tools/call')?.protocolVersion).not.toBe('2026-07-28');
    } finally {
      await legacy.close();
    }
  });

  it('refuses authorization server metadata whose issuer differs from the discovered one (RFC 8414 section 3.3)', async () => {
    as.setMetadataIssuer('https://login.attacker.example/oauth/v2/oauth-anonymous');
    const { session, opened } = await newSession();
    const error = await session.callTool('fetch-stock-prices', {}).catch((e: unknown) => e);

    expect(describeError(error)).toContain('names another issuer than the one discovered');
    expect(describeError(error)).not.toContain('attacker');
    // Nothing of the mismatched metadata was used.
    expect(as.registrations).toBe(0);
    expect(as.authorizations).toBe(0);
    expect(opened).toEqual([]);
  });

  it('re-reads the protected resource metadata after a 401 and follows a resource to its new authorization server', async () => {
    const second = await startFakeAuthorizationServer();
    const moving = await startFakeMcpServer({ authorizationServer: as.issuer, scopeOf: (token) => as.scopeOf(token) ?? second.scopeOf(token) });
    try {
      const { session, report } = await newSession(undefined, moving);
      await session.callTool('fetch-stock-prices', {});
      const firstClient = store.loadClient(as.issuer).clientInformation?.client_id;

      moving.setAuthorizationServer(second.issuer);
      store.update(moving.url, (state) => ({ ...state, tokens: { ...state.tokens!, access_token: 'revoked' } }));
      const result = await session.callTool('fetch-stock-prices', {});

      expect(result.isError).toBeFalsy();
      expect(second.registrations).toBe(1);
      expect(second.authorizations).toBe(1);
      expect(as.authorizations).toBe(1);
      expect(report.lines).toContain(`Authorization server: ${second.issuer}`);
      // Registrations are kept per issuer: the first one is still there, the new one beside it.
      expect(store.loadClient(as.issuer).clientInformation?.client_id).toBe(firstClient);
      expect(store.loadClient(second.issuer).clientInformation?.client_id).toEqual(expect.any(String));
      expect(store.load(moving.url).issuer).toBe(second.issuer);
    } finally {
      await moving.close();
      await second.close();
    }
  });

  it('follows a resource that moves to another authorization server in the middle of one command', async () => {
    const second = await startFakeAuthorizationServer();
    // Accepts only tokens of the second server: the first one's token is refused right after the sign-in.
    const moving = await startFakeMcpServer({ authorizationServer: as.issuer, scopeOf: second.scopeOf });
    try {
      const { session, opened } = await newSession(undefined, moving, undefined, () => moving.setAuthorizationServer(second.issuer));
      const result = await session.callTool('fetch-stock-prices', {});

      expect(result.isError).toBeFalsy();
      expect(opened.map((url) => new URL(url).origin)).toEqual([new URL(as.url).origin, new URL(second.url).origin]);
      expect(store.load(moving.url).issuer).toBe(second.issuer);
    } finally {
      await moving.close();
      await second.close();
    }
  });

  it('shares one registration between two MCP servers behind the same authorization server', async () => {
    const other = await startFakeMcpServer({ authorizationServer: as.issuer, scopeOf: as.scopeOf });
    try {
      await (await newSession()).session.callTool('fetch-stock-prices', {});
      await (await newSession(undefined, other)).session.callTool('fetch-stock-prices', {});
      expect(as.registrations).toBe(1);
      expect(as.authorizations).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('keeps the scopes it has when a 403 challenge names only the missing one', async () => {
    const { session } = await newSession();
    await session.callTool('fetch-stock-prices', {});
    const result = await session.callTool('place-order', {});

    expect(result.content[0]).toEqual({ type: 'text', text: 'order placed' });
    expect(new Set(as.lastAuthorization?.get('scope')?.split(' '))).toEqual(new Set(['stocks/read', 'stocks/write']));
    expect(store.load(mcp.url).tokens?.scope?.split(' ').sort()).toEqual(['stocks/read', 'stocks/write']);
  });

  it('uses pre-registered credentials first: nothing is registered, the secret authenticates the code exchange', async () => {
    as.supportMetadataDocuments();
    as.addClient({ client_id: 'console-admin-1', client_secret: 'Password1', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'client_secret_post' });
    const { session } = await newSession('http://127.0.0.1:3104/console-client.json', mcp, { client_id: 'console-admin-1', client_secret: 'Password1' });
    const result = await session.callTool('fetch-stock-prices', {});

    expect(result.isError).toBeFalsy();
    expect(as.registrations).toBe(0);
    expect(as.lastAuthorization?.get('client_id')).toBe('console-admin-1');
    expect(as.lastTokenClientAuthentication).not.toBe('none');
    // Nothing about the pre-registered client is written to the state directory.
    expect(store.loadClient(as.issuer)).toEqual({ issuer: as.issuer });
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readRequestBody } from '@mcp-demo/testing';
import type { AddressInfo } from 'node:net';

/**
 * A small authorization server for the console client's tests: metadata,
 * dynamic registration, an authorization endpoint that approves at once
 * (the tests' "browser" just follows its redirect), and a token endpoint
 * that checks PKCE. The real one lives in authorization-server/.
 */
export interface FakeAuthorizationServer {
  url: string;
  issuer: string;
  registrations: number;
  authorizations: number;
  /** What the last authorization request asked for. */
  lastAuthorization: URLSearchParams | undefined;
  lastRegistration: Record<string, unknown> | undefined;
  /** Scope of an issued access token, or undefined when unknown. */
  scopeOf(token: string): string | undefined;
  /**
   * Simulates a restart with an empty client store. With redirectWithError the
   * authorization endpoint answers an unknown client with error=invalid_client
   * at the redirect URI (as servers that can still verify the loopback
   * redirect do) instead of an error page.
   */
  forgetClients(options?: { redirectWithError?: boolean }): void;
  /** Makes the authorization response carry another `iss` (mix-up), or none. */
  setResponseIssuer(issuer: string | null): void;
  /** The next token request finds the client store empty (a restart between sign-in and code exchange). */
  forgetClientsAtNextTokenRequest(): void;
  /** Every token request finds the client store empty: even a client registered a moment ago is refused. */
  forgetClientsAtEveryTokenRequest(): void;
  /** Refuses every authorization request as for an unknown client: an error page, or error=invalid_client at the redirect URI. */
  refuseAuthorizations(options?: { redirectWithError?: boolean }): void;
  /** Registers a client out of band, as an administrator would for pre-registered credentials. */
  addClient(client: { client_id: string; client_secret?: string; redirect_uris: string[]; token_endpoint_auth_method: string }): void;
  /** How the last token request authenticated its client. */
  lastTokenClientAuthentication: 'basic' | 'post' | 'none' | undefined;
  /** Publishes metadata whose issuer differs from the one it is discovered under (RFC 8414 section 3.3). */
  setMetadataIssuer(issuer: string): void;
  /** Grants only these scopes, whatever the client asks for (a user or policy that withholds the rest). */
  grantOnly(scopes: string[]): void;
  /** Advertises and accepts client ID metadata documents (URL client ids with loopback redirects). */
  supportMetadataDocuments(): void;
  /** Makes the authorization endpoint answer with an OAuth error instead of a code. */
  setAuthorizationError(error: string | undefined): void;
  close(): Promise<void>;
}

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  resource: string | undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** RFC 8252 section 7.3: a loopback redirect matches whatever its port. */
function redirectAllowed(registered: string[], requested: string): boolean {
  const withoutPort = (value: string) => {
    const url = new URL(value);
    if (url.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(url.hostname)) url.port = '';
    return url.href;
  };
  return registered.some((uri) => withoutPort(uri) === withoutPort(requested));
}

export async function startFakeAuthorizationServer(): Promise<FakeAuthorizationServer> {
  const clients = new Map<string, RegisteredClient>();
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, string>();
  let responseIssuer: string | null | undefined;
  let authorizationError: string | undefined;
  let forgetAtToken: 'never' | 'next' | 'always' = 'never';
  let refuseAuthorizations = false;
  let grantable: string[] | undefined;
  let metadataDocuments = false;
  let unknownClientRedirect = false;
  let metadataIssuer: string | undefined;
  let base = '';

  const state: FakeAuthorizationServer = {
    url: '',
    issuer: '',
    registrations: 0,
    authorizations: 0,
    lastAuthorization: undefined,
    lastRegistration: undefined,
    scopeOf: (token) => tokens.get(token),
    forgetClients: (options) => {
      clients.clear();
      unknownClientRedirect = options?.redirectWithError === true;
    },
    addClient: (client) => {
      clients.set(client.client_id, client);
    },
    lastTokenClientAuthentication: undefined,
    setMetadataIssuer: (issuer) => {
      metadataIssuer = issuer;
    },
    setResponseIssuer: (issuer) => {
      responseIssuer = issuer;
    },
    supportMetadataDocuments: () => {
      metadataDocuments = true;
    },
    forgetClientsAtNextTokenRequest: () => {
      forgetAtToken = 'next';
    },
    forgetClientsAtEveryTokenRequest: () => {
      forgetAtToken = 'always';
    },
    refuseAuthorizations: (options) => {
      refuseAuthorizations = true;
      unknownClientRedirect = options?.redirectWithError === true;
    },
    grantOnly: (scopes) => {
      grantable = scopes;
    },
    setAuthorizationError: (error) => {
      authorizationError = error;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };

  /** A URL client id stands for its metadata document; this fake does not fetch it and allows loopback redirects. */
  const findClient = (clientId: string): RegisteredClient | undefined => {
    if (metadataDocuments && /^https?:\/\//.test(clientId)) {
      return { client_id: clientId, redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' };
    }
    return clients.get(clientId);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    if (req.method === 'GET' && url.pathname.startsWith('/.well-known/oauth-authorization-server')) {
      json(res, 200, {
        issuer: metadataIssuer ?? state.issuer,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        registration_endpoint: `${base}/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none', 'client_secret_post'],
        scopes_supported: ['stocks/read', 'stocks/admin'],
        authorization_response_iss_parameter_supported: true,
        ...(metadataDocuments ? { client_id_metadata_document_supported: true } : {}),
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/register') {
      const body = JSON.parse(await readRequestBody(req)) as Record<string, unknown>;
      state.registrations++;
      state.lastRegistration = body;
      const method = typeof body.token_endpoint_auth_method === 'string' ? body.token_endpoint_auth_method : 'client_secret_basic';
      const client: RegisteredClient = {
        client_id: randomBytes(8).toString('hex'),
        redirect_uris: body.redirect_uris as string[],
        token_endpoint_auth_method: method,
        ...(method === 'none' ? {} : { client_secret: randomBytes(16).toString('hex') }),
      };
      clients.set(client.client_id, client);
      json(res, 201, { ...body, ...client, client_id_issued_at: Math.floor(Date.now() / 1000) });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const params = url.searchParams;
      state.authorizations++;
      state.lastAuthorization = params;
      const client = findClient(params.get('client_id') ?? '');
      const redirectUri = params.get('redirect_uri') ?? '';
      const loopbackRedirect = /^http:\/\/127\.0\.0\.1:\d+\/callback$/.test(redirectUri);
      if ((refuseAuthorizations || !client) && unknownClientRedirect && loopbackRedirect) {
        const target = new URL(redirectUri);
        target.searchParams.set('error', 'invalid_client');
        target.searchParams.set('state', params.get('state') ?? '');
        target.searchParams.set('iss', state.issuer);
        res.writeHead(302, { Location: target.href });
        res.end();
        return;
      }
      if (refuseAuthorizations || !client || !redirectAllowed(client.redirect_uris, redirectUri)) {
        // Like a real server: no redirect to an unverified URI, an error page instead.
        res.writeHead(400, { 'Content-Type': 'text/html' });
        res.end(`<h1>Error</h1><pre>error: ${client && !refuseAuthorizations ? 'invalid_redirect_uri' : 'invalid_client'}</pre>`);
        return;
      }
      const target = new URL(redirectUri);
      const issuer = responseIssuer === undefined ? state.issuer : responseIssuer;
      if (issuer !== null) target.searchParams.set('iss', issuer);
      target.searchParams.set('state', params.get('state') ?? '');
      if (authorizationError) {
        target.searchParams.set('error', authorizationError);
        target.searchParams.set('error_description', 'The user said no');
      } else {
        const code = randomBytes(12).toString('hex');
        codes.set(code, {
          clientId: client.client_id,
          redirectUri,
          challenge: params.get('code_challenge') ?? '',
          scope: (params.get('scope') ?? '')
            .split(' ')
            .filter((scope) => grantable === undefined || grantable.includes(scope))
            .join(' '),
          resource: params.get('resource') ?? undefined,
        });
        target.searchParams.set('code', code);
      }
      res.writeHead(302, { Location: target.href });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const form = new URLSearchParams(await readRequestBody(req));
      if (forgetAtToken !== 'never') {
        if (forgetAtToken === 'next') forgetAtToken = 'never';
        clients.clear();
      }
      let clientId = form.get('client_id') ?? '';
      const basic = req.headers.authorization;
      if (basic?.startsWith('Basic ')) clientId = decodeURIComponent(Buffer.from(basic.slice(6), 'base64').toString().split(':')[0] ?? '');
      const presentedSecret = basic?.startsWith('Basic ')
        ? decodeURIComponent(Buffer.from(basic.slice(6), 'base64').toString().split(':')[1] ?? '')
        : (form.get('client_secret') ?? undefined);
      state.lastTokenClientAuthentication = basic?.startsWith('Basic ') ? 'basic' : form.has('client_secret') ? 'post' : 'none';
      const client = findClient(clientId);
      if (!client || (client.client_secret !== undefined && client.client_secret !== presentedSecret)) {
        json(res, 401, { error: 'invalid_client', error_description: 'Unknown client' });
        return;
      }
      const issued = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!issued || issued.clientId !== clientId || issued.redirectUri !== form.get('redirect_uri') || issued.challenge !== challenge) {
        json(res, 400, { error: 'invalid_grant', error_description: 'The code, verifier or redirect URI does not match' });
        return;
      }
      const accessToken = randomBytes(16).toString('hex');
      tokens.set(accessToken, issued.scope);
      json(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: 900, scope: issued.scope });
      return;
    }
    json(res, 404, { error: 'not_found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { error: 'server_error' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.url = base;
  state.issuer = `${base}/oauth/v2/oauth-anonymous`;
  return state;
}

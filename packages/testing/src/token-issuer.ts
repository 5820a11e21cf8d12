import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readRequestBody } from './tokens-and-ports.ts';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, UnsecuredJWT, createLocalJWKSet, type JWK, type JWTPayload, type CryptoKey } from 'jose';

/**
 * A small stand-in for the authorization server, for resource-server tests:
 * it publishes a JWKS, mints access tokens (including deliberately broken
 * ones) and answers RFC 8693 token exchange requests. The real authorization
 * server is exercised by its own suite and the end-to-end tests.
 */
export interface TestIssuer {
  issuer: string;
  baseUrl: string;
  jwksUri: string;
  tokenEndpoint: string;
  /** Number of token exchange requests answered so far. */
  readonly exchangeCount: number;
  /** Number of times the JWKS was fetched: shows whether a resource server caches it. */
  readonly jwksFetchCount: number;
  /** The form fields and Authorization header of the latest exchange request. */
  readonly lastExchange: { form: URLSearchParams; authorization: string | undefined } | undefined;
  /** 'ok' answers exchanges; a number answers every exchange with that HTTP status. */
  exchangeMode: 'ok' | number;
  mint(claims: JWTPayload, options?: MintOptions): Promise<string>;
  mintUnsigned(claims: JWTPayload, options?: MintOptions): string;
  /** HS256 token whose secret is the published public key: the classic key-confusion forgery. */
  mintWithPublicKeyAsHmacSecret(claims: JWTPayload, options?: MintOptions): Promise<string>;
  /** Signed with a key that is not in the JWKS. */
  mintWithUnknownKey(claims: JWTPayload, options?: MintOptions): Promise<string>;
  /**
   * Key rotation: a new signing key with a new kid is published next to the
   * old one, and `mint` signs with it from now on.
   */
  rotateKey(): Promise<void>;
  close(): Promise<void>;
}

export interface MintOptions {
  audience?: string;
  issuer?: string;
  /** Seconds from now; negative for an expired token; null for a token without exp. */
  expiresIn?: number | null;
  /** Seconds from now for nbf. */
  notBefore?: number;
  /** Seconds from now for iat (default 0); positive for a token issued in the future. */
  issuedAt?: number;
}

export interface TestIssuerOptions {
  /** Audience a subject token must carry to be exchanged. */
  exchangeSubjectAudience?: string;
  /** Client credentials the exchange endpoint accepts. */
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of exchanged tokens in seconds. */
  exchangedTokenLifetime?: number;
}

const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

function clientFromRequest(request: IncomingMessage, form: URLSearchParams): { id?: string; secret?: string } {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    const formDecode = (value: string | undefined) => decodeURIComponent((value ?? '').replace(/\+/g, ' '));
    return { id: formDecode(id), secret: formDecode(secret) };
  }
  return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
}

export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const newSigningKey = async () => {
    const kid = `test-${randomUUID()}`;
    const { publicKey, privateKey } = await generateKeyPair('PS256', { extractable: true });
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'PS256', use: 'sig' };
    return { kid, privateKey, publicJwk };
  };
  let signing = await newSigningKey();
  const jwks = { keys: [signing.publicJwk] };
  const localKeys = () => createLocalJWKSet(jwks);
  const stranger = await generateKeyPair('PS256');

  const clientId = options.clientId ?? 'mcp-server';
  const clientSecret = options.clientSecret ?? 'Password1';
  const subjectAudience = options.exchangeSubjectAudience ?? 'https://mcp.demo.example/';
  const exchangedLifetime = options.exchangedTokenLifetime ?? 900;

  let exchangeCount = 0;
  let jwksFetchCount = 0;
  let lastExchange: TestIssuer['lastExchange'];
  let baseUrl = '';

  const sign = (claims: JWTPayload, key: CryptoKey, keyId: string, mintOptions: MintOptions = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'PS256', kid: keyId, typ: 'at+jwt' })
      .setIssuer(mintOptions.issuer ?? `${baseUrl}/oauth/v2/oauth-anonymous`)
      .setIssuedAt(now + (mintOptions.issuedAt ?? 0))
      .setNotBefore(now + (mintOptions.notBefore ?? 0));
    if (mintOptions.expiresIn !== null) jwt.setExpirationTime(now + (mintOptions.expiresIn ?? 900));
    if (mintOptions.audience) jwt.setAudience(mintOptions.audience);
    return jwt.sign(key);
  };

  const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });

  const exchange = async (request: IncomingMessage): Promise<{ status: number; body: string }> => {
    const form = new URLSearchParams(await readRequestBody(request));
    exchangeCount += 1;
    lastExchange = { form, authorization: request.headers.authorization };
    if (state.exchangeMode !== 'ok') return json(state.exchangeMode, { error: 'server_error', error_description: 'configured failure' });
    const client = clientFromRequest(request, form);
    if (client.id !== clientId || client.secret !== clientSecret) return json(401, { error: 'invalid_client' });
    if (form.get('grant_type') !== EXCHANGE_GRANT) return json(400, { error: 'unsupported_grant_type' });
    if (form.get('subject_token_type') !== ACCESS_TOKEN_TYPE) return json(400, { error: 'invalid_request' });
    const audience = form.get('audience');
    if (!audience) return json(400, { error: 'invalid_target' });
    let subject: JWTPayload;
    try {
      ({ payload: subject } = await jwtVerify(form.get('subject_token') ?? '', localKeys(), { audience: subjectAudience }));
    } catch {
      return json(400, { error: 'invalid_grant', error_description: 'subject token rejected' });
    }
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.max(1, Math.min(exchangedLifetime, (subject.exp ?? now) - now));
    const { aud: _aud, exp: _exp, iat: _iat, nbf: _nbf, jti: _jti, iss: _iss, ...kept } = subject;
    const token = await sign({ ...kept, act: { sub: clientId } }, signing.privateKey, signing.kid, { audience, expiresIn });
    return json(200, { access_token: token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: expiresIn });
  };

  const server: Server = createServer((request, response) => {
    const route = `${request.method} ${request.url}`;
    let answer: Promise<{ status: number; body: string }>;
    if (route === 'GET /oauth/v2/oauth-anonymous/jwks') {
      jwksFetchCount += 1;
      answer = Promise.resolve(json(200, jwks));
    } else if (route === 'POST /oauth/v2/oauth-token') answer = exchange(request);
    else answer = Promise.resolve(json(404, { error: 'not_found' }));
    answer.then(
      ({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(body);
      },
      () => {
        response.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: TestIssuer = {
    issuer: `${baseUrl}/oauth/v2/oauth-anonymous`,
    baseUrl,
    jwksUri: `${baseUrl}/oauth/v2/oauth-anonymous/jwks`,
    tokenEndpoint: `${baseUrl}/oauth/v2/oauth-token`,
    get exchangeCount() {
      return exchangeCount;
    },
    get jwksFetchCount() {
      return jwksFetchCount;
    },
    get lastExchange() {
      return lastExchange;
    },
    exchangeMode: 'ok',
    mint: (claims, mintOptions) => sign(claims, signing.privateKey, signing.kid, mintOptions),
    mintUnsigned: (claims, mintOptions = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new UnsecuredJWT(claims)
        .setIssuer(mintOptions.issuer ?? `${baseUrl}/oauth/v2/oauth-anonymous`)
        .setIssuedAt(now)
        .setExpirationTime(now + (mintOptions.expiresIn ?? 900));
      if (mintOptions.audience) jwt.setAudience(mintOptions.audience);
      return jwt.encode();
    },
    mintWithPublicKeyAsHmacSecret: async (claims, mintOptions = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const secret = new TextEncoder().encode(JSON.stringify(signing.publicJwk));
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: signing.kid })
        .setIssuer(mintOptions.issuer ?? `${baseUrl}/oauth/v2/oauth-anonymous`)
        .setIssuedAt(now)
        .setExpirationTime(now + (mintOptions.expiresIn ?? 900));
      if (mintOptions.audience) jwt.setAudience(mintOptions.audience);
      return jwt.sign(secret);
    },
    mintWithUnknownKey: (claims, mintOptions) => sign(claims, stranger.privateKey, `unknown-${randomUUID()}`, mintOptions),
    rotateKey: async () => {
      signing = await newSigningKey();
      jwks.keys.push(signing.publicJwk);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return state;
}

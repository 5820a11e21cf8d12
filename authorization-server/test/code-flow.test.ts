import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser } from './support/browser.ts';
import {
  JANE,
  JOHN,
  REDIRECT_URI,
  authorizeUrl,
  follow,
  introspect,
  obtainAccessToken,
  pageAfter,
  pkcePair,
  redeemCode,
  registerMcpClient,
  signIn,
  startLogin,
  submit,
} from './support/oauth.ts';
import { GATEWAY_SECRET, MCP_AUDIENCE, mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let as: RunningAuthorizationServer;
let inbox: TestInbox;
const gateway = { id: 'api-gateway-client', secret: GATEWAY_SECRET };

beforeAll(async () => {
  inbox = await startTestInbox();
  as = await startAuthorizationServer({ env: mailSettings(inbox) });
});

afterAll(async () => {
  await as?.destroy();
  await inbox?.close();
});

describe('authorization code flow with PKCE, e-mail OTP and consent', () => {
  it('issues a short-lived opaque stocks/read token and answers the callback with iss', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { verifier, challenge } = pkcePair();
    const state = 'state-123';
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge, state }), {
      inbox,
    });
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('iss')).toBe(as.issuer);
    expect(callback.searchParams.get('state')).toBe(state);
    const code = callback.searchParams.get('code') as string;
    expect(code).toBeTruthy();

    const { status, json } = await redeemCode(as.baseUrl, {
      clientId: client.client_id,
      clientSecret: client.client_secret as string,
      code,
      verifier,
    });
    expect(status).toBe(200);
    expect(json.expires_in).toBe(900);
    expect(json.scope).toBe('stocks/read');
    expect(String(json.token_type).toLowerCase()).toBe('bearer');
    expect(json).not.toHaveProperty('refresh_token');
    expect(json).not.toHaveProperty('id_token');
    const accessToken = json.access_token as string;
    expect(accessToken.split('.')).toHaveLength(1);
  });

  it('uses the registered scope for a request without scope (RFC 6749 section 3.3), so the sign-in ends in a stocks/read token', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { verifier, challenge } = pkcePair();
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge, scope: null }), {
      inbox,
    });
    expect(callback.searchParams.get('error')).toBeNull();
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();
    const { status, json } = await redeemCode(as.baseUrl, {
      clientId: client.client_id,
      clientSecret: client.client_secret as string,
      code: code as string,
      verifier,
    });
    expect(status).toBe(200);
    expect(json.scope).toBe('stocks/read');
  });

  it('gives the gateway the JWT form of the opaque token, cacheable for its remaining lifetime', async () => {
    const { client, token } = await obtainAccessToken(as.baseUrl, inbox, createBrowser(), { email: JANE });
    const before = Math.floor(Date.now() / 1000);
    const response = await introspect(as.baseUrl, token.access_token as string, gateway, 'application/jwt');
    const after = Math.floor(Date.now() / 1000);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/jwt/);
    expect(response.headers.get('cache-control')).toMatch(/^max-age=\d+$/);
    expect(response.headers.get('pragma')).toBeNull();
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);

    const jwt = await response.text();
    expect(decodeProtectedHeader(jwt).alg).toBe('PS256');
    const jwks = (await (await fetch(`${as.baseUrl}/oauth/v2/oauth-anonymous/jwks`)).json()) as { keys: [] };
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: as.issuer, audience: MCP_AUDIENCE, algorithms: ['PS256'] });
    expect(payload).toMatchObject({
      sub: JANE,
      scope: 'stocks/read',
      region: 'Europe',
      client_type: 'mcp',
      client_assurance_level: 1,
      purpose: 'access_token',
      client_id: client.client_id,
    });
    expect(typeof payload.jti).toBe('string');
    expect(payload.jti).not.toBe(token.access_token);
    expect(typeof payload.delegationId).toBe('string');
    expect(payload.nbf).toBe(payload.iat);
    expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    // Exactly the seconds the token has left when the answer is made.
    expect(maxAge).toBeGreaterThanOrEqual((payload.exp as number) - after);
    expect(maxAge).toBeLessThanOrEqual((payload.exp as number) - before);
    expect(jwt).not.toContain(token.access_token as string);

    // The same token introspected again has the same identity (gateway caches key on it).
    const again = await introspect(as.baseUrl, token.access_token as string, gateway, 'application/jwt');
    const second = await jwtVerify(await again.text(), createLocalJWKSet(jwks));
    expect(second.payload.jti).toBe(payload.jti);
  });

  it('answers JSON introspection as RFC 7662 says, and an unknown token as inactive (204 in JWT mode)', async () => {
    const { token } = await obtainAccessToken(as.baseUrl, inbox, createBrowser());
    const json = await introspect(as.baseUrl, token.access_token as string, gateway);
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({
      active: true,
      sub: JOHN,
      scope: 'stocks/read',
      region: 'USA',
      client_type: 'mcp',
      client_assurance_level: 1,
      aud: MCP_AUDIENCE,
      iss: as.issuer,
      token_type: 'Bearer',
    });

    const unknownJson = await introspect(as.baseUrl, 'not-a-token-this-server-issued', gateway);
    expect(await unknownJson.json()).toEqual({ active: false });

    const unknownJwt = await introspect(as.baseUrl, 'not-a-token-this-server-issued', gateway, 'application/jwt');
    expect(unknownJwt.status).toBe(204);
    expect(await unknownJwt.text()).toBe('');

    // A JWT-shaped string (forged, or an exchanged token) is inactive too, not an error.
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJqb2huLmRvZUBkZW1vLmV4YW1wbGUifQ.';
    expect(await (await introspect(as.baseUrl, forged, gateway)).json()).toEqual({ active: false });
    const forgedJwt = await introspect(as.baseUrl, forged, gateway, 'application/jwt');
    expect(forgedJwt.status).toBe(204);
    expect(await forgedJwt.text()).toBe('');
  });

  it('refuses introspection to a client that is not allowed to introspect', async () => {
    const { client, token } = await obtainAccessToken(as.baseUrl, inbox, createBrowser());
    const asClient = await introspect(as.baseUrl, token.access_token as string, { id: client.client_id, secret: client.client_secret as string });
    expect(await asClient.json()).toEqual({ active: false });
    const wrongSecret = await introspect(as.baseUrl, token.access_token as string, { id: 'api-gateway-client', secret: 'wrong' });
    expect(wrongSecret.status).toBe(401);
    expect((await wrongSecret.json()) as object).toMatchObject({ error: 'invalid_client' });
  });

  it('rejects a wrong PKCE verifier and a reused code', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { verifier, challenge } = pkcePair();
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge }), { inbox });
    const code = callback.searchParams.get('code') as string;
    const base = { clientId: client.client_id, clientSecret: client.client_secret as string, code };

    const mismatch = await redeemCode(as.baseUrl, { ...base, verifier: pkcePair().verifier });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error).toBe('invalid_grant');

    // PKCE failures do not consume the code in oidc-provider; the right verifier still works once.
    const first = await redeemCode(as.baseUrl, { ...base, verifier });
    expect(first.status).toBe(200);
    const reuse = await redeemCode(as.baseUrl, { ...base, verifier });
    expect(reuse.status).toBe(400);
    expect(reuse.json.error).toBe('invalid_grant');
    // Reuse revokes what the code produced.
    const revoked = await introspect(as.baseUrl, first.json.access_token as string, gateway);
    expect(await revoked.json()).toEqual({ active: false });
  });

  it('requires PKCE with S256: no challenge and the plain method are refused', async () => {
    const client = await registerMcpClient(as.baseUrl);
    for (const options of [{}, { challenge: 'a'.repeat(43), challengeMethod: 'plain' }]) {
      const { url } = await follow(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, ...options }));
      const error = new URL(url);
      expect(`${error.origin}${error.pathname}`).toBe(REDIRECT_URI);
      expect(error.searchParams.get('error')).toBe('invalid_request');
      expect(error.searchParams.get('iss')).toBe(as.issuer);
    }
  });

  it('refuses a redirect URI that was not registered, without redirecting to it', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { challenge } = pkcePair();
    for (const redirectUri of ['http://127.0.0.1:8765/elsewhere', 'https://attacker.example/callback', 'http://localhost:8765/callback']) {
      const response = await createBrowser().get(authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge, redirectUri }));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('redirect_uri');
    }
  });

  it('accepts any port on a registered loopback redirect URI, and the code is bound to it', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { verifier, challenge } = pkcePair();
    const redirectUri = 'http://127.0.0.1:53127/callback';
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge, redirectUri }), {
      inbox,
    });
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    const code = callback.searchParams.get('code') as string;
    const wrongPort = await redeemCode(as.baseUrl, { clientId: client.client_id, clientSecret: client.client_secret as string, code, verifier });
    expect(wrongPort.json.error).toBe('invalid_grant');
  });

  it('sends access_denied with iss to the client when the user denies consent', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { challenge } = pkcePair();
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge, state: 'xyz' }), {
      inbox,
      decision: 'deny',
    });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('iss')).toBe(as.issuer);
    expect(callback.searchParams.get('state')).toBe('xyz');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('refuses a resource the client may not use with invalid_target', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { challenge } = pkcePair();
    const { url } = await follow(
      createBrowser(),
      as.baseUrl,
      authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge, resource: 'https://api.demo.example' }),
    );
    expect(new URL(url).searchParams.get('error')).toBe('invalid_target');
    expect(new URL(url).searchParams.get('iss')).toBe(as.issuer);
  });

  it('answers in the form_post response mode it advertises, with a policy that lets the page post', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const browser = createBrowser();
    const start = new URL(authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge: pkcePair().challenge, state: 'fp' }));
    start.searchParams.set('response_mode', 'form_post');
    const since = Date.now();
    const otpPage = await startLogin(browser, as.baseUrl, start.href, JOHN);
    const consent = await pageAfter(await submit(browser, as.baseUrl, otpPage, 'otp', { otp: await inbox.waitForCode(JOHN, { since }) }));
    const resumed = await submit(browser, as.baseUrl, consent, 'consent', { decision: 'allow' });
    // Once signed in and consented, the same request is answered straight from the authorization endpoint.
    const repeated = await browser.get(start.href);

    for (const response of [resumed.response, repeated]) {
      expect(response?.status).toBe(200);
      const page = (await response?.text()) ?? '';
      expect(page).toContain(`<form method="post" action="${REDIRECT_URI}">`);
      expect(page).toMatch(/name="code" value="[^"]+"/);
      expect(page).toContain(`name="iss" value="${as.issuer}"`);
      const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
      expect(script).toContain('submit()');
      const policy = response?.headers.get('content-security-policy') ?? '';
      expect(policy).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
      expect(policy).toMatch(/form-action 'self' http:\/\/127\.0\.0\.1:8765(;|$)/);
      expect(policy).toContain("frame-ancestors 'none'");
    }
  });

  it('supports public clients (token_endpoint_auth_method none)', async () => {
    const client = await registerMcpClient(as.baseUrl, { token_endpoint_auth_method: 'none', client_name: 'Public agent' });
    expect(client).not.toHaveProperty('client_secret');
    const { verifier, challenge } = pkcePair();
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge }), { inbox });
    const redeemed = await redeemCode(as.baseUrl, { clientId: client.client_id, code: callback.searchParams.get('code') as string, verifier });
    expect(redeemed.status).toBe(200);
    expect(redeemed.json.expires_in).toBe(900);
  });

  it('lets a browser-based client call the token endpoint from its redirect URI origin only', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const tokenRequest = (origin: string) =>
      fetch(`${as.baseUrl}/oauth/v2/oauth-token`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: client.client_id,
          client_secret: client.client_secret as string,
          code: 'unknown-code',
          redirect_uri: REDIRECT_URI,
          code_verifier: pkcePair().verifier,
        }).toString(),
      });
    const own = await tokenRequest('http://127.0.0.1:8765');
    expect(own.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8765');
    expect(((await own.json()) as { error: string }).error).toBe('invalid_grant');
    const foreign = await tokenRequest('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    await foreign.body?.cancel();

    // client_secret_basic needs an Authorization header, hence a preflight.
    const preflight = await fetch(`${as.baseUrl}/oauth/v2/oauth-token`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:8765', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8765');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });
});

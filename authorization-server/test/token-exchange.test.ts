import { createLocalJWKSet, decodeJwt, generateKeyPair, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser } from './support/browser.ts';
import { JOHN, authorizeUrl, exchange, introspect, obtainAccessToken, pkcePair, redeemCode, registerMcpClient, signIn } from './support/oauth.ts';
import {
  API_AUDIENCE,
  GATEWAY_SECRET,
  MCP_AUDIENCE,
  MCP_SERVER_SECRET,
  mailSettings,
  startAuthorizationServer,
  type RunningAuthorizationServer,
} from './support/server.ts';

let as: RunningAuthorizationServer;
let inbox: TestInbox;
let subjectToken: string;
let subjectClaims: JWTPayload;
let opaqueToken: string;
let mcpClient: { client_id: string; client_secret?: string };
let jwks: JSONWebKeySet;
const mcpServer = { id: 'mcp-server', secret: MCP_SERVER_SECRET };

/** A token signed with the server's own key (read from its store), for expiry and audience cases. */
async function mintWithServerKey(claims: JWTPayload, lifetime: number, typ = 'at+jwt'): Promise<string> {
  const stored = JSON.parse((await as.server.storage.shared.get('signing-keys')) as string) as { keys: { jwk: JWK }[] };
  const jwk = stored.keys[0]?.jwk as JWK;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: as.issuer, sub: JOHN, scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1, ...claims })
    .setProtectedHeader({ alg: 'PS256', kid: jwk.kid as string, typ })
    .setIssuedAt(now - 10)
    .setExpirationTime(now + lifetime)
    .sign(await importJWK(jwk, 'PS256'));
}

beforeAll(async () => {
  inbox = await startTestInbox();
  as = await startAuthorizationServer({ env: mailSettings(inbox) });
  const obtained = await obtainAccessToken(as.baseUrl, inbox, createBrowser());
  mcpClient = obtained.client;
  opaqueToken = obtained.token.access_token as string;
  // What the gateway forwards to the MCP server: the JWT form of the opaque token.
  const phantom = await introspect(as.baseUrl, opaqueToken, { id: 'api-gateway-client', secret: GATEWAY_SECRET }, 'application/jwt');
  subjectToken = await phantom.text();
  jwks = (await (await fetch(`${as.baseUrl}/oauth/v2/oauth-anonymous/jwks`)).json()) as JSONWebKeySet;
  subjectClaims = (await jwtVerify(subjectToken, createLocalJWKSet(jwks))).payload;
});

afterAll(async () => {
  await as?.destroy();
  await inbox?.close();
});

describe('token exchange (RFC 8693) for the MCP server', () => {
  it('exchanges the MCP token for an API token that keeps the user and client context', async () => {
    const { status, json } = await exchange(as.baseUrl, { subject_token: subjectToken, audience: API_AUDIENCE }, mcpServer);
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toMatchObject({
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      scope: 'stocks/read',
    });
    const { payload, protectedHeader } = await jwtVerify(json.access_token as string, createLocalJWKSet(jwks), {
      issuer: as.issuer,
      audience: API_AUDIENCE,
      algorithms: ['PS256'],
    });
    expect(protectedHeader.alg).toBe('PS256');
    expect(payload).toMatchObject({
      sub: JOHN,
      scope: 'stocks/read',
      region: 'USA',
      client_type: 'mcp',
      client_assurance_level: 1,
      purpose: 'access_token',
      act: { sub: 'mcp-server' },
      delegationId: subjectClaims.delegationId,
    });
    expect(payload.aud).toBe(API_AUDIENCE);
    expect(typeof payload.jti).toBe('string');
    expect(typeof payload.nbf).toBe('number');
    expect(payload.exp).toBeLessThanOrEqual(subjectClaims.exp as number);
    expect(json.expires_in).toBe((payload.exp as number) - (payload.iat as number));
  });

  it('refuses a subject token whose grant was revoked by an authorization code replay', async () => {
    const client = await registerMcpClient(as.baseUrl);
    const { verifier, challenge } = pkcePair();
    const callback = await signIn(createBrowser(), as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge }), { inbox });
    const redemption = { clientId: client.client_id, clientSecret: client.client_secret as string, code: callback.searchParams.get('code') as string, verifier };
    const issued = await redeemCode(as.baseUrl, redemption);
    expect(issued.status).toBe(200);
    const gateway = { id: 'api-gateway-client', secret: GATEWAY_SECRET };
    const phantom = await (await introspect(as.baseUrl, issued.json.access_token as string, gateway, 'application/jwt')).text();
    expect((await exchange(as.baseUrl, { subject_token: phantom, audience: API_AUDIENCE }, mcpServer)).status).toBe(200);

    // The code is used a second time: oidc-provider revokes the grant and its tokens.
    expect((await redeemCode(as.baseUrl, redemption)).status).toBe(400);
    const introspection = (await (await introspect(as.baseUrl, issued.json.access_token as string, gateway)).json()) as Record<string, unknown>;
    expect(introspection.active).toBe(false);

    const refused = await exchange(as.baseUrl, { subject_token: phantom, audience: API_AUDIENCE }, mcpServer);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_grant');
    // Other grants of the same user are untouched.
    expect((await exchange(as.baseUrl, { subject_token: subjectToken, audience: API_AUDIENCE }, mcpServer)).status).toBe(200);
  });

  it('never outlives the subject token', async () => {
    // The live grant of the signed-in user, so that only the lifetime differs.
    const shortLived = await mintWithServerKey({ aud: MCP_AUDIENCE, delegationId: subjectClaims.delegationId }, 60);
    const subjectExp = decodeJwt(shortLived).exp as number;
    const { status, json } = await exchange(as.baseUrl, { subject_token: shortLived, audience: API_AUDIENCE }, mcpServer);
    expect(status).toBe(200);
    expect(json.expires_in).toBeLessThanOrEqual(60);
    expect(json.expires_in).toBeGreaterThan(55);
    const { payload } = await jwtVerify(json.access_token as string, createLocalJWKSet(jwks));
    expect(payload.exp).toBeLessThanOrEqual(subjectExp);
    expect(json.expires_in).toBe((payload.exp as number) - (payload.iat as number));
  });

  it('may narrow the scope but never widen it', async () => {
    const narrowed = await exchange(as.baseUrl, { subject_token: subjectToken, audience: API_AUDIENCE, scope: 'stocks/read' }, mcpServer);
    expect(narrowed.status).toBe(200);
    const widened = await exchange(as.baseUrl, { subject_token: subjectToken, audience: API_AUDIENCE, scope: 'stocks/read stocks/write' }, mcpServer);
    expect(widened.status).toBe(400);
    expect(widened.json.error).toBe('invalid_scope');
  });

  it('refuses an audience the client may not request with invalid_target', async () => {
    const { status, json } = await exchange(as.baseUrl, { subject_token: subjectToken, audience: 'https://other-api.example' }, mcpServer);
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_target');
  });

  it('requires an audience and the access token type', async () => {
    const noAudience = await exchange(as.baseUrl, { subject_token: subjectToken }, mcpServer);
    expect(noAudience.json.error).toBe('invalid_request');
    const wrongType = await exchange(
      as.baseUrl,
      { subject_token: subjectToken, audience: API_AUDIENCE, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
      mcpServer,
    );
    expect(wrongType.json.error).toBe('invalid_request');
    const noSubject = await exchange(as.baseUrl, { audience: API_AUDIENCE }, mcpServer);
    expect(noSubject.json.error).toBe('invalid_request');
  });

  it('refuses expired, foreign, opaque and wrongly addressed subject tokens with invalid_grant', async () => {
    const stranger = await generateKeyPair('PS256');
    const now = Math.floor(Date.now() / 1000);
    const foreign = await new SignJWT({ scope: 'stocks/read', region: 'USA' })
      .setProtectedHeader({ alg: 'PS256', kid: 'someone-else' })
      .setIssuer(as.issuer)
      .setSubject(JOHN)
      .setAudience(MCP_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(stranger.privateKey);
    const expired = await mintWithServerKey({ aud: MCP_AUDIENCE }, -30);
    const apiToken = await mintWithServerKey({ aud: API_AUDIENCE }, 300);
    const otherIssuer = await mintWithServerKey({ aud: MCP_AUDIENCE, iss: 'https://login.other.example/oauth/v2/oauth-anonymous' }, 300);
    // Signed by this server for the MCP audience, but typed as an ID token would be, not as an access token.
    const notAnAccessToken = await mintWithServerKey({ aud: MCP_AUDIENCE }, 300, 'JWT');

    for (const [label, token] of [
      ['foreign', foreign],
      ['expired', expired],
      ['api audience', apiToken],
      ['other issuer', otherIssuer],
      ['not an access token', notAnAccessToken],
      ['opaque', opaqueToken],
    ] as const) {
      const { status, json } = await exchange(as.baseUrl, { subject_token: token, audience: API_AUDIENCE }, mcpServer);
      expect(status, label).toBe(400);
      expect(json.error, label).toBe('invalid_grant');
    }
  });

  it('refuses clients that may not exchange tokens', async () => {
    const gateway = await exchange(as.baseUrl, { subject_token: subjectToken, audience: API_AUDIENCE }, { id: 'api-gateway-client', secret: GATEWAY_SECRET });
    expect(gateway.status).toBe(400);
    expect(gateway.json.error).toBe('unauthorized_client');

    const dynamic = await exchange(
      as.baseUrl,
      { subject_token: subjectToken, audience: API_AUDIENCE },
      { id: mcpClient.client_id, secret: mcpClient.client_secret as string },
    );
    expect(dynamic.json.error).toBe('unauthorized_client');

    const wrongSecret = await exchange(as.baseUrl, { subject_token: subjectToken, audience: API_AUDIENCE }, { id: 'mcp-server', secret: 'Password1' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.json.error).toBe('invalid_client');
  });

  it('lets the static clients use nothing but their own grant', async () => {
    const response = await fetch(`${as.baseUrl}/oauth/v2/oauth-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'mcp-server', client_secret: MCP_SERVER_SECRET }).toString(),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });
});

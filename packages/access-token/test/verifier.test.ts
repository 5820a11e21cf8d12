import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, tamperSignature, type TestIssuer } from '@mcp-demo/testing';
import { bearerChallenge, createAccessTokenVerifier, readBearerToken, remoteKeySet, type AccessTokenError, type AccessTokenVerifier } from '../src/index.ts';
import { failure } from './failure.ts';

const AUDIENCE = 'https://api.demo.example';
const claims = { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA' };

let issuer: TestIssuer;
let verifier: AccessTokenVerifier;

beforeAll(async () => {
  issuer = await startTestIssuer();
  verifier = createAccessTokenVerifier(
    { issuer: issuer.issuer, audience: AUDIENCE, algorithms: ['PS256'], requiredScope: 'stocks/read', clockToleranceSeconds: 5 },
    remoteKeySet(issuer.jwksUri),
  );
});
afterAll(() => issuer.close());

const rejection = (token: string) => failure(verifier.verify(token));

describe('access token verifier', () => {
  it('accepts a valid token and normalises its scope', async () => {
    const result = await verifier.verify(await issuer.mint(claims, { audience: AUDIENCE }));
    expect(result.sub).toBe('john.doe@demo.example');
    expect(result.region).toBe('USA');
    expect(result.scope).toBe('stocks/read');
  });

  it.each([
    ['expired', () => issuer.mint(claims, { audience: AUDIENCE, expiresIn: -60 }), 'The access token has expired'],
    ['not yet valid', () => issuer.mint(claims, { audience: AUDIENCE, notBefore: 120 }), 'The access token is not yet valid'],
    ['issued in the future, beyond the clock tolerance', () => issuer.mint(claims, { audience: AUDIENCE, issuedAt: 120 }), 'The access token is not yet valid'],
    ['wrong issuer', () => issuer.mint(claims, { audience: AUDIENCE, issuer: 'https://evil.example' }), 'The access token was issued by an untrusted issuer'],
    ['wrong audience', () => issuer.mint(claims, { audience: 'https://mcp.demo.example/' }), 'The access token is not intended for this resource'],
    ['alg none', async () => issuer.mintUnsigned(claims, { audience: AUDIENCE }), 'Missing, invalid or expired access token'],
    ['HS256 with the public key', () => issuer.mintWithPublicKeyAsHmacSecret(claims, { audience: AUDIENCE }), 'Missing, invalid or expired access token'],
    ['unknown kid', () => issuer.mintWithUnknownKey(claims, { audience: AUDIENCE }), 'Missing, invalid or expired access token'],
    [
      'tampered signature',
      async () => tamperSignature(await issuer.mint(claims, { audience: AUDIENCE })),
      'Missing, invalid or expired access token',
    ],
    ['garbage', async () => 'not-a-jwt', 'Missing, invalid or expired access token'],
  ])('rejects a token that is %s', async (_name, make, message) => {
    const error = await rejection(await make());
    expect(error.code).toBe('invalid_token');
    expect(error.message).toBe(message);
  });

  it('rejects a token without exp: a token that never expires is not accepted', async () => {
    const error = await rejection(await issuer.mint(claims, { audience: AUDIENCE, expiresIn: null }));
    expect(error.code).toBe('invalid_token');
  });

  it('tolerates small clock skew', async () => {
    await expect(verifier.verify(await issuer.mint(claims, { audience: AUDIENCE, expiresIn: -2 }))).resolves.toMatchObject({ sub: claims.sub });
    await expect(verifier.verify(await issuer.mint(claims, { audience: AUDIENCE, issuedAt: 3 }))).resolves.toMatchObject({ sub: claims.sub });
  });

  it('reports a missing scope as insufficient_scope', async () => {
    const error = await rejection(await issuer.mint({ ...claims, scope: 'openid profile' }, { audience: AUDIENCE }));
    expect(error.code).toBe('insufficient_scope');
  });

  it('refuses to be configured with a symmetric algorithm', () => {
    expect(() =>
      createAccessTokenVerifier(
        // @ts-expect-error HS256 is deliberately outside the allowed type
        { issuer: issuer.issuer, audience: AUDIENCE, algorithms: ['HS256'], requiredScope: '', clockToleranceSeconds: 0 },
        remoteKeySet(issuer.jwksUri),
      ),
    ).toThrow(/HS256 is not allowed/);
  });
});

describe('bearer challenge', () => {
  it('orders attributes as error, description, resource_metadata, scope', () => {
    expect(
      bearerChallenge({
        error: 'invalid_token',
        description: 'Missing, invalid or expired access token',
        resourceMetadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
        scope: 'stocks/read',
      }),
    ).toBe(
      'Bearer error="invalid_token", error_description="Missing, invalid or expired access token", resource_metadata="https://mcp.demo.example/.well-known/oauth-protected-resource", scope="stocks/read"',
    );
  });

  it('reads bearer tokens case-insensitively and refuses other schemes', () => {
    expect(readBearerToken('bearer abc.def-ghi')).toBe('abc.def-ghi');
    expect(readBearerToken('Basic abc')).toBeUndefined();
    expect(readBearerToken('Bearer ')).toBeUndefined();
    expect(readBearerToken('Bearer a b')).toBeUndefined();
    expect(readBearerToken(undefined)).toBeUndefined();
  });
});

describe('remote key set', () => {
  const policy = (trusted: TestIssuer) => ({
    issuer: trusted.issuer,
    audience: AUDIENCE,
    algorithms: ['PS256'] as const,
    requiredScope: 'stocks/read',
    clockToleranceSeconds: 5,
  });

  it('is fetched once and then served from its cache', async () => {
    const own = await startTestIssuer();
    try {
      const cached = createAccessTokenVerifier(policy(own), remoteKeySet(own.jwksUri));
      for (let call = 0; call < 5; call += 1) await cached.verify(await own.mint(claims, { audience: AUDIENCE }));
      expect(own.jwksFetchCount).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('is fetched again when a token names a key id it does not hold, so rotated keys are picked up', async () => {
    const own = await startTestIssuer();
    try {
      const rotating = createAccessTokenVerifier(policy(own), remoteKeySet(own.jwksUri, { cooldownMs: 0 }));
      await rotating.verify(await own.mint(claims, { audience: AUDIENCE }));
      await own.rotateKey();
      await expect(rotating.verify(await own.mint(claims, { audience: AUDIENCE }))).resolves.toMatchObject({ sub: claims.sub });
      expect(own.jwksFetchCount).toBe(2);
    } finally {
      await own.close();
    }
  });

  it('is not fetched again for every unknown key id while cooling down', async () => {
    const own = await startTestIssuer();
    try {
      const guarded = createAccessTokenVerifier(policy(own), remoteKeySet(own.jwksUri));
      await guarded.verify(await own.mint(claims, { audience: AUDIENCE }));
      for (let call = 0; call < 5; call += 1) {
        const error = await guarded.verify(await own.mintWithUnknownKey(claims, { audience: AUDIENCE })).then(
          () => undefined,
          (e: unknown) => e as AccessTokenError,
        );
        expect(error?.code).toBe('invalid_token');
      }
      expect(own.jwksFetchCount).toBe(1);
    } finally {
      await own.close();
    }
  });
});

/** A JWKS endpoint that answers whatever the test says, at the test issuer's path. */
async function brokenKeySet(answer: { status: number; body: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('key set unavailable', () => {
  it.each([
    ['answers 500', { status: 500, body: '{"error":"server_error"}' }],
    ['answers 404', { status: 404, body: '' }],
    ['answers something that is not JSON', { status: 200, body: '<html>maintenance</html>' }],
    ['answers JSON that is not a key set', { status: 200, body: '{"keys": "none"}' }],
  ])('reports a JWKS endpoint that %s as unavailable, not as an invalid token', async (_case, answer) => {
    const endpoint = await brokenKeySet(answer);
    try {
      const broken = createAccessTokenVerifier(
        { issuer: issuer.issuer, audience: AUDIENCE, algorithms: ['PS256'], requiredScope: 'stocks/read', clockToleranceSeconds: 5 },
        remoteKeySet(endpoint.url),
      );
      const error = await broken.verify(await issuer.mint(claims, { audience: AUDIENCE })).then(
        () => undefined,
        (e: unknown) => e as AccessTokenError,
      );
      expect(error?.code).toBe('unavailable');
    } finally {
      await endpoint.close();
    }
  });

  it('reports a key set that cannot be fetched as unavailable, not as an invalid token', async () => {
    const gone = await startTestIssuer();
    const token = await gone.mint(claims, { audience: AUDIENCE });
    const orphan = createAccessTokenVerifier(
      { issuer: gone.issuer, audience: AUDIENCE, algorithms: ['PS256'], requiredScope: 'stocks/read', clockToleranceSeconds: 5 },
      remoteKeySet(gone.jwksUri, { timeoutMs: 1_000 }),
    );
    await gone.close();
    const error = await orphan.verify(token).then(
      () => undefined,
      (e: unknown) => e as AccessTokenError,
    );
    expect(error?.code).toBe('unavailable');
  });
});

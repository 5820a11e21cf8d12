import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '@mcp-demo/testing';
import { AccessTokenError, bearerChallenge, createAccessTokenVerifier, readBearerToken, remoteKeySet, type AccessTokenVerifier } from '../src/index.ts';

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

async function rejection(token: string): Promise<AccessTokenError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AccessTokenError);
  return error as AccessTokenError;
}

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
    ['wrong issuer', () => issuer.mint(claims, { audience: AUDIENCE, issuer: 'https://evil.example' }), 'The access token was issued by an untrusted issuer'],
    ['wrong audience', () => issuer.mint(claims, { audience: 'https://mcp.demo.example/' }), 'The access token is not intended for this resource'],
    ['alg none', async () => issuer.mintUnsigned(claims, { audience: AUDIENCE }), 'Missing, invalid or expired access token'],
    ['HS256 with the public key', () => issuer.mintWithPublicKeyAsHmacSecret(claims, { audience: AUDIENCE }), 'Missing, invalid or expired access token'],
    ['unknown kid', () => issuer.mintWithUnknownKey(claims, { audience: AUDIENCE }), 'Missing, invalid or expired access token'],
    [
      'tampered signature',
      async () => {
        const token = await issuer.mint(claims, { audience: AUDIENCE });
        const [header, payload, signature = ''] = token.split('.');
        const flipped = (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1);
        return `${header}.${payload}.${flipped}`;
      },
      'Missing, invalid or expired access token',
    ],
    ['garbage', async () => 'not-a-jwt', 'Missing, invalid or expired access token'],
  ])('rejects a token that is %s', async (_name, make, message) => {
    const error = await rejection(await make());
    expect(error.code).toBe('invalid_token');
    expect(error.message).toBe(message);
  });

  it('tolerates small clock skew', async () => {
    await expect(verifier.verify(await issuer.mint(claims, { audience: AUDIENCE, expiresIn: -2 }))).resolves.toMatchObject({ sub: claims.sub });
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

describe('key set unavailable', () => {
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWTVerifyGetKey } from 'jose';
import { startTestIssuer, tamperSignature, type TestIssuer } from '@mcp-demo/testing';
import { createAccessTokenVerifier, remoteKeySet, VERIFIED_TOKEN_MAX_REUSE_SECONDS, type AccessTokenPolicy } from '../src/index.ts';
import { failure } from './failure.ts';

const AUDIENCE = 'https://api.demo.example';
const claims = { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA' };
const TOLERANCE = 5;

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());

/**
 * A verifier with the cache, a clock the test moves (starting at the real
 * time, which the issuer stamps tokens with) and a count of full
 * verifications: jose asks the key source once per signature check.
 */
function cachedVerifier(entries = 100, jwksUri = issuer.jwksUri, trusted = issuer) {
  const clock = { offsetMs: 0 };
  let signatureChecks = 0;
  const keySet = remoteKeySet(jwksUri, { cooldownMs: 0 });
  const countingKeys: JWTVerifyGetKey = (header, token) => {
    signatureChecks += 1;
    return keySet(header, token);
  };
  const policy: AccessTokenPolicy = {
    issuer: trusted.issuer,
    audience: AUDIENCE,
    algorithms: ['PS256'],
    requiredScope: 'stocks/read',
    clockToleranceSeconds: TOLERANCE,
    verifiedTokenCacheEntries: entries,
  };
  const verifier = createAccessTokenVerifier(policy, countingKeys, { now: () => Date.now() + clock.offsetMs });
  return {
    verifier,
    clock,
    get signatureChecks() {
      return signatureChecks;
    },
  };
}

describe('verified token cache', () => {
  it('checks a token once, then serves its claims until it expires', async () => {
    const subject = cachedVerifier();
    const token = await issuer.mint(claims, { audience: AUDIENCE, expiresIn: 60 });
    const first = await subject.verifier.verify(token);
    const again = await subject.verifier.verify(token);
    expect(again).toEqual(first);
    expect(subject.signatureChecks).toBe(1);

    // At exp the cache stops serving: the token is checked again (and still
    // passes within the clock tolerance, as an uncached check would)...
    subject.clock.offsetMs = 60_000;
    await expect(subject.verifier.verify(token)).resolves.toMatchObject({ sub: claims.sub });
    expect(subject.signatureChecks).toBe(2);
    // ...and past the tolerance it is refused, never served from memory.
    subject.clock.offsetMs = (60 + TOLERANCE + 2) * 1000;
    expect((await failure(subject.verifier.verify(token))).message).toBe('The access token has expired');
  });

  it('does not serve a token before its nbf, even one it has verified', async () => {
    const subject = cachedVerifier();
    // Valid now thanks to the tolerance: nbf is 3 s ahead.
    const token = await issuer.mint(claims, { audience: AUDIENCE, notBefore: 3, issuedAt: 0 });
    await subject.verifier.verify(token);
    // The clock steps back (NTP correction): nbf less the tolerance is ahead again.
    subject.clock.offsetMs = -30_000;
    expect((await failure(subject.verifier.verify(token))).message).toBe('The access token is not yet valid');
    expect(subject.signatureChecks).toBe(2);
  });

  it('re-checks a token after the longest reuse, however far its exp', async () => {
    const subject = cachedVerifier();
    const token = await issuer.mint(claims, { audience: AUDIENCE, expiresIn: 3600 });
    await subject.verifier.verify(token);
    subject.clock.offsetMs = (VERIFIED_TOKEN_MAX_REUSE_SECONDS - 1) * 1000;
    await subject.verifier.verify(token);
    expect(subject.signatureChecks).toBe(1);
    subject.clock.offsetMs = VERIFIED_TOKEN_MAX_REUSE_SECONDS * 1000;
    await subject.verifier.verify(token);
    expect(subject.signatureChecks).toBe(2);
  });

  it('holds at most the configured number of tokens, dropping the least recently used', async () => {
    const subject = cachedVerifier(2);
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => issuer.mint(claims, { audience: AUDIENCE })));
    await subject.verifier.verify(a as string);
    await subject.verifier.verify(b as string);
    await subject.verifier.verify(a as string); // a is now the most recently used
    expect(subject.signatureChecks).toBe(2);
    await subject.verifier.verify(c as string); // b makes room
    await subject.verifier.verify(a as string);
    expect(subject.signatureChecks).toBe(3);
    await subject.verifier.verify(b as string);
    expect(subject.signatureChecks).toBe(4);
  });

  it('never answers a tampered token from the entry of the genuine one', async () => {
    const subject = cachedVerifier();
    const genuine = await issuer.mint(claims, { audience: AUDIENCE });
    await subject.verifier.verify(genuine);
    expect((await failure(subject.verifier.verify(tamperSignature(genuine)))).code).toBe('invalid_token');

    // The same signature over a payload that grants another region.
    const [header, , signature] = genuine.split('.');
    const payload = JSON.parse(Buffer.from(genuine.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...payload, region: 'Europe' })).toString('base64url')}.${signature}`;
    expect((await failure(subject.verifier.verify(forged))).code).toBe('invalid_token');

    await expect(subject.verifier.verify(genuine)).resolves.toMatchObject({ region: 'USA' });
    expect(subject.signatureChecks).toBe(3);
  });

  it('remembers no failure: a refused token is checked in full every time', async () => {
    const subject = cachedVerifier();
    const narrow = await issuer.mint({ ...claims, scope: 'openid' }, { audience: AUDIENCE });
    expect((await failure(subject.verifier.verify(narrow))).code).toBe('insufficient_scope');
    expect((await failure(subject.verifier.verify(narrow))).code).toBe('insufficient_scope');
    expect(subject.signatureChecks).toBe(2);
  });

  it('shares one check between concurrent requests with the same token', async () => {
    const subject = cachedVerifier();
    const token = await issuer.mint(claims, { audience: AUDIENCE });
    const results = await Promise.all(Array.from({ length: 8 }, () => subject.verifier.verify(token)));
    for (const result of results) expect(result.sub).toBe(claims.sub);
    expect(subject.signatureChecks).toBe(1);
  });

  it('keeps working across a key rotation: new tokens are checked with the new key', async () => {
    const own = await startTestIssuer();
    try {
      const subject = cachedVerifier(100, own.jwksUri, own);
      const before = await own.mint(claims, { audience: AUDIENCE });
      await subject.verifier.verify(before);
      await own.rotateKey();
      const after = await own.mint(claims, { audience: AUDIENCE });
      await expect(subject.verifier.verify(after)).resolves.toMatchObject({ sub: claims.sub });
      expect(own.jwksFetchCount).toBe(2);
      await expect(subject.verifier.verify(before)).resolves.toMatchObject({ sub: claims.sub });
      expect(subject.signatureChecks).toBe(2);
    } finally {
      await own.close();
    }
  });

  it('is off with 0 entries', async () => {
    const subject = cachedVerifier(0);
    const token = await issuer.mint(claims, { audience: AUDIENCE });
    await subject.verifier.verify(token);
    await subject.verifier.verify(token);
    expect(subject.signatureChecks).toBe(2);
  });
});

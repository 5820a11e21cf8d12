import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createHashedTokenCache } from './token-cache.ts';

/**
 * Only asymmetric algorithms may be configured. Accepting an HMAC algorithm
 * for a key set published as public keys would let anyone holding the public
 * key forge tokens, and `none` needs no key at all.
 */
export const ASYMMETRIC_ALGORITHMS = ['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export interface AccessTokenPolicy {
  issuer: string;
  audience: string;
  algorithms: readonly AsymmetricAlgorithm[];
  /** Scope every token must hold (space separated values all required). */
  requiredScope: string;
  /** Seconds of clock skew tolerated for exp, nbf and iat. */
  clockToleranceSeconds: number;
  /**
   * How many verified tokens to remember (by digest) so that a client calling
   * again with the same token costs no signature check; 0 or absent: none.
   */
  verifiedTokenCacheEntries?: number;
}

/**
 * The longest a verification is reused, whatever the token's exp says: a key
 * the issuer withdraws from its JWKS stops vouching for cached tokens after
 * this long.
 */
export const VERIFIED_TOKEN_MAX_REUSE_SECONDS = 300;

export interface VerifierOptions {
  /** Epoch milliseconds; tests move it. */
  now?: () => number;
}

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  scope: string;
  region?: string;
  client_type?: string;
  client_assurance_level?: number;
}

/**
 * `unavailable` means the token could not be checked at all (the key set
 * could not be fetched): a server-side condition, not a reason for the client
 * to re-authorize.
 */
export type AccessTokenErrorCode = 'invalid_token' | 'insufficient_scope' | 'unavailable';

export class AccessTokenError extends Error {
  readonly code: AccessTokenErrorCode;

  constructor(code: AccessTokenErrorCode, message: string) {
    super(message);
    this.name = 'AccessTokenError';
    this.code = code;
  }
}

export interface AccessTokenVerifier {
  verify(token: string): Promise<AccessTokenClaims>;
}

function scopesOf(claims: JWTPayload): Set<string> {
  const scope = claims.scope;
  if (typeof scope === 'string') return new Set(scope.split(' ').filter(Boolean));
  if (Array.isArray(scope)) return new Set(scope.filter((value): value is string => typeof value === 'string'));
  return new Set();
}

/**
 * Whether verification failed because the key set could not be had, rather
 * than because of the token. jose reports an unreachable JWKS as a plain
 * network error, a slow one as JWKSTimeout, a non-200 answer or a body that
 * is not JSON as its generic JOSEError, and a body that is not a key set as
 * JWKSInvalid. None of these says anything about the token, so none may send
 * the client off to re-authorize.
 */
function isKeySetFailure(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return error.code === errors.JOSEError.code || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid;
}

const NOT_YET_VALID = 'The access token is not yet valid';

function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return NOT_YET_VALID;
    if (error.claim === 'aud') return 'The access token is not intended for this resource';
    if (error.claim === 'iss') return 'The access token was issued by an untrusted issuer';
  }
  return 'Missing, invalid or expired access token';
}

/**
 * Builds a verifier around a key source. Production code passes a remote
 * JWKS (see `remoteKeySet`); tests may pass a local key set.
 */
export function createAccessTokenVerifier(policy: AccessTokenPolicy, keys: JWTVerifyGetKey, options: VerifierOptions = {}): AccessTokenVerifier {
  for (const algorithm of policy.algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new Error(`algorithm ${algorithm} is not allowed for access token validation`);
    }
  }
  const required = policy.requiredScope.split(' ').filter(Boolean);
  const now = options.now ?? Date.now;
  const tolerance = policy.clockToleranceSeconds;

  const verifyNow = async (token: string): Promise<AccessTokenClaims> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: policy.issuer,
        audience: policy.audience,
        algorithms: [...policy.algorithms],
        clockTolerance: tolerance,
        currentDate: new Date(now()),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (isKeySetFailure(error)) throw new AccessTokenError('unavailable', 'The token signing keys could not be fetched; try again later');
      throw new AccessTokenError('invalid_token', describeFailure(error));
    }
    // jose compares iat with the clock only when a maximum token age is
    // set, so without this a token stamped as issued in the future (by a
    // misbehaving issuer or clock) would be accepted.
    if (typeof payload.iat === 'number' && payload.iat > now() / 1000 + tolerance) {
      throw new AccessTokenError('invalid_token', NOT_YET_VALID);
    }
    const granted = scopesOf(payload);
    const missing = required.filter((scope) => !granted.has(scope));
    if (missing.length > 0) {
      throw new AccessTokenError('insufficient_scope', `The access token lacks the required scope ${missing.join(' ')}`);
    }
    // Frozen: with the cache, callers with the same token share this object.
    return Object.freeze({ ...payload, scope: [...granted].join(' ') }) as AccessTokenClaims;
  };

  const cacheEntries = policy.verifiedTokenCacheEntries ?? 0;
  if (cacheEntries === 0) return { verify: verifyNow };

  // Keyed by the token's digest, so a token that differs in any byte (a
  // tampered signature included) is a different key and is verified in full.
  // A hit is served only inside the window the verification itself would
  // accept: from nbf (and iat) less the tolerance, and never at or past exp,
  // nor longer than VERIFIED_TOKEN_MAX_REUSE_SECONDS after the check.
  const cache = createHashedTokenCache<AccessTokenClaims>({ maxEntries: cacheEntries, now });
  const verifyOnce = async (token: string) => {
    const claims = await verifyNow(token);
    const notBefore = Math.max(claims.nbf ?? -Infinity, claims.iat ?? -Infinity);
    return {
      value: claims,
      usableFrom: Number.isFinite(notBefore) ? (notBefore - tolerance) * 1000 : undefined,
      usableUntil: Math.min((claims.exp as number) * 1000, now() + VERIFIED_TOKEN_MAX_REUSE_SECONDS * 1000),
    };
  };
  return { verify: (token) => cache.resolve(token, () => verifyOnce(token)) };
}

/**
 * A JWKS fetched on first use, cached, and fetched again when a token names
 * an unknown key id (jose rate-limits those refreshes with its cooldown).
 */
export function remoteKeySet(jwksUri: string, options: { timeoutMs?: number; cooldownMs?: number; cacheMaxAgeMs?: number } = {}): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: options.timeoutMs ?? 5_000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
  });
}

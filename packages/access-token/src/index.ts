export { bearerChallenge, INSUFFICIENT_SCOPE_MESSAGE, readBearerToken, type BearerChallenge, type BearerErrorCode } from './challenge.ts';
export {
  ASYMMETRIC_ALGORITHMS,
  AccessTokenError,
  createAccessTokenVerifier,
  remoteKeySet,
  type AccessTokenClaims,
  type AccessTokenPolicy,
  type AccessTokenVerifier,
  type AsymmetricAlgorithm,
  type VerifierOptions,
  VERIFIED_TOKEN_MAX_REUSE_SECONDS,
} from './verifier.ts';
export { createHashedTokenCache, tokenDigest, type HashedTokenCache, type HashedTokenCacheOptions, type Produced } from './token-cache.ts';
export { requireAccessToken, type ProtectOptions } from './middleware.ts';
export { accessTokenPolicyOf, accessTokenVariables, type AccessTokenVariables } from './settings.ts';
export { basicCredentials } from './client-credentials.ts';

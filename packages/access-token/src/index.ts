export { bearerChallenge, readBearerToken, type BearerChallenge, type BearerErrorCode } from './challenge.ts';
export {
  ASYMMETRIC_ALGORITHMS,
  AccessTokenError,
  createAccessTokenVerifier,
  remoteKeySet,
  type AccessTokenClaims,
  type AccessTokenPolicy,
  type AccessTokenVerifier,
  type AsymmetricAlgorithm,
} from './verifier.ts';
export { requireAccessToken, type ProtectOptions } from './middleware.ts';
export { accessTokenPolicyOf, accessTokenVariables, type AccessTokenVariables } from './settings.ts';

/**
 * Claim assembly for access tokens, as pure functions. The claims follow the
 * seed's API token: sub (the user's e-mail), scope, region, client_type,
 * client_assurance_level, purpose, delegationId, jti, iat, nbf, exp, iss, aud.
 */

export interface ClaimSources {
  /** The user's region from the approved users list. */
  region?: string | undefined;
  /** The client's registration policy attributes. */
  client_type?: unknown;
  client_assurance_level?: unknown;
  /** Id of the grant (Curity's delegation) the token was issued under. */
  grantId?: string | undefined;
  /** A fresh identifier for the token's JWT form. */
  tokenId: string;
}

/**
 * Extra claims stored with an opaque access token. The opaque token's own
 * identifier is its value, so its JWT form carries a separate random `jti`.
 */
export function opaqueTokenClaims(sources: ClaimSources): Record<string, unknown> {
  const claims: Record<string, unknown> = { jti: sources.tokenId, purpose: 'access_token' };
  if (sources.grantId) claims.delegationId = sources.grantId;
  if (sources.region !== undefined) claims.region = sources.region;
  if (typeof sources.client_type === 'string') claims.client_type = sources.client_type;
  if (typeof sources.client_assurance_level === 'number') claims.client_assurance_level = sources.client_assurance_level;
  return claims;
}

/** Claims copied from an introspection result into the token's JWT form, in a stable order. */
const JWT_FORM_CLAIMS = [
  'jti',
  'delegationId',
  'sub',
  'scope',
  'client_id',
  'purpose',
  'region',
  'client_type',
  'client_assurance_level',
  'iss',
  'aud',
  'iat',
  'exp',
] as const;

/**
 * The payload of an opaque token's JWT form (the phantom token), built from
 * oidc-provider's introspection response plus the stored token id. nbf is the
 * issue time, as in the Curity token.
 */
export function jwtFormClaims(introspection: Record<string, unknown>, tokenId: string | undefined): Record<string, unknown> {
  const source: Record<string, unknown> = { ...introspection, jti: tokenId };
  const claims: Record<string, unknown> = {};
  for (const name of JWT_FORM_CLAIMS) {
    if (source[name] !== undefined && source[name] !== null) claims[name] = source[name];
  }
  if (typeof claims.iat === 'number') claims.nbf = claims.iat;
  return claims;
}

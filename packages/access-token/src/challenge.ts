/**
 * RFC 6750 / RFC 9728 bearer challenges.
 *
 * The order of attributes is fixed (error, error_description,
 * resource_metadata, scope) so that every component of the deployment, the
 * gateways included, produces byte-identical headers for the same situation.
 */
export type BearerErrorCode = 'invalid_token' | 'insufficient_scope' | 'invalid_request';

export interface BearerChallenge {
  error: BearerErrorCode;
  description?: string | undefined;
  resourceMetadata?: string | undefined;
  scope?: string | undefined;
}

/**
 * The error_description (and body message) of a 403 insufficient_scope for a
 * token that lacks a scope one call needs: the same words from the gateways
 * and the MCP server, so a client reads one message whichever refused it.
 * kong/plugins/phantom-token/access.lua cannot import this and keeps its own
 * copy; kong/phantom-token-vectors.json pins that both write these bytes.
 */
export const INSUFFICIENT_SCOPE_MESSAGE = 'The access token lacks a scope this request needs';

/**
 * An RFC 9110 section 5.6.4 quoted-string (RFC 7230's): a double quote or a
 * backslash becomes a quoted-pair (backslash before it),
 * as the Kong plugin writes them. RFC 6750 keeps both out of its attribute
 * values, so this only matters for a configured text that has them, and
 * then every component writes the same header.
 */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

export function bearerChallenge(challenge: BearerChallenge): string {
  const attributes: string[] = [`error=${quoted(challenge.error)}`];
  if (challenge.description) attributes.push(`error_description=${quoted(challenge.description)}`);
  if (challenge.resourceMetadata) attributes.push(`resource_metadata=${quoted(challenge.resourceMetadata)}`);
  if (challenge.scope) attributes.push(`scope=${quoted(challenge.scope)}`);
  return `Bearer ${attributes.join(', ')}`;
}

/** Reads `Authorization: Bearer <token>`; the scheme is case-insensitive. */
export function readBearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization);
  return match?.[1];
}

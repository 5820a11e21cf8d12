import { errors } from 'oidc-provider';
import type { JWTPayload } from 'jose';

/**
 * The rules of the token exchange grant (RFC 8693) as plain functions, so
 * they can be tested without a running server. Each failure is the
 * oidc-provider error whose code the RFC prescribes.
 */

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ACCEPTED_TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE]);

function asList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function normalised(uri: string): string {
  return URL.parse(uri)?.href ?? uri;
}

export function sameAudience(a: string, b: string): boolean {
  return normalised(a) === normalised(b);
}

export interface ExchangeRequest {
  subject_token?: unknown;
  subject_token_type?: unknown;
  actor_token?: unknown;
  requested_token_type?: unknown;
  audience?: unknown;
  resource?: unknown;
}

/** Parameter checks that need no key material. */
export function checkExchangeParameters(params: ExchangeRequest): void {
  if (typeof params.subject_token !== 'string' || params.subject_token.length === 0) {
    throw new errors.InvalidRequest('subject_token is required');
  }
  if (typeof params.subject_token_type !== 'string' || !ACCEPTED_TOKEN_TYPES.has(params.subject_token_type)) {
    throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
  if (params.actor_token !== undefined) {
    throw new errors.InvalidRequest('actor_token is not supported');
  }
  if (params.requested_token_type !== undefined && !ACCEPTED_TOKEN_TYPES.has(String(params.requested_token_type))) {
    throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
}

/**
 * The one target audience of the new token: `audience` (or `resource`, RFC
 * 8707) must name exactly one value, and it must be on the client's list.
 * Returns the value as configured for the client.
 */
export function chooseAudience(params: ExchangeRequest, allowed: readonly string[]): string {
  const requested = [...asList(params.audience), ...asList(params.resource)];
  if (requested.length === 0) throw new errors.InvalidRequest('audience is required');
  const distinct = [...new Set(requested.map(normalised))];
  if (distinct.length > 1) throw new errors.InvalidTarget('exactly one target audience may be requested');
  const match = allowed.find((audience) => sameAudience(audience, requested[0] as string));
  if (!match) throw new errors.InvalidTarget('the requested audience is not allowed for this client');
  return match;
}

/** The new token's scope: the subject token's, or a subset of it when `scope` is given. Never wider. */
export function narrowScope(subjectScope: unknown, requested: unknown): string {
  const granted = new Set(typeof subjectScope === 'string' ? subjectScope.split(' ').filter(Boolean) : []);
  if (granted.size === 0) throw new errors.InvalidGrant('subject token carries no scope');
  if (requested === undefined || requested === '') return [...granted].join(' ');
  const wanted = [...new Set(String(requested).split(' ').filter(Boolean))];
  const extra = wanted.filter((scope) => !granted.has(scope));
  if (extra.length > 0) throw new errors.InvalidScope('requested scope exceeds the subject token scope', extra.join(' '));
  return wanted.join(' ');
}

/** Seconds the new token may live: its own maximum, but never past the subject token's expiry. */
export function exchangedLifetime(subjectExp: unknown, nowSeconds: number, maximumSeconds: number): number {
  if (typeof subjectExp !== 'number') throw new errors.InvalidGrant('subject token has no expiry');
  const remaining = Math.floor(subjectExp - nowSeconds);
  if (remaining <= 0) throw new errors.InvalidGrant('subject token has expired');
  return Math.min(maximumSeconds, remaining);
}

/** Claims the new token keeps from the subject token, plus the acting party (RFC 8693 §4.1). */
export function carriedClaims(subject: JWTPayload, actor: string): Record<string, unknown> {
  const claims: Record<string, unknown> = { purpose: 'access_token', act: { sub: actor } };
  for (const name of ['region', 'client_type', 'client_assurance_level', 'delegationId'] as const) {
    if (subject[name] !== undefined) claims[name] = subject[name];
  }
  return claims;
}

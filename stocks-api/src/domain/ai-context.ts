import type { AccessTokenClaims } from '@mcp-demo/access-token';

/**
 * Business rules that depend on who the client is rather than on what the
 * user granted. The authorization server stamps every dynamically registered
 * MCP client with client_type=mcp and client_assurance_level=1; clients it
 * knows better (for example backends with a workload identity) get a higher
 * level. Both claims are properties of the client registration, so no new
 * token request by the same client can change the outcome.
 */

export const AI_AGENT_CLIENT_TYPE = 'mcp';

/** Sensitive reads need a client that proved a stronger identity than open registration gives. */
export const SENSITIVE_READ_MIN_ASSURANCE_LEVEL = 2;

export type Decision = { allowed: true } | { allowed: false; code: string; message: string };

const ALLOWED: Decision = { allowed: true };

/** Case-insensitive, so a differently spelt claim cannot slip an agent past the rules. */
export function isAiAgent(claims: AccessTokenClaims): boolean {
  const type: unknown = claims.client_type;
  return typeof type === 'string' && type.toLowerCase() === AI_AGENT_CLIENT_TYPE;
}

/**
 * Only a JSON number counts. A missing or malformed claim is level 0, so a
 * token that says nothing about its client never reaches sensitive data.
 */
export function assuranceLevelOf(claims: AccessTokenClaims): number {
  const level: unknown = claims.client_assurance_level;
  return typeof level === 'number' && Number.isFinite(level) ? level : 0;
}

/** Operations with consequences (placing an order) stay with people, never AI agents. */
export function mayPlaceOrders(claims: AccessTokenClaims): Decision {
  if (!isAiAgent(claims)) return ALLOWED;
  return {
    allowed: false,
    code: 'forbidden_for_ai_agents',
    message: 'Placing orders is not available to AI agent clients',
  };
}

export function mayReadInsights(claims: AccessTokenClaims): Decision {
  if (assuranceLevelOf(claims) >= SENSITIVE_READ_MIN_ASSURANCE_LEVEL) return ALLOWED;
  return {
    allowed: false,
    code: 'insufficient_client_assurance',
    message: `Stock insights require a client assurance level of at least ${SENSITIVE_READ_MIN_ASSURANCE_LEVEL}`,
  };
}

import type { AccessTokenClaims } from '@mcp-demo/access-token';
import type { AuthInfo } from '@modelcontextprotocol/server';

/**
 * The verified token in the shape the MCP SDK hands to tool handlers as
 * `ctx.http.authInfo`: tools need the raw token for the exchange, the claims
 * for anything user-specific.
 */
export function toAuthInfo(token: string, claims: AccessTokenClaims, resource: URL): AuthInfo {
  // RFC 9068 access tokens name the client in client_id; some servers use azp.
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : '';
  return {
    token,
    clientId,
    scopes: claims.scope.split(' ').filter(Boolean),
    expiresAt: claims.exp,
    resource,
    extra: { claims },
  };
}

import { InsufficientScopeError, IssuerMismatchError, OAuthError, ProtocolError, SdkHttpError } from '@modelcontextprotocol/client';
import { AuthorizationError } from './oauth/callback-server.ts';

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EAI_AGAIN: 'name resolution failed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate (set NODE_EXTRA_CA_CERTS to the development root CA)',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted certificate (set NODE_EXTRA_CA_CERTS to the development root CA)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted certificate (set NODE_EXTRA_CA_CERTS to the development root CA)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted certificate (set NODE_EXTRA_CA_CERTS to the development root CA)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not match the host name',
};

export function describeNetworkCode(code: string): string {
  return NETWORK_CODES[code] ?? code;
}

/**
 * One readable sentence for the console. Messages come from this client,
 * the SDK or the servers' error bodies; none of them carries a token.
 */
export function describeError(error: unknown): string {
  if (error instanceof AuthorizationError) {
    if (error.error === 'access_denied') return `Sign-in was not completed: access denied${error.description ? ` (${error.description})` : ''}`;
    return `Sign-in failed: ${error.message}`;
  }
  if (error instanceof IssuerMismatchError) {
    // The received value may come from an attacker (mix-up): it is never shown.
    return error.kind === 'metadata'
      ? 'The authorization server metadata names another issuer than the one discovered (RFC 8414 section 3.3); refusing to use it'
      : 'The authorization response came from another issuer than expected (possible mix-up attack); the sign-in was refused';
  }
  if (error instanceof OAuthError) {
    const code = error.code;
    return `The authorization server refused the request${code ? ` (${code})` : ''}${error.message && error.message !== code ? `: ${error.message}` : ''}`;
  }
  if (error instanceof InsufficientScopeError) return `The MCP server needs more access${error.requiredScope ? ` (scope "${error.requiredScope}")` : ''}`;
  if (error instanceof SdkHttpError) return `The MCP server answered HTTP ${error.status}: ${error.message}`;
  if (error instanceof ProtocolError) return `The MCP server reported an error: ${error.message}`;
  if (error instanceof Error) {
    if (error.message === 'fetch failed') return 'Could not reach the server';
    return error.message;
  }
  return String(error);
}

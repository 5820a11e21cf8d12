import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
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
  if (error instanceof OAuthError) {
    const code = (error.constructor as { errorCode?: string }).errorCode;
    return `The authorization server refused the request${code ? ` (${code})` : ''}${error.message ? `: ${error.message}` : ''}`;
  }
  if (error instanceof StreamableHTTPError) {
    return `The MCP server answered${error.code !== undefined && error.code > 0 ? ` HTTP ${error.code}` : ''}: ${error.message.replace(/^Streamable HTTP error: /, '')}`;
  }
  if (error instanceof McpError) return `The MCP server reported an error: ${error.message}`;
  if (error instanceof Error) {
    if (error.message === 'fetch failed') return 'Could not reach the server';
    return error.message;
  }
  return String(error);
}

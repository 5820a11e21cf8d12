/**
 * The dynamic client registration policy for MCP clients, as pure functions.
 *
 * The Curity Identity Server runs the same policy as a JavaScript
 * pre-processing procedure on its registration endpoint; this module is the
 * single source of truth that both authorization server profiles are tested
 * against. It imports nothing so that any test can load it directly.
 */

export const MCP_SCOPE = 'stocks/read';
/**
 * Placing orders. Never granted by default: a client asks for it when the
 * gateway answers a place-order call with 403 insufficient_scope (step-up),
 * and the user consents to it then.
 */
export const TRADE_SCOPE = 'stocks/trade';
/** Every scope an MCP client may ask for, and so the scope it is registered with. */
export const MCP_SCOPES: readonly string[] = [MCP_SCOPE, TRADE_SCOPE];
/** Scopes that a request without `scope` never receives. */
const STEP_UP_SCOPES: readonly string[] = [TRADE_SCOPE];

/**
 * The scope an MCP client is registered with: what it asked for plus every
 * MCP scope, so that it can step up to stocks/trade later without
 * registering again (RFC 7591 section 2 lets the server replace requested
 * metadata; an unknown scope it asked for stays, to be refused). What a
 * token carries is still only what each authorization request asks for and
 * the user consents to.
 */
export function mcpClientScope(requested: string): string {
  return [...new Set([...requested.split(' ').filter(Boolean), ...MCP_SCOPES])].join(' ');
}

/** The default for an authorization request without `scope`: the registered scope without step-up scopes. */
export function defaultScopeOf(registered: string): string {
  return registered
    .split(' ')
    .filter((scope) => scope !== '' && !STEP_UP_SCOPES.includes(scope))
    .join(' ');
}
export const DEFAULT_MCP_AUDIENCES: readonly string[] = ['https://mcp.demo.example/'];

export interface McpRegistrationOptions {
  /** Audiences of access tokens issued to MCP clients (the MCP server's resource URL). */
  audiences?: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when a registration request body asks for the MCP scope. */
export function requestsMcpScope(body: unknown): boolean {
  if (!isRecord(body) || typeof body.scope !== 'string') return false;
  return body.scope.split(' ').includes(MCP_SCOPE);
}

/**
 * The attributes a registration request receives: none unless its `scope`
 * (space separated) holds `stocks/read`; then PKCE is required, access tokens
 * live 15 minutes, refresh tokens are disabled, tokens are audience-restricted
 * to the MCP server, and the client is marked as an MCP client whose name and
 * template area customise the login and consent screens.
 */
export function mcpRegistrationAttributes(body: unknown, options: McpRegistrationOptions = {}): Record<string, unknown> {
  if (!requestsMcpScope(body)) return {};
  const request = body as Record<string, unknown>;
  return {
    require_proof_key: true,
    access_token_ttl: 900,
    refresh_token_ttl: 0,
    audiences: [...(options.audiences ?? DEFAULT_MCP_AUDIENCES)],
    client_type: 'mcp',
    client_assurance_level: 1,
    name: request.client_name,
    template_area: 'mcp-client',
  };
}

// Kept here rather than imported: this module imports nothing (see above).
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why a redirect URI may not be registered, or undefined when it may.
 * Allowed: https URIs, and http URIs on a loopback host (RFC 8252 §7.3, where
 * native and desktop clients listen on an ephemeral port).
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (typeof uri !== 'string' || uri.length === 0) return 'redirect URI must be a non-empty string';
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return `redirect URI ${JSON.stringify(uri)} is not an absolute URI`;
  }
  if (uri.includes('#')) return `redirect URI ${uri} must not contain a fragment`;
  if (parsed.username !== '' || parsed.password !== '') return `redirect URI ${uri} must not contain user information`;
  if (parsed.protocol === 'https:') {
    return parsed.hostname === '' ? `redirect URI ${uri} has no host` : undefined;
  }
  if (parsed.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(parsed.hostname)
      ? undefined
      : `redirect URI ${uri} uses http on a host that is not a loopback address (only 127.0.0.1, [::1] and localhost may use http)`;
  }
  return `redirect URI ${uri} uses the ${parsed.protocol.slice(0, -1)} scheme; only https, or http on a loopback address, is allowed`;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** 127.0.0.1, [::1] or localhost, as URL.hostname spells them. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * RFC 8252 §7.3: a native or desktop client registers a loopback redirect URI
 * and listens on whatever port the operating system gives it at run time, so
 * the port is ignored when matching. Scheme (http), host, path and query must
 * still match exactly, and localhost is not treated as 127.0.0.1.
 */
export function matchesLoopbackRedirect(registered: string, requested: string): boolean {
  const expected = URL.parse(registered);
  const actual = URL.parse(requested);
  if (!expected || !actual) return false;
  if (expected.protocol !== 'http:' || actual.protocol !== 'http:') return false;
  if (!isLoopbackHost(expected.hostname) || expected.hostname !== actual.hostname) return false;
  if (actual.username || actual.password || actual.hash || requested.includes('#')) return false;
  return expected.pathname === actual.pathname && expected.search === actual.search;
}

interface ClientPrototype {
  redirectUriAllowed(redirectUri: string): boolean;
  readonly redirectUris?: readonly string[] | undefined;
}

/**
 * Extends oidc-provider's redirect URI check (which ignores loopback ports for
 * `application_type: native` only) to every client: MCP clients register
 * through DCR as web clients yet run on the user's machine.
 */
export function allowAnyLoopbackPort(Client: { prototype: ClientPrototype }): void {
  const exact = Client.prototype.redirectUriAllowed;
  Client.prototype.redirectUriAllowed = function redirectUriAllowed(this: ClientPrototype, redirectUri: string): boolean {
    if (exact.call(this, redirectUri)) return true;
    return (this.redirectUris ?? []).some((registered) => matchesLoopbackRedirect(registered, redirectUri));
  };
}

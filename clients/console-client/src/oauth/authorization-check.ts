import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export type AuthorizationCheck =
  /** The authorization server is showing (or redirecting to) its sign-in page. */
  | { kind: 'accepted' }
  /** It refused the request itself: unknown client, unregistered redirect URI and the like. */
  | { kind: 'refused'; status: number; error: string | undefined }
  /** It answered the request with an OAuth error sent straight to our redirect URI. */
  | { kind: 'error-response'; error: string; description: string | undefined };

const KNOWN_ERRORS = /\b(invalid_client|unauthorized_client|invalid_redirect_uri|invalid_request|invalid_scope|invalid_target|access_denied|unsupported_response_type|server_error)\b/;

function sniffError(contentType: string | null, body: string): string | undefined {
  if (contentType?.includes('json')) {
    try {
      const parsed = JSON.parse(body) as { error?: unknown; code?: unknown };
      if (typeof parsed.error === 'string') return parsed.error;
      if (typeof parsed.code === 'string') return parsed.code;
    } catch {
      // fall through to the text search
    }
  }
  return KNOWN_ERRORS.exec(body)?.[1];
}

/**
 * Asks the authorization endpoint about the request before a person is sent
 * there. An authorization server that no longer knows the client (or its
 * redirect URI) shows an error page and never redirects back, which would
 * leave the console waiting until it times out; this check turns that into
 * an answer the client can act on. The request is the same GET the browser
 * is about to make, without cookies, and redirects are not followed.
 */
export async function checkAuthorizationRequest(authorizationUrl: URL, redirectUrl: string, fetchFn: FetchLike = fetch): Promise<AuthorizationCheck> {
  const response = await fetchFn(authorizationUrl, { method: 'GET', redirect: 'manual', headers: { Accept: 'text/html, application/json' } });
  try {
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      if (!location) return { kind: 'accepted' };
      const target = new URL(location, authorizationUrl);
      const redirect = new URL(redirectUrl);
      const error = target.searchParams.get('error');
      if (error && target.origin === redirect.origin && target.pathname === redirect.pathname) {
        return { kind: 'error-response', error, description: target.searchParams.get('error_description') ?? undefined };
      }
      return { kind: 'accepted' };
    }
    if (response.status < 300) return { kind: 'accepted' };
    const body = (await response.text()).slice(0, 20_000);
    return { kind: 'refused', status: response.status, error: sniffError(response.headers.get('content-type'), body) };
  } finally {
    await response.body?.cancel().catch(() => undefined);
  }
}

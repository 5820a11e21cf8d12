import { basicCredentials } from '@mcp-demo/access-token';
import type { ClientAuthMethod } from '../config.ts';
import { safeUpstreamText, UpstreamError } from '../upstream/errors.ts';
import { createUpstreamPool, parseJson, requestTarget, requestText, type UpstreamAnswer } from '../upstream/pool.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface TokenExchangeSettings {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  clientAuthMethod: ClientAuthMethod;
  /** The audience the exchanged token is for (the stocks API). */
  audience: string;
}

export interface ExchangedToken {
  accessToken: string;
  /** Epoch seconds; undefined when neither expires_in nor the token's own exp says. */
  expiresAt: number | undefined;
}

/** RFC 8693 client: trades the token the MCP server received for one the stocks API accepts. */
export interface TokenExchangeClient {
  exchange(subjectToken: string): Promise<ExchangedToken>;
  close(): Promise<void>;
}

/** The exp claim of a JWT, read without verification: it only bounds how long we cache the token. */
function expiryClaimOf(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

function expiresInOf(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

const UNAVAILABLE =
  'The authorization server is unavailable right now, so the access token could not be exchanged for an API token. This is temporary; try again later.';

function unavailable(detail: string | undefined, status?: number): UpstreamError {
  return new UpstreamError('authorization_server_unavailable', UNAVAILABLE, { status, detail });
}

function invalidResponse(status: number, detail: string): UpstreamError {
  return new UpstreamError(
    'authorization_server_invalid_response',
    `The authorization server gave an unexpected answer to the token exchange (HTTP ${status}); the operator of this MCP server should check its configuration.`,
    { status, detail },
  );
}

/** An OAuth error code is shown to the user only when it looks like one (RFC 6749 section 5.2 charset). */
function oauthErrorCode(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' && /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(error) ? error : undefined;
}

function interpret({ status, text }: UpstreamAnswer, now: number): ExchangedToken {
  const body = parseJson(text);
  if (status === 429 || status >= 500) throw unavailable(oauthErrorCode(body) ?? `http_${status}`, status);
  if (status === 400 || status === 401 || status === 403) {
    const code = oauthErrorCode(body);
    throw new UpstreamError(
      'token_exchange_rejected',
      `The access token could not be exchanged for an API access token${code ? ` (${code})` : ''}. Re-authorize the MCP client and try again.`,
      { status, detail: code },
    );
  }
  if (status !== 200) throw invalidResponse(status, `http_${status}`);

  const fields = body as { access_token?: unknown; token_type?: unknown; expires_in?: unknown } | undefined;
  const accessToken = fields?.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) throw invalidResponse(status, 'no access_token in the response');
  // RFC 8693 answers N_A when the issued token is not an access token; it could not be sent as a bearer.
  if (fields?.token_type !== undefined && String(fields.token_type).toLowerCase() !== 'bearer') {
    throw invalidResponse(status, `token_type ${safeUpstreamText(fields.token_type, 20) ?? 'unknown'}`);
  }
  const expiresIn = expiresInOf(fields?.expires_in);
  return { accessToken, expiresAt: expiresIn !== undefined ? now + expiresIn : expiryClaimOf(accessToken) };
}

export function createTokenExchangeClient(settings: TokenExchangeSettings, timeoutMs: number): TokenExchangeClient {
  const endpoint = new URL(settings.tokenEndpoint);
  const pool = createUpstreamPool(settings.tokenEndpoint, timeoutMs);
  const authorization =
    settings.clientAuthMethod === 'client_secret_basic' ? basicCredentials(settings.clientId, settings.clientSecret) : undefined;

  return {
    async exchange(subjectToken) {
      const form = new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        audience: settings.audience,
      });
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (authorization) headers.authorization = authorization;
      else {
        form.set('client_id', settings.clientId);
        form.set('client_secret', settings.clientSecret);
      }

      const requestedAt = Math.floor(Date.now() / 1000);
      const answer = await requestText(
        pool,
        { method: 'POST', path: requestTarget(endpoint), headers, body: form.toString() },
        { unavailable, invalidResponse },
      );
      // Lifetimes count from when the request left, so network time only shortens the cache entry.
      return interpret(answer, requestedAt);
    },
    close: () => pool.close(),
  };
}

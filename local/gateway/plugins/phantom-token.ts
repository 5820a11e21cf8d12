import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { basicCredentials, bearerChallenge, INSUFFICIENT_SCOPE_MESSAGE, readBearerToken } from '@mcp-demo/access-token';
import { jsonResponse, RequestBodyTooLarge, type GatewayPlugin, type PluginResponse } from './types.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';
import { MAX_INTEGER } from '../limits.ts';
import { challengeScope, grantedScopes, MAX_INSPECTED_BODY, neededScopes, scopeRequirementSchema, UnreadableBody } from './scope-requirements.ts';

/**
 * The phantom token pattern, with the behaviour of the Kong plugin in
 * kong/plugins/phantom-token (kong/phantom-token-vectors.json pins both):
 * the client presents an opaque token, the gateway introspects it asking for
 * `application/jwt` and forwards the JWT. An opaque, invalid or client-made
 * token never reaches the upstream.
 */

export const PHANTOM_TOKEN_PRIORITY = 1000;

export const INVALID_TOKEN_MESSAGE = 'Missing, invalid or expired access token';
const INTROSPECTION_FAILED_MESSAGE = 'The authorization server returned an unexpected introspection response';
const UNAVAILABLE_MESSAGE = 'The authorization server could not be reached';
const MALFORMED_HEADER_MESSAGE = 'The Mcp-Method or Mcp-Name header is malformed';
const UNREADABLE_BODY_MESSAGE = `The gateway could not read the MCP method from the request: send the Mcp-Method and Mcp-Name headers, or a JSON-RPC request body of at most ${MAX_INSPECTED_BODY} bytes`;

/** `{vault://env/<name>}`: Kong's environment variable vault, the only one supported. */
export const ENV_VAULT_REFERENCE = /^\{vault:\/\/env\/([A-Za-z0-9_-]+)\}$/;

const optionalText = z
  .string()
  .min(1)
  .nullish()
  .transform((value) => value ?? undefined);

export const phantomTokenConfigSchema = z.strictObject({
  introspection_endpoint: z.url({ protocol: /^https?$/ }),
  client_id: z.string().min(1),
  client_secret: z
    .string()
    .min(1)
    .refine((value) => !value.startsWith('{vault://') || ENV_VAULT_REFERENCE.test(value), {
      error: 'only {vault://env/<name>} references are supported',
    }),
  token_cache_seconds: z.int().min(0).max(MAX_INTEGER).default(0),
  scope: optionalText,
  resource_metadata: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Scopes an MCP call (method, optionally tool name) needs on top of a valid token. */
  scope_requirements: z.array(scopeRequirementSchema).default([]),
  verify_ssl: z.boolean().default(true),
  timeout_ms: z.int().min(1).max(MAX_INTEGER).default(5000),
});

export type PhantomTokenConfig = z.output<typeof phantomTokenConfigSchema>;

export interface IntrospectionRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  verifySsl: boolean;
}

export interface IntrospectionResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends an introspection request. Rejects with IntrospectionProtocolError for
 * an answer that cannot be used, with any other error when the authorization
 * server could not be reached in time.
 */
export type Introspect = (request: IntrospectionRequest) => Promise<IntrospectionResponse>;

export class IntrospectionProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntrospectionProtocolError';
  }
}

export type PhantomTokenOutcome = { action: 'forward'; authorization: string } | ({ action: 'reject' } & PluginResponse);

/** What the plugin reads of a request: its headers and, when a scope requirement needs it, its body. */
export interface PhantomTokenRequest {
  headers: IncomingHttpHeaders;
  /** The whole body; rejects with RequestBodyTooLarge beyond the gateway's limit. */
  readBody(): Promise<Buffer>;
}

export interface PhantomToken {
  /** Decides what happens to this request; `log` carries the request's context. */
  authorize(request: PhantomTokenRequest, log?: Logger): Promise<PhantomTokenOutcome>;
}

export interface PhantomTokenOptions {
  config: PhantomTokenConfig;
  introspect: Introspect;
  /** Shared by every route, as Kong's shared dictionary is; one of its own otherwise. */
  cache?: TokenCache;
  logger?: Logger;
}

/** The cache key: the token's SHA-256, so the cache never holds a usable token. */
export function cacheKey(token: string): string {
  return `phantom:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** max-age of a Cache-Control header: the token's remaining lifetime. */
export function maxAgeOf(cacheControl: string | undefined): number | undefined {
  const match = cacheControl === undefined ? null : /(?:^|[,\s])max-age="?(\d+)/i.exec(cacheControl);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

// A signed JWT in compact serialization: three non-empty base64url parts.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

type Introspection = { jwt: string; maxAge: number | undefined } | { failure: 'inactive' | 'failed' | 'unavailable' };

/** 204, an empty body or {"active":false} mean inactive; a JWT means active; anything else is a failure. */
export function readIntrospection(response: IntrospectionResponse): Introspection {
  if (response.status === 204) return { failure: 'inactive' };
  if (response.status !== 200) return { failure: 'failed' };
  const body = response.body.trim();
  const cacheControl = response.headers['cache-control'];
  const maxAge = maxAgeOf(Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl);
  if (COMPACT_JWS.test(body)) return { jwt: body, maxAge };
  if (body === '') return { failure: 'inactive' };
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === 'object' && json !== null && (json as { active?: unknown }).active === false) return { failure: 'inactive' };
  } catch {
    // Not JSON either: fall through to a failure.
  }
  // Typically a JSON answer from a server that ignored Accept: application/jwt.
  return { failure: 'failed' };
}

export function createPhantomToken({ config, introspect, cache = createTokenCache(), logger }: PhantomTokenOptions): PhantomToken {
  const caching = config.token_cache_seconds > 0;
  const authorizationHeader = basicCredentials(config.client_id, config.client_secret);

  const unauthorized = (): PhantomTokenOutcome => ({
    action: 'reject',
    ...jsonResponse(
      401,
      { code: 'invalid_token', message: INVALID_TOKEN_MESSAGE },
      {
        'www-authenticate': bearerChallenge({
          error: 'invalid_token',
          description: INVALID_TOKEN_MESSAGE,
          resourceMetadata: config.resource_metadata,
          scope: config.scope,
        }),
      },
    ),
  });

  /** One introspection, and how long its JWT may be remembered (0: not at all). */
  const introspectOnce = async (token: string, tokenRef: string, log: Logger | undefined): Promise<{ outcome: Introspection; ttlSeconds: number }> => {
    let result: Introspection;
    try {
      result = readIntrospection(
        await introspect({
          url: config.introspection_endpoint,
          method: 'POST',
          headers: {
            authorization: authorizationHeader,
            accept: 'application/jwt',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token }).toString(),
          timeoutMs: config.timeout_ms,
          verifySsl: config.verify_ssl,
        }),
      );
    } catch (error) {
      const failure = error instanceof IntrospectionProtocolError ? 'failed' : 'unavailable';
      log?.error({ tokenRef, reason: error instanceof Error ? error.message : String(error) }, 'introspection request failed');
      return { outcome: { failure }, ttlSeconds: 0 };
    }
    if ('jwt' in result) {
      // Never past the token's lifetime, which max-age tells.
      const ttl = result.maxAge === undefined ? config.token_cache_seconds : Math.min(config.token_cache_seconds, result.maxAge);
      return { outcome: result, ttlSeconds: caching ? ttl : 0 };
    }
    if (result.failure === 'inactive') log?.info({ tokenRef }, 'introspection says the token is inactive');
    else log?.error({ tokenRef }, 'unexpected introspection response');
    return { outcome: result, ttlSeconds: 0 };
  };

  // The scopes of each remembered JWT, read once: the cache hands back the
  // same object for a token for as long as it remembers its JWT.
  const scopesOfRemembered = new WeakMap<{ jwt: string }, Set<string>>();
  const scopesOf = (remembered: { jwt: string }): Set<string> => {
    let scopes = scopesOfRemembered.get(remembered);
    if (scopes === undefined) {
      scopes = grantedScopes(remembered.jwt);
      scopesOfRemembered.set(remembered, scopes);
    }
    return scopes;
  };

  /** A 400 or 403 when the request breaks a scope requirement; undefined lets it through. */
  const enforceRequirements = async (
    request: PhantomTokenRequest,
    remembered: { jwt: string },
    tokenRef: string,
    log: Logger | undefined,
  ): Promise<PhantomTokenOutcome | undefined> => {
    if (config.scope_requirements.length === 0) return undefined;
    const readBody = async () => {
      try {
        return await request.readBody();
      } catch (error) {
        if (error instanceof RequestBodyTooLarge) throw new UnreadableBody(error.message);
        throw error;
      }
    };
    const needed = await neededScopes(config.scope_requirements, request.headers, readBody);
    if ('problem' in needed) {
      log?.info({ problem: needed.problem }, 'MCP call not identified');
      const message = needed.problem === 'malformed_header' ? MALFORMED_HEADER_MESSAGE : UNREADABLE_BODY_MESSAGE;
      return { action: 'reject', ...jsonResponse(400, { code: 'invalid_request', message }) };
    }
    if (needed.scopes.length === 0) return undefined;
    const granted = scopesOf(remembered);
    const missing = needed.scopes.filter((scope) => !granted.has(scope));
    if (missing.length === 0) return undefined;
    log?.info({ tokenRef, missing }, 'token lacks a scope the MCP call needs');
    const challenge = bearerChallenge({
      error: 'insufficient_scope',
      description: INSUFFICIENT_SCOPE_MESSAGE,
      resourceMetadata: config.resource_metadata,
      scope: challengeScope(config.scope, needed.scopes),
    });
    return { action: 'reject', ...jsonResponse(403, { code: 'insufficient_scope', message: INSUFFICIENT_SCOPE_MESSAGE }, { 'www-authenticate': challenge }) };
  };

  const forward = async (request: PhantomTokenRequest, remembered: { jwt: string }, tokenRef: string, log: Logger | undefined): Promise<PhantomTokenOutcome> =>
    (await enforceRequirements(request, remembered, tokenRef, log)) ?? { action: 'forward', authorization: `Bearer ${remembered.jwt}` };

  return {
    async authorize(request, log = logger) {
      const authorization = request.headers.authorization;
      const token = readBearerToken(authorization);
      if (!token) {
        log?.debug('request has no usable bearer token');
        return unauthorized();
      }
      const key = cacheKey(token);
      const tokenRef = key.slice('phantom:'.length, 'phantom:'.length + 12);
      // A remembered JWT, or the introspection already in flight for this
      // token, or a new one: concurrent requests share one introspection.
      const result = await cache.resolve(key, () => introspectOnce(token, tokenRef, log));
      if ('jwt' in result) return forward(request, result, tokenRef, log);
      if (result.failure === 'inactive') return unauthorized();
      if (result.failure === 'unavailable') {
        return { action: 'reject', ...jsonResponse(503, { code: 'authorization_server_unavailable', message: UNAVAILABLE_MESSAGE }) };
      }
      return { action: 'reject', ...jsonResponse(502, { code: 'introspection_failed', message: INTROSPECTION_FAILED_MESSAGE }) };
    },
  };
}

/** The gateway plugin around the phantom token logic. */
export function phantomTokenPlugin(phantomToken: PhantomToken): GatewayPlugin {
  return {
    name: 'phantom-token',
    priority: PHANTOM_TOKEN_PRIORITY,
    async access(gatewayRequest) {
      const outcome = await phantomToken.authorize({ headers: gatewayRequest.requestHeaders, readBody: () => gatewayRequest.readBody() }, gatewayRequest.log);
      if (outcome.action === 'forward') {
        gatewayRequest.upstreamHeaders.authorization = outcome.authorization;
        return undefined;
      }
      const { action: _action, ...response } = outcome;
      return response;
    },
  };
}

import type { EventEmitter } from 'node:events';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errorFields, type Logger } from '@mcp-demo/service-kit';
import { defaultScopeOf } from '../clients/mcp-registration-policy.ts';
import { ROUTES } from './paths.ts';

type Next = () => Promise<unknown>;

interface OAuthErrorBody {
  error?: unknown;
  error_description?: unknown;
}

/**
 * RFC 6749 §5.2 names `unauthorized_client` for an authenticated client that
 * uses a grant type it may not use; oidc-provider answers `invalid_request`
 * there. Rewriting that one answer keeps the token endpoint's errors as the
 * RFCs (and the Curity Identity Server) spell them.
 */
export function unauthorizedClientErrors() {
  return async function rewriteGrantTypeRefusal(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 400) return;
    const body = ctx.body as OAuthErrorBody | undefined;
    if (body?.error === 'invalid_request' && body.error_description === 'requested grant type is not allowed for this client') {
      ctx.body = { error: 'unauthorized_client', error_description: 'the client is not allowed to use this grant type' };
    }
  };
}

/**
 * RFC 6749 §3.3: a request without `scope` is either processed with a
 * pre-defined default or refused. The default here is the client's
 * registered scope without its step-up scopes (for an MCP client,
 * `stocks/read`), so nobody signs in
 * and consents to a request that could only end in `access_denied`. A client
 * with no registered scope is left to the provider's own checks.
 */
export function registeredScopeByDefault(findClient: (clientId: string) => Promise<{ scope?: string | undefined } | undefined>) {
  return async function defaultScope(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    const clientId = ctx.query.client_id;
    if (ctx.method === 'GET' && ctx.path === ROUTES.authorization && ctx.query.scope === undefined && typeof clientId === 'string') {
      const client = await findClient(clientId).catch(() => undefined);
      const scope = client?.scope ? defaultScopeOf(client.scope) : '';
      if (scope) ctx.query = { ...ctx.query, scope };
    }
    await next();
  };
}

/** Unknown paths get the deployment's JSON error shape instead of Koa's plain text. */
export function jsonNotFound() {
  return async function notFound(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    await next();
    if (ctx.status === 404 && (ctx.body === undefined || ctx.body === null)) {
      // Set explicitly: Koa turns an implicit 404 into 200 once a body is assigned.
      ctx.status = 404;
      ctx.body = { code: 'not_found', message: 'The requested resource does not exist' };
    }
  };
}

type ErrorDetails = Error & { error?: string; status?: number; expose?: boolean };

/**
 * The logger of the request an event belongs to: service-kit's
 * requestContext keeps it on the Node response that oidc-provider's Koa
 * context shares, so event lines carry the request id.
 */
function loggerOf(ctx: unknown, fallback: Logger): Logger {
  const response = (ctx as { res?: { locals?: { log?: Logger } } } | undefined)?.res;
  return response?.locals?.log ?? fallback;
}

/**
 * Logs OAuth errors with their code only: descriptions can echo request
 * values, and no token or code may reach a log line. Failures are logged by
 * name and message; stack traces stay out of logs.
 */
export function logProviderEvents(provider: EventEmitter, logger: Logger): void {
  const clientErrors = [
    'authorization.error',
    'grant.error',
    'introspection.error',
    'registration_create.error',
    'jwks.error',
    'discovery.error',
  ];
  for (const event of clientErrors) {
    provider.on(event, (ctx: unknown, error: ErrorDetails | undefined) => {
      loggerOf(ctx, logger).info({ event, oauthError: error?.error, status: error?.status }, 'oauth request refused');
    });
  }
  provider.on('server_error', (ctx: unknown, error: ErrorDetails | undefined) => {
    loggerOf(ctx, logger).error(errorFields(error), 'authorization server error');
  });
  // Koa reports here what escapes oidc-provider's own error handling (for
  // example a failure in this server's middleware). Without a listener, Koa
  // prints such errors to stderr, stack included.
  provider.on('error', (error: ErrorDetails | undefined, ctx: unknown) => {
    if (error?.expose) return;
    loggerOf(ctx, logger).error(errorFields(error), 'authorization server error');
  });
  provider.on('registration_create.success', (ctx: unknown, client: { clientId: string }) => {
    loggerOf(ctx, logger).info({ clientId: client.clientId }, 'client registered');
  });
}

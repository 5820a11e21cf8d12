import type { EventEmitter } from 'node:events';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '@mcp-demo/service-kit';

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

/** Unknown paths get the deployment's JSON error shape instead of Koa's plain text. */
export function jsonNotFound() {
  return async function notFound(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    await next();
    if (ctx.status === 404 && (ctx.body === undefined || ctx.body === null)) {
      ctx.status = 404;
      ctx.body = { code: 'not_found', message: 'The requested resource does not exist' };
    }
  };
}

/**
 * Logs OAuth errors with their code only: descriptions can echo request
 * values, and no token or code may reach a log line.
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
    provider.on(event, (_ctx: unknown, error: { error?: string; status?: number }) => {
      logger.info({ event, error: error?.error, status: error?.status }, 'oauth request refused');
    });
  }
  provider.on('server_error', (_ctx: unknown, error: Error) => {
    logger.error({ err: { type: error?.name, message: error?.message, stack: error?.stack } }, 'authorization server error');
  });
  provider.on('registration_create.success', (_ctx: unknown, client: { clientId: string }) => {
    logger.info({ clientId: client.clientId }, 'client registered');
  });
}

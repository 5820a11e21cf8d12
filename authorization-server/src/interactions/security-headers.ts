import type { RequestHandler, Response } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { ROUTES } from '../provider/paths.ts';

interface PolicyOptions {
  /** Origins a form on the page may post to, or be redirected to, besides this server. */
  formTargets?: readonly string[];
  /**
   * Adds a script-src directive. oidc-provider appends the hash of its inline
   * form_post script to that directive when one exists; without it the
   * default-src 'none' fallback blocks the script. No other script is served.
   */
  inlineScriptHashes?: boolean;
}

function contentSecurityPolicy({ formTargets = [], inlineScriptHashes = false }: PolicyOptions = {}): string {
  return [
    "default-src 'none'",
    ...(inlineScriptHashes ? ["script-src 'self'"] : []),
    "style-src 'self'",
    "img-src 'self'",
    // Browsers apply form-action to the redirects that follow a form post, and
    // the last redirect of a sign-in goes to the client's redirect URI.
    ["form-action 'self'", ...formTargets].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function originOf(uri: unknown): string | undefined {
  const origin = typeof uri === 'string' ? URL.parse(uri)?.origin : undefined;
  return origin && origin !== 'null' ? origin : undefined;
}

/** Headers for every response: no framing, no sniffing, no referrer, a strict CSP. */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy());
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
}

/** Widens form-action for a page whose form ends in a redirect to the client. */
export function allowFormRedirectTo(res: Response, redirectUri: unknown): void {
  const origin = originOf(redirectUri);
  if (origin) res.setHeader('Content-Security-Policy', contentSecurityPolicy({ formTargets: [origin] }));
}

function isAuthorizationEndpoint(path: string): boolean {
  return path === ROUTES.authorization || path.startsWith(`${ROUTES.authorization}/`);
}

/**
 * oidc-provider middleware for the `form_post` response mode (advertised in
 * the metadata): the authorization endpoint then answers with a page whose
 * inline script posts the result to the client's redirect URI. Its policy
 * lets oidc-provider add that script's hash and, once the redirect URI has
 * been verified, lets the form post to the client's origin.
 */
export function formPostPolicy() {
  return async function allowFormPost(ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> {
    if (!isAuthorizationEndpoint(ctx.path)) {
      await next();
      return;
    }
    ctx.set('Content-Security-Policy', contentSecurityPolicy({ inlineScriptHashes: true }));
    await next();
    const origin = originOf(ctx.oidc?.params?.redirect_uri);
    if (!origin || !ctx.oidc.redirectUriCheckPerformed || ctx.oidc.responseMode !== 'form_post') return;
    // Edited rather than replaced, so that the script hash oidc-provider added stays.
    const directives = ctx.response.get('Content-Security-Policy').split(';').map((directive) => directive.trim());
    ctx.set(
      'Content-Security-Policy',
      directives.map((directive) => (directive.startsWith('form-action ') ? `${directive} ${origin}` : directive)).join('; '),
    );
  };
}

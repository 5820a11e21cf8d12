import type { RequestHandler, Response } from 'express';
import { ASSETS_PATH } from '../provider/paths.ts';

function contentSecurityPolicy(formTargets: readonly string[]): string {
  return [
    "default-src 'none'",
    `style-src 'self'`,
    "img-src 'self'",
    // Browsers apply form-action to the redirects that follow a form post, and
    // the last redirect of a sign-in goes to the client's redirect URI.
    `form-action 'self'${formTargets.map((origin) => ` ${origin}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Headers for every response: no framing, no sniffing, no referrer, a strict CSP. */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy([]));
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
}

/** Widens form-action for a page whose form ends in a redirect to the client. */
export function allowFormRedirectTo(res: Response, redirectUri: unknown): void {
  const origin = typeof redirectUri === 'string' ? URL.parse(redirectUri)?.origin : undefined;
  if (origin && origin !== 'null') res.setHeader('Content-Security-Policy', contentSecurityPolicy([origin]));
}

export const STYLESHEET_PATH = `${ASSETS_PATH}/style.css`;

import type { RequestHandler, Response } from 'express';
import { bearerChallenge, readBearerToken } from './challenge.ts';
import { AccessTokenError, type AccessTokenClaims, type AccessTokenVerifier } from './verifier.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    claims: AccessTokenClaims;
    accessToken: string;
  }
}

export interface ProtectOptions {
  /** Advertised in challenges so MCP clients can discover the authorization server (RFC 9728). */
  resourceMetadata?: string;
  /** Scope advertised in challenges. */
  scope: string;
}

const MISSING = 'Missing, invalid or expired access token';

function reject(res: Response, error: AccessTokenError, options: ProtectOptions): void {
  if (error.code === 'unavailable') {
    res.status(503).setHeader('Retry-After', '5').json({ code: 'authorization_server_unavailable', message: error.message });
    return;
  }
  const status = error.code === 'insufficient_scope' ? 403 : 401;
  res.setHeader(
    'WWW-Authenticate',
    bearerChallenge({ error: error.code, description: error.message, resourceMetadata: options.resourceMetadata, scope: options.scope }),
  );
  res.status(status).json({ code: error.code, message: error.message });
}

/**
 * Express middleware: requires a valid JWT access token, exposes its claims
 * as `res.locals.claims` and the raw token as `res.locals.accessToken`.
 */
export function requireAccessToken(verifier: AccessTokenVerifier, options: ProtectOptions): RequestHandler {
  return (req, res, next) => {
    const token = readBearerToken(req.get('authorization'));
    if (!token) {
      reject(res, new AccessTokenError('invalid_token', MISSING), options);
      return;
    }
    verifier.verify(token).then(
      (claims) => {
        res.locals.claims = claims;
        res.locals.accessToken = token;
        // Which audience and actor reached this service: enough to audit the
        // delegation chain without logging the token itself.
        const actor = (claims.act as { sub?: unknown } | undefined)?.sub;
        res.locals.log?.debug({ audience: claims.aud, actor, clientType: claims.client_type }, 'access token accepted');
        next();
      },
      (error: unknown) => {
        if (error instanceof AccessTokenError) {
          if (error.code === 'unavailable') res.locals.log?.warn({ reason: error.message }, 'access token could not be checked');
          else res.locals.log?.info({ reason: error.message }, 'access token rejected');
          reject(res, error, options);
        } else next(error);
      },
    );
  };
}

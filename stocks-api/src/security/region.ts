import type { RequestHandler } from 'express';
import { bearerChallenge } from '@mcp-demo/access-token';
import { sendError } from '@mcp-demo/service-kit';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The caller's region, from the access token's region claim. */
    region: string;
  }
}

/**
 * Every stock route is scoped to the user's region. A token without a region
 * claim (for example one issued without a user, or by a misconfigured
 * authorization server) cannot be narrowed to any data, so it is refused
 * rather than answered with an empty list that would look like "no stocks".
 *
 * This is answered as insufficient_scope: the region comes with a user's
 * grant of the required scope, so a new user-delegated token for that scope
 * is exactly what the client needs, and the challenge says so.
 */
export function requireRegion(options: { scope: string }): RequestHandler {
  const message = 'The access token carries no region claim, so no stock data can be selected for it';
  const challenge = bearerChallenge({ error: 'insufficient_scope', description: message, scope: options.scope });
  return (_req, res, next) => {
    const region: unknown = res.locals.claims.region;
    if (typeof region === 'string' && region.trim().length > 0) {
      res.locals.region = region;
      next();
      return;
    }
    res.locals.log.info('access token without region claim refused');
    sendError(res, 403, 'missing_region', message, { 'WWW-Authenticate': challenge });
  };
}

import type { RequestHandler } from 'express';
import type { AccessTokenClaims } from '@mcp-demo/access-token';
import { sendError } from '@mcp-demo/service-kit';
import type { Decision } from '../domain/ai-context.ts';

/**
 * Applies one of the client rules from domain/ai-context.ts to a request.
 *
 * A refusal is a plain 403 with a JSON body and deliberately no Bearer
 * challenge. RFC 6750 challenges tell a client how to obtain a better token
 * (insufficient_scope invites MCP clients to re-authorize with more scope),
 * but these rules depend on what the client is, which no token request can
 * change; a challenge would only send agents round an authorization loop.
 * RFC 9110 section 15.5.4 covers this case: the credentials were understood
 * and are not sufficient, and the request should not be repeated with them.
 */
export function enforceClientRule(rule: (claims: AccessTokenClaims) => Decision): RequestHandler {
  return (_req, res, next) => {
    const decision = rule(res.locals.claims);
    if (decision.allowed) {
      next();
      return;
    }
    res.locals.log.info({ rule: decision.code, clientType: res.locals.claims.client_type }, 'request refused by client rule');
    sendError(res, 403, decision.code, decision.message);
  };
}

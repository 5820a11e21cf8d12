import { SignJWT, type CryptoKey } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { jwtFormClaims } from '../tokens/claims.ts';

export const JWT_MEDIA_TYPE = 'application/jwt';

export interface JwtIntrospectionOptions {
  privateKey: CryptoKey;
  kid: string;
  algorithm: string;
}

interface StoredToken {
  extra?: Record<string, unknown>;
}

/**
 * The Curity Identity Server's phantom token behaviour on the introspection
 * endpoint (RFC 7662): when the caller sends `Accept: application/jwt`, an
 * active token is answered with its JWT form (the same claims, signed with
 * the issuer's key) as `application/jwt`, cacheable until the token expires;
 * an inactive one (including any JWT-shaped string) is answered 204 with no
 * body. Callers that accept JSON get oidc-provider's RFC 7662 response.
 *
 * oidc-provider's own `jwtIntrospection` feature answers a different media
 * type (token-introspection+jwt, RFC 9701) with the introspection result as a
 * claim; gateways built for Curity expect the access token itself.
 */
export function jwtIntrospection(options: JwtIntrospectionOptions) {
  return async function answerWithJwt(ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> {
    await next();
    if (ctx.oidc?.route !== 'introspection') return;
    // oidc-provider refuses JWT-shaped tokens with unsupported_token_type; for
    // a gateway (and RFC 7662) a token this server did not issue is inactive.
    if (ctx.status === 400 && (ctx.body as { error?: unknown } | undefined)?.error === 'unsupported_token_type') {
      ctx.status = 200;
      ctx.body = { active: false };
    }
    if (ctx.status !== 200) return;
    if (ctx.accepts('application/json', JWT_MEDIA_TYPE) !== JWT_MEDIA_TYPE) return;

    const result = ctx.body as Record<string, unknown> | undefined;
    const stored = ctx.oidc.entities.AccessToken as StoredToken | undefined;
    const exp = result?.exp;
    const remaining = typeof exp === 'number' ? exp - Math.floor(Date.now() / 1000) : 0;
    if (!result?.active || !stored || remaining <= 0) {
      ctx.body = null;
      ctx.status = 204;
      return;
    }

    const tokenId = typeof stored.extra?.jti === 'string' ? stored.extra.jti : undefined;
    const claims = jwtFormClaims(result, tokenId);
    ctx.body = await new SignJWT(claims).setProtectedHeader({ alg: options.algorithm, kid: options.kid, typ: 'at+jwt' }).sign(options.privateKey);
    ctx.type = JWT_MEDIA_TYPE;
    // Replaces oidc-provider's no-store: the gateway may cache the JWT until
    // the token expires. Its Pragma: no-cache would contradict that.
    ctx.set('Cache-Control', `max-age=${remaining}`);
    ctx.remove('Pragma');
  };
}

import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { errors, type AccessToken, type Provider, type TokenEndpointGrantContext } from 'oidc-provider';
import { attributesOf } from '../clients/client-metadata.ts';
import {
  ACCESS_TOKEN_TYPE,
  carriedClaims,
  checkExchangeParameters,
  chooseAudience,
  exchangedLifetime,
  narrowScope,
  sameAudience,
} from './token-exchange-rules.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

const PARAMETERS = [
  'audience',
  'resource',
  'scope',
  'requested_token_type',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
];

export interface TokenExchangeOptions {
  issuer: string;
  /** This server's public keys: a subject token must be signed by one of them. */
  publicJwks: JSONWebKeySet;
  algorithm: string;
  /** A subject token must be audience-restricted to one of these (the MCP server). */
  subjectAudiences: readonly string[];
  /** Upper bound of the exchanged token's lifetime in seconds. */
  maximumLifetime: number;
}

/**
 * Claims an exchanged token carries over from its subject token. oidc-provider
 * asks `extraTokenClaims` for a token's extra claims when it is saved; this
 * map hands that hook the claims chosen by the grant for that very token.
 */
const exchangedClaims = new WeakMap<object, Record<string, unknown>>();

export function claimsOfExchangedToken(token: object): Record<string, unknown> | undefined {
  return exchangedClaims.get(token);
}

async function verifySubjectToken(token: string, options: TokenExchangeOptions, keys: ReturnType<typeof createLocalJWKSet>): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: options.issuer,
      algorithms: [options.algorithm],
      // RFC 9068's type of a JWT access token (the phantom token): an ID token
      // or another JWT signed with the same key is no subject token.
      typ: 'at+jwt',
      requiredClaims: ['sub', 'exp'],
    }));
  } catch {
    throw new errors.InvalidGrant('subject_token is not a valid, unexpired access token of this issuer');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
  if (!audiences.some((audience) => options.subjectAudiences.some((allowed) => sameAudience(allowed, audience)))) {
    throw new errors.InvalidGrant('subject_token was not issued for an audience that may be exchanged');
  }
  return payload;
}

/**
 * A valid signature only proves the subject token was issued; its grant may
 * have been revoked since (oidc-provider destroys the grant and its tokens
 * when an authorization code is replayed, and grants expire). The phantom
 * token carries its grant as `delegationId`: the grant must still exist and
 * belong to the token's subject, as introspection would require of the
 * opaque token behind it.
 */
async function assertGrantActive(provider: Provider, subject: JWTPayload): Promise<void> {
  const grantId = subject.delegationId;
  const grant = typeof grantId === 'string' && grantId ? await provider.Grant.find(grantId).catch(() => undefined) : undefined;
  if (!grant || grant.accountId !== subject.sub) throw new errors.InvalidGrant('subject_token is no longer active');
}

/**
 * RFC 8693 token exchange for the MCP server: a JWT access token issued to an
 * MCP client (audience: the MCP server) becomes a JWT for the API. Subject,
 * scope (narrowed on request, never widened) and the user and client context
 * claims are kept; the expiry never exceeds the subject token's; `act` names
 * the exchanging client. Token issuance itself is oidc-provider's AccessToken
 * model in its JWT format, signed with the provider's keys.
 */
export function registerTokenExchange(provider: Provider, options: TokenExchangeOptions): void {
  const keys = createLocalJWKSet(options.publicJwks);

  const handler = async (ctx: TokenEndpointGrantContext) => {
    const { params, client } = ctx.oidc;
    checkExchangeParameters(params);
    const audience = chooseAudience(params, attributesOf(client).token_exchange_audiences ?? []);
    const subject = await verifySubjectToken(params.subject_token as string, options, keys);
    const scope = narrowScope(subject.scope, params.scope);
    await assertGrantActive(provider, subject);
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = exchangedLifetime(subject.exp, now, options.maximumLifetime);

    const token: AccessToken = new provider.AccessToken({
      accountId: subject.sub as string,
      client,
      // The exchanged token belongs to the subject token's grant (Curity's delegation).
      grantId: typeof subject.delegationId === 'string' ? subject.delegationId : '',
      gty: 'token_exchange',
      scope,
      // Set here rather than from expiresIn, which oidc-provider adds to its own
      // clock reading: a second boundary in between would end past the subject token.
      iat: now,
      exp: now + expiresIn,
      expiresWithSession: false,
    });
    token.resourceServer = new provider.ResourceServer(audience, {
      scope,
      audience,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: options.algorithm as 'PS256' } },
    });
    exchangedClaims.set(token, { ...carriedClaims(subject, client.clientId), nbf: now });

    ctx.body = {
      access_token: await token.save(),
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope,
    };
  };

  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, handler, PARAMETERS, ['audience', 'resource']);
}

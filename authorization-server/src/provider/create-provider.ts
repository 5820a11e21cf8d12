import { randomBytes, randomUUID } from 'node:crypto';
import Provider, { errors, type Adapter, type ClientMetadata, type Configuration } from 'oidc-provider';
import type { Logger } from '@mcp-demo/service-kit';
import type { UserDirectory } from '../accounts/users.ts';
import { EXTRA_CLIENT_PROPERTIES, attributesOf, createExtraMetadataValidator, type MetadataLimits } from '../clients/client-metadata.ts';
import { allowAnyLoopbackPort } from '../clients/loopback-redirects.ts';
import { MCP_SCOPE, MCP_SCOPES } from '../clients/mcp-registration-policy.ts';
import { claimsOfExchangedToken, registerTokenExchange } from '../grants/token-exchange.ts';
import { sameAudience } from '../grants/token-exchange-rules.ts';
import { formPostPolicy } from '../interactions/security-headers.ts';
import { jwtIntrospection } from '../introspection/jwt-introspection.ts';
import { SIGNING_ALGORITHM, type SigningKeys } from '../keys/signing-keys.ts';
import { opaqueTokenClaims } from '../tokens/claims.ts';
import { renderErrorPage } from '../views/error.ts';
import { jsonNotFound, logProviderEvents, registeredScopeByDefault, unauthorizedClientErrors } from './middleware.ts';
import { INTERACTION_PATH, ROUTES } from './paths.ts';

export interface ProviderSettings {
  issuer: string;
  mcpAudiences: string[];
  /** Bounds of registration metadata. */
  metadataLimits: MetadataLimits;
  staticClients: ClientMetadata[];
  users: UserDirectory;
  signingKeys: SigningKeys;
  cookieKeys: string[];
  adapter: (model: string) => Adapter;
  logger: Logger;
}

/** Lifetimes in seconds. Access tokens take theirs from the client's registration policy. */
const LIFETIMES = {
  defaultAccessToken: 900,
  authorizationCode: 60,
  interaction: 600,
  session: 3600,
  grant: 14 * 24 * 3600,
  idToken: 3600,
  exchangedToken: 900,
};

function accessTokenTtlOf(client: object | undefined): number {
  const ttl = client ? attributesOf(client).access_token_ttl : undefined;
  return typeof ttl === 'number' && ttl > 0 ? ttl : LIFETIMES.defaultAccessToken;
}

/**
 * The whole oidc-provider configuration, in one place. Each option names the
 * Curity Identity Server behaviour it reproduces.
 */
export function createProvider(settings: ProviderSettings): Provider {
  const { users, logger } = settings;

  const configuration: Configuration = {
    adapter: settings.adapter,
    clients: settings.staticClients,
    jwks: settings.signingKeys.privateJwks,
    cookies: { keys: settings.cookieKeys },

    // Curity's paths (see paths.ts); discovery stays at /.well-known/*.
    routes: { ...ROUTES },

    // The MCP scopes are the only resource scopes (stocks/trade only by
    // step-up). oidc-provider always adds `openid`; there is no userinfo
    // endpoint and no other OpenID scope.
    scopes: [...MCP_SCOPES],
    // The user claim released with stocks/read (shown on the consent page).
    claims: { [MCP_SCOPE]: ['region'] },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: SIGNING_ALGORITHM,
    },
    enabledJWA: { idTokenSigningAlgValues: [SIGNING_ALGORITHM] },

    // OAuth 2.1: PKCE with S256 for every authorization code flow ("plain" is refused).
    pkce: { required: () => true },

    extraClientMetadata: {
      properties: EXTRA_CLIENT_PROPERTIES,
      validator: createExtraMetadataValidator({ audiences: settings.mcpAudiences, limits: settings.metadataLimits }),
    },

    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      // Bearer tokens only, as the phantom token gateway expects.
      dPoP: { enabled: false },
      registration: {
        enabled: true,
        // Open registration, as in the seed; the policy lives in extraClientMetadata.validator.
        initialAccessToken: false,
        issueRegistrationAccessToken: false,
        idFactory: () => randomUUID(),
        secretFactory: () => randomBytes(32).toString('base64url'),
      },
      introspection: {
        enabled: true,
        // Only clients marked in clients.json (the API gateway) see token contents.
        allowedPolicy: async (_ctx, client) => attributesOf(client).introspection_allowed === true,
      },
      resourceIndicators: {
        enabled: true,
        // Clients that omit `resource` get their first registered audience.
        defaultResource: async (_ctx, client, oneOf) => oneOf ?? attributesOf(client).audiences?.[0],
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator, client) => {
          const audience = (attributesOf(client).audiences ?? []).find((allowed) => sameAudience(allowed, resourceIndicator));
          if (!audience) throw new errors.InvalidTarget('the requested resource is not an audience of this client');
          return {
            scope: MCP_SCOPES.join(' '),
            audience,
            accessTokenTTL: accessTokenTtlOf(client),
            accessTokenFormat: 'opaque',
          };
        },
      },
    },

    // Tokens outlive the browser session; they expire on their own TTL.
    expiresWithSession: async () => false,
    // Refresh tokens are never issued (the policy's refresh_token_ttl is 0).
    issueRefreshToken: async () => false,

    ttl: {
      AccessToken: (_ctx, token, client) => token.resourceServer?.accessTokenTTL ?? accessTokenTtlOf(client),
      AuthorizationCode: LIFETIMES.authorizationCode,
      IdToken: LIFETIMES.idToken,
      Interaction: LIFETIMES.interaction,
      Session: LIFETIMES.session,
      Grant: LIFETIMES.grant,
    },

    findAccount: async (_ctx, sub) => {
      const user = users.find(sub);
      if (!user) return undefined;
      return { accountId: user.email, claims: async () => ({ sub: user.email, region: user.region }) };
    },

    extraTokenClaims: async (ctx, token) => {
      const carried = claimsOfExchangedToken(token);
      if (carried) return carried;
      if (token.kind !== 'AccessToken' || !('accountId' in token) || typeof token.accountId !== 'string') return undefined;
      const client = ctx?.oidc.client ?? (token.clientId ? await ctx?.oidc.provider.Client.find(token.clientId) : undefined);
      const attributes = client ? attributesOf(client) : {};
      return opaqueTokenClaims({
        region: users.find(token.accountId)?.region,
        client_type: attributes.client_type,
        client_assurance_level: attributes.client_assurance_level,
        grantId: 'grantId' in token && typeof token.grantId === 'string' ? token.grantId : undefined,
        tokenId: randomUUID(),
      });
    },

    interactions: {
      url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
    },

    // Browser-based MCP clients (MCP Inspector) call the token endpoint from
    // the origin of their redirect URI.
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,

    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(out);
    },

    discovery: {
      client_id_metadata_document_supported: true,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      registration_endpoint_auth_methods_supported: [],
    },
  };

  const provider = new Provider(settings.issuer, configuration);
  // The gateway terminates TLS and forwards X-Forwarded-Proto/Host.
  provider.proxy = true;

  allowAnyLoopbackPort(provider.Client);
  registerTokenExchange(provider, {
    issuer: settings.issuer,
    publicJwks: settings.signingKeys.publicJwks,
    algorithm: SIGNING_ALGORITHM,
    subjectAudiences: settings.mcpAudiences,
    maximumLifetime: LIFETIMES.exchangedToken,
  });

  provider.use(formPostPolicy());
  provider.use(registeredScopeByDefault((clientId) => provider.Client.find(clientId)));
  provider.use(jsonNotFound());
  provider.use(unauthorizedClientErrors());
  provider.use(
    jwtIntrospection({ privateKey: settings.signingKeys.privateKey, kid: settings.signingKeys.kid, algorithm: SIGNING_ALGORITHM }),
  );
  logProviderEvents(provider, logger);
  return provider;
}


/**
 * The Curity Identity Server's endpoint paths, so that gateway routes and
 * service configuration are the same whichever authorization server runs.
 */
export const ISSUER_PATH = '/oauth/v2/oauth-anonymous';

export const ROUTES = {
  authorization: '/oauth/v2/oauth-authorize',
  token: '/oauth/v2/oauth-token',
  introspection: '/oauth/v2/oauth-introspect',
  jwks: `${ISSUER_PATH}/jwks`,
  // The seed's path. The Curity example repository also registers clients at
  // /oauth/v2/oauth-registration; metadata advertises the one served here.
  registration: '/token-service/oauth-registration',
} as const;

/** Where the login, one-time password and consent pages live (one interaction per path). */
export const INTERACTION_PATH = '/authn/interaction';
/** The pages' only asset (their CSP allows styles from this origin only). */
export const STYLESHEET_PATH = '/authn/assets/style.css';

const AUTHORIZATION_SERVER_METADATA = '/.well-known/oauth-authorization-server';
const OPENID_CONFIGURATION = '/.well-known/openid-configuration';

/**
 * Every discovery URL an MCP client may derive from the issuer (RFC 8414 §3.1
 * path insertion, OpenID Connect Discovery path appending, and the forms in
 * between), mapped to the route oidc-provider serves.
 */
export const DISCOVERY_ALIASES: Readonly<Record<string, string>> = {
  [`${AUTHORIZATION_SERVER_METADATA}${ISSUER_PATH}`]: AUTHORIZATION_SERVER_METADATA,
  [`${OPENID_CONFIGURATION}${ISSUER_PATH}`]: OPENID_CONFIGURATION,
  [`${ISSUER_PATH}${OPENID_CONFIGURATION}`]: OPENID_CONFIGURATION,
  [`${ISSUER_PATH}${AUTHORIZATION_SERVER_METADATA}`]: AUTHORIZATION_SERVER_METADATA,
};

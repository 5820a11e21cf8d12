import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * An in-memory OAuthClientProvider like a real MCP client's, except that the
 * "browser" step is a function: the tests sign in over HTTP (or with a real
 * browser) and hand back the redirect the authorization server produced.
 */
export interface RecordingProvider extends OAuthClientProvider {
  /** The authorization URL the SDK asked us to open, once it has. */
  readonly lastAuthorizationUrl: URL | undefined;
  readonly savedTokens: OAuthTokens | undefined;
  readonly savedClient: OAuthClientInformationMixed | undefined;
}

export interface ProviderOptions {
  redirectUrl: string;
  clientName?: string;
  clientMetadataUrl?: string;
  scope?: string;
}

export function createRecordingProvider(options: ProviderOptions): RecordingProvider {
  let client: OAuthClientInformationMixed | undefined;
  let tokens: OAuthTokens | undefined;
  let verifier: string | undefined;
  let authorizationUrl: URL | undefined;
  // Kept as a real client keeps it, so the SDK can check that the
  // authorization response comes from the server it discovered (SEP-2352).
  let discovery: OAuthDiscoveryState | undefined;

  const metadata: OAuthClientMetadata = {
    client_name: options.clientName ?? 'End-to-end test client',
    redirect_uris: [options.redirectUrl],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: options.scope ?? 'stocks/read',
  };

  return {
    get redirectUrl() {
      return options.redirectUrl;
    },
    ...(options.clientMetadataUrl ? { clientMetadataUrl: options.clientMetadataUrl } : {}),
    get clientMetadata() {
      return metadata;
    },
    clientInformation: () => client,
    saveClientInformation: (information) => {
      client = information;
    },
    tokens: () => tokens,
    saveTokens: (saved) => {
      tokens = saved;
    },
    redirectToAuthorization: (url) => {
      authorizationUrl = url;
    },
    saveCodeVerifier: (value) => {
      verifier = value;
    },
    codeVerifier: () => {
      if (!verifier) throw new Error('no code verifier saved');
      return verifier;
    },
    saveDiscoveryState: (state) => {
      discovery = state;
    },
    discoveryState: () => discovery,
    invalidateCredentials: (scope) => {
      if (scope === 'all' || scope === 'client') client = undefined;
      if (scope === 'all' || scope === 'tokens') tokens = undefined;
      if (scope === 'all' || scope === 'verifier') verifier = undefined;
      if (scope === 'all' || scope === 'discovery') discovery = undefined;
    },
    get lastAuthorizationUrl() {
      return authorizationUrl;
    },
    get savedTokens() {
      return tokens;
    },
    get savedClient() {
      return client;
    },
  };
}

import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import { InvalidClientError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Reporter } from '../report.ts';
import type { RegistrationKind, StateStore } from '../state/store.ts';
import { checkAuthorizationRequest } from './authorization-check.ts';
import { AuthorizationError, type CallbackServer } from './callback-server.ts';
import type { UrlOpener } from './browser.ts';

export interface ConsoleProviderOptions {
  serverUrl: string;
  store: StateStore;
  callback: CallbackServer;
  openUrl: UrlOpener;
  report: Reporter;
  clientName: string;
  /** A client ID metadata document URL to use instead of dynamic registration, where the server supports it. */
  clientMetadataUrl?: string;
  /** How long a sign-in may take before the client gives up. */
  signInTimeoutMs: number;
  /** Used for the authorization request check; the session passes its observed fetch. */
  fetch?: FetchLike;
  now?: () => number;
}

/** The SDK's provider interface plus what the session needs to finish a sign-in. */
export interface ConsoleOAuthProvider extends OAuthClientProvider {
  /**
   * The authorization code of the sign-in that `redirectToAuthorization`
   * started, once the browser comes back. Taken at most once.
   */
  takePendingSignIn(): Promise<string> | undefined;
  /** Gives up on a started sign-in (the session decided not to wait for it). */
  abandonPendingSignIn(reason: Error): void;
  /** Forgets the stored client registration, tokens and verifier, keeping nothing about the server. */
  forgetClient(): void;
}

/** Tokens are not sent in their last seconds: they could expire on the way. */
const EXPIRY_MARGIN_SECONDS = 30;

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/**
 * The token endpoint authentication to ask for. A console application cannot
 * keep a secret from its own user (RFC 8252 section 8.5), so it registers as
 * a public client where the server allows that; otherwise it asks for what the
 * server offers, as the seed's Curity deployment does with client_secret_post.
 */
function chooseTokenEndpointAuthMethod(supported: string[] | undefined): string {
  if (!supported) return 'client_secret_basic';
  for (const method of ['none', 'client_secret_post', 'client_secret_basic']) {
    if (supported.includes(method)) return method;
  }
  return supported[0] ?? 'client_secret_basic';
}

/**
 * An OAuthClientProvider for a console application: client registration,
 * tokens and PKCE verifier persist per MCP server in the state store;
 * discovery results are kept for the life of the process only, so a server
 * that moved is found again on the next run.
 */
export function createConsoleOAuthProvider(options: ConsoleProviderOptions): ConsoleOAuthProvider {
  const { serverUrl, store, callback, openUrl, report } = options;
  const now = options.now ?? (() => Date.now());
  const requestedMetadataUrl = options.clientMetadataUrl ? new URL(options.clientMetadataUrl) : undefined;
  // The SDK handles https metadata document URLs itself. A plain-http loopback
  // URL (the local profile's www.client.example) is refused by the SDK, so
  // this provider presents it as the client id on its own.
  const sdkMetadataUrl = requestedMetadataUrl && requestedMetadataUrl.protocol === 'https:' ? requestedMetadataUrl.href : undefined;
  const loopbackMetadataUrl = requestedMetadataUrl && isLoopbackHttp(requestedMetadataUrl) ? requestedMetadataUrl.href : undefined;

  let discovery: OAuthDiscoveryState | undefined;
  let pendingSignIn: Promise<string> | undefined;
  let expectedState: string | undefined;
  /** Set once this process registered a client: a refusal of that one is not "stale", it is an error. */
  let registeredNow = false;
  let announcedServer: string | undefined;

  const serverMetadata = () => discovery?.authorizationServerMetadata;
  const supportsMetadataDocuments = () => serverMetadata()?.client_id_metadata_document_supported === true;
  const wantedRegistration = (): RegistrationKind => (requestedMetadataUrl && supportsMetadataDocuments() ? 'metadata-document' : 'dynamic');

  const provider: ConsoleOAuthProvider = {
    get redirectUrl() {
      return callback.redirectUrl;
    },

    clientMetadataUrl: sdkMetadataUrl,

    get clientMetadata(): OAuthClientMetadata {
      const metadata: OAuthClientMetadata & { application_type: string } = {
        client_name: options.clientName,
        redirect_uris: [callback.redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: chooseTokenEndpointAuthMethod(serverMetadata()?.token_endpoint_auth_methods_supported),
        // A native client: authorization servers then accept the loopback
        // redirect on any port (RFC 8252 section 7.3), so the registration
        // survives a different --callback-port on the next run.
        application_type: 'native',
      };
      return metadata;
    },

    state() {
      expectedState = randomBytes(24).toString('base64url');
      return expectedState;
    },

    clientInformation(): OAuthClientInformationMixed | undefined {
      const stored = store.load(serverUrl);
      const wanted = wantedRegistration();
      if (requestedMetadataUrl && !supportsMetadataDocuments() && discovery) {
        report.debug('the authorization server does not advertise client ID metadata documents; using dynamic registration');
      }
      if (wanted === 'metadata-document') {
        if (stored.registration === 'metadata-document' && stored.clientInformation?.client_id === requestedMetadataUrl?.href) return stored.clientInformation;
        if (loopbackMetadataUrl) return { client_id: loopbackMetadataUrl };
        return undefined;
      }
      return stored.registration === 'dynamic' ? stored.clientInformation : undefined;
    },

    saveClientInformation(information) {
      const kind: RegistrationKind = information.client_id === requestedMetadataUrl?.href ? 'metadata-document' : 'dynamic';
      const previous = store.load(serverUrl).clientInformation?.client_id;
      store.update(serverUrl, (state) => ({ ...state, registration: kind, clientInformation: information }));
      if (previous === information.client_id) return;
      if (kind === 'metadata-document') {
        report.info(`Using the client ID metadata document ${information.client_id}`);
      } else {
        registeredNow = true;
        report.info(`Registered client ${information.client_id}`);
      }
    },

    tokens(): OAuthTokens | undefined {
      const { tokens } = store.load(serverUrl);
      if (!tokens) return undefined;
      const expired = tokens.expires_at !== undefined && tokens.expires_at - EXPIRY_MARGIN_SECONDS <= now() / 1000;
      // An expired token with a refresh token is still handed to the SDK, which refreshes it.
      if (expired && !tokens.refresh_token) return undefined;
      return tokens;
    },

    saveTokens(tokens) {
      const expiresAt = tokens.expires_in === undefined ? undefined : Math.floor(now() / 1000) + tokens.expires_in;
      store.update(serverUrl, (state) => ({ ...state, tokens: { ...tokens, ...(expiresAt === undefined ? {} : { expires_at: expiresAt }) } }));
    },

    async redirectToAuthorization(authorizationUrl) {
      const metadata = serverMetadata();
      const check = await checkAuthorizationRequest(authorizationUrl, callback.redirectUrl, options.fetch);
      if (check.kind === 'error-response') throw new AuthorizationError(check.error, check.description);
      if (check.kind === 'refused') {
        const detail = `HTTP ${check.status}${check.error ? `, ${check.error}` : ''}`;
        const stored = store.load(serverUrl);
        const staleRegistration = stored.registration === 'dynamic' && !registeredNow && (check.status === 400 || check.status === 401);
        if (staleRegistration) {
          report.info(`The authorization server no longer accepts the stored client registration (${detail}); registering again`);
          // The SDK answers invalid_client by invalidating the credentials and
          // running the flow once more, which registers a new client.
          throw new InvalidClientError(`The authorization endpoint refused the stored client (${detail})`);
        }
        throw new Error(`The authorization server refused the sign-in request (${detail})`);
      }

      const state = authorizationUrl.searchParams.get('state');
      if (!state || state !== expectedState) throw new Error('The authorization request lost its state parameter');
      if (!metadata) report.warn('The authorization server publishes no metadata, so the issuer of its response cannot be verified');
      const issuerRequired = (metadata as Record<string, unknown> | undefined)?.authorization_response_iss_parameter_supported === true;
      pendingSignIn = callback.expect({ state, issuer: metadata?.issuer, issuerRequired, timeoutMs: options.signInTimeoutMs });
      // The session picks this up after the SDK returns; until then a failure must not count as unhandled.
      pendingSignIn.catch(() => undefined);
      openUrl(authorizationUrl.href, (error) => callback.cancel(error));
    },

    saveCodeVerifier(codeVerifier) {
      store.update(serverUrl, (state) => ({ ...state, codeVerifier }));
    },

    codeVerifier() {
      const { codeVerifier } = store.load(serverUrl);
      if (!codeVerifier) throw new Error('No PKCE code verifier is stored for this sign-in; start the sign-in again');
      return codeVerifier;
    },

    invalidateCredentials(scope) {
      if (scope === 'discovery' || scope === 'all') discovery = undefined;
      if (scope === 'discovery') return;
      store.update(serverUrl, (state) => {
        const next = { ...state };
        if (scope === 'all' || scope === 'client') {
          delete next.clientInformation;
          delete next.registration;
        }
        if (scope === 'all' || scope === 'tokens') delete next.tokens;
        if (scope === 'all' || scope === 'verifier') delete next.codeVerifier;
        return next;
      });
      if (scope === 'all' || scope === 'client') registeredNow = false;
    },

    saveDiscoveryState(state) {
      discovery = state;
      const issuer = state.authorizationServerMetadata?.issuer ?? state.authorizationServerUrl;
      if (announcedServer !== issuer) {
        announcedServer = issuer;
        report.info(`Authorization server: ${issuer}`);
      }
    },

    discoveryState() {
      return discovery;
    },

    takePendingSignIn() {
      const taken = pendingSignIn;
      pendingSignIn = undefined;
      return taken;
    },

    abandonPendingSignIn(reason) {
      pendingSignIn = undefined;
      callback.cancel(reason);
    },

    forgetClient() {
      provider.invalidateCredentials?.('all');
    },
  };
  return provider;
}

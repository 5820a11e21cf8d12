import { randomBytes } from 'node:crypto';
import type {
  OAuthClientInformationContext,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import type { Reporter } from '../report.ts';
import type { RegistrationKind, StateStore } from '../state/store.ts';
import type { AuthorizationResponse, CallbackServer } from './callback-server.ts';
import type { UrlOpener } from './browser.ts';

/** Client credentials the user registered beforehand (the first choice of the MCP authorization specification). */
export interface PreRegisteredClient {
  client_id: string;
  client_secret?: string;
}

export interface ConsoleProviderOptions {
  serverUrl: string;
  store: StateStore;
  callback: CallbackServer;
  openUrl: UrlOpener;
  report: Reporter;
  clientName: string;
  /** A client ID metadata document URL to use instead of dynamic registration, where the server supports it. */
  clientMetadataUrl?: string;
  /** Credentials registered beforehand: used as they are, nothing is registered. */
  preRegistered?: PreRegisteredClient;
  /** How long a sign-in may take before the client gives up. */
  signInTimeoutMs: number;
  now?: () => number;
}

/** The SDK's provider interface plus what the session needs to finish a sign-in. */
export interface ConsoleOAuthProvider extends OAuthClientProvider {
  /**
   * The authorization code of the sign-in that `redirectToAuthorization`
   * started, once the browser comes back. Taken at most once.
   */
  takePendingSignIn(): Promise<AuthorizationResponse> | undefined;
  /** Gives up on a started sign-in (the session decided not to wait for it). */
  abandonPendingSignIn(reason: Error): void;
  /** Forgets the stored client registration, tokens and verifier, keeping nothing about the server. */
  forgetClient(): void;
  /** Whether the client in use was registered dynamically in an earlier run (so it may have gone stale). */
  usesStoredRegistration(): boolean;
  /**
   * Consulted before anyone is sent to the browser: a reason refuses the
   * sign-in (the session's bounds on step-up and retries), undefined allows it.
   */
  guardSignIn(guard: () => string | undefined): void;
  /** The issuer of the authorization server discovery found last, if any. */
  authorizationServerIssuer(): string | undefined;
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
  // Unknown yet (the SDK reads the client metadata before discovery): ask to be public.
  if (!supported) return 'none';
  for (const method of ['none', 'client_secret_post', 'client_secret_basic']) {
    if (supported.includes(method)) return method;
  }
  return supported[0] ?? 'client_secret_basic';
}

/**
 * An OAuthClientProvider for a console application: client registrations
 * persist per authorization server (issuer), tokens and the PKCE verifier per
 * MCP server, in the state store. Discovery results are kept in memory only,
 * and dropped on every 401 (see the session), so a resource that moved to
 * another authorization server is followed.
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

  const preRegistered = options.preRegistered;
  let discovery: OAuthDiscoveryState | undefined;
  /**
   * The last authorization server's token endpoint authentication methods.
   * Kept when discovery is dropped: the session retries a refused registration
   * once with what these allow.
   */
  let authMethodsSupported: string[] | undefined;
  let pendingSignIn: Promise<AuthorizationResponse> | undefined;
  let expectedState: string | undefined;
  /** Set once this process registered a client: a refusal of that one is not "stale", it is an error. */
  let registeredNow = false;
  let announcedServer: string | undefined;
  let signInGuard: () => string | undefined = () => undefined;

  const serverMetadata = () => discovery?.authorizationServerMetadata;
  /** The issuer the SDK names, else the one discovered: the key of the stored registration. */
  const issuerOf = (ctx?: OAuthClientInformationContext) => ctx?.issuer ?? serverMetadata()?.issuer;
  const supportsMetadataDocuments = () => serverMetadata()?.client_id_metadata_document_supported === true;
  const wantedRegistration = (): RegistrationKind => (requestedMetadataUrl && supportsMetadataDocuments() ? 'metadata-document' : 'dynamic');

  const provider: ConsoleOAuthProvider = {
    get redirectUrl() {
      return callback.redirectUrl;
    },

    clientMetadataUrl: preRegistered ? undefined : sdkMetadataUrl,

    get clientMetadata(): OAuthClientMetadata {
      const metadata: OAuthClientMetadata & { application_type: string } = {
        client_name: options.clientName,
        redirect_uris: [callback.redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: chooseTokenEndpointAuthMethod(serverMetadata()?.token_endpoint_auth_methods_supported ?? authMethodsSupported),
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

    clientInformation(ctx): StoredOAuthClientInformation | undefined {
      if (preRegistered) return preRegistered;
      const issuer = issuerOf(ctx);
      if (!issuer) return undefined;
      const stored = store.loadClient(issuer);
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

    saveClientInformation(information, ctx) {
      // The SDK stamps the issuer on credentials it is given; pre-registered ones come from the user each run.
      if (preRegistered) return;
      const issuer = issuerOf(ctx) ?? information.issuer;
      if (!issuer) throw new Error('The authorization server of this registration is unknown');
      const kind: RegistrationKind = information.client_id === requestedMetadataUrl?.href ? 'metadata-document' : 'dynamic';
      const previous = store.loadClient(issuer).clientInformation?.client_id;
      store.updateClient(issuer, (state) => ({ ...state, registration: kind, clientInformation: information }));
      if (previous === information.client_id) return;
      if (kind === 'metadata-document') {
        report.info(`Using the client ID metadata document ${information.client_id}`);
      } else {
        registeredNow = true;
        report.info(`Registered client ${information.client_id}`);
      }
    },

    tokens(ctx): StoredOAuthTokens | undefined {
      const { tokens, issuer } = store.load(serverUrl);
      if (!tokens) return undefined;
      // Tokens of another authorization server are worthless here (the resource moved).
      if (ctx && issuer && issuer !== ctx.issuer) return undefined;
      const expired = tokens.expires_at !== undefined && tokens.expires_at - EXPIRY_MARGIN_SECONDS <= now() / 1000;
      // An expired token with a refresh token is still handed to the SDK, which refreshes it.
      if (expired && !tokens.refresh_token) return undefined;
      return tokens;
    },

    saveTokens(tokens, ctx) {
      const expiresAt = tokens.expires_in === undefined ? undefined : Math.floor(now() / 1000) + tokens.expires_in;
      const issuer = issuerOf(ctx) ?? tokens.issuer;
      store.update(serverUrl, (state) => ({
        ...state,
        ...(issuer ? { issuer } : {}),
        tokens: { ...tokens, ...(expiresAt === undefined ? {} : { expires_at: expiresAt }) },
      }));
    },

    /**
     * The browser (or the URL command) is the only one to send the
     * authorization request: one request per sign-in, no login session left
     * behind by a probe. A stale registration shows up later, as invalid_client
     * at the token endpoint or in the authorization response.
     */
    async redirectToAuthorization(authorizationUrl) {
      const refusal = signInGuard();
      if (refusal) throw new Error(refusal);
      const metadata = serverMetadata();
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
      const issuer = serverMetadata()?.issuer;
      if (scope === 'discovery' || scope === 'all') discovery = undefined;
      if (scope === 'discovery') return;
      if ((scope === 'all' || scope === 'client') && issuer && !preRegistered) store.removeClient(issuer);
      store.update(serverUrl, (state) => {
        const next = { ...state };
        if (scope === 'all' || scope === 'tokens') delete next.tokens;
        if (scope === 'all' || scope === 'verifier') delete next.codeVerifier;
        return next;
      });
      if (scope === 'all' || scope === 'client') registeredNow = false;
    },

    saveDiscoveryState(state) {
      discovery = state;
      authMethodsSupported = state.authorizationServerMetadata?.token_endpoint_auth_methods_supported ?? authMethodsSupported;
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

    authorizationServerIssuer() {
      return serverMetadata()?.issuer;
    },

    guardSignIn(guard) {
      signInGuard = guard;
    },

    usesStoredRegistration() {
      const issuer = serverMetadata()?.issuer;
      return !preRegistered && !registeredNow && issuer !== undefined && store.loadClient(issuer).registration === 'dynamic';
    },
  };
  return provider;
}

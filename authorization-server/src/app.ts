import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type Provider from 'oidc-provider';
import { createLogger, errorFields, requestContext, type Logger } from '@mcp-demo/service-kit';
import { loadUserDirectory } from './accounts/users.ts';
import { createMetadataDocumentResolver, withMetadataDocuments } from './clients/metadata-documents.ts';
import { withUnusedRegistrationExpiry } from './clients/registration-lifetime.ts';
import { loadStaticClients } from './clients/static-clients.ts';
import { SERVICE_NAME, issuerOf, type Settings } from './config.ts';
import { createCsrfTokens } from './interactions/csrf.ts';
import { createOneTimePasswords } from './interactions/one-time-passwords.ts';
import { interactionRouter } from './interactions/router.ts';
import { securityHeaders } from './interactions/security-headers.ts';
import { loadCookieKeys } from './keys/cookie-keys.ts';
import { loadSigningKeys } from './keys/signing-keys.ts';
import { createOtpMailer } from './mail/otp-mailer.ts';
import { createProvider } from './provider/create-provider.ts';
import { discoveryAliases, pinPublicOrigin, registrationBodyLimit, registrationCors } from './provider/http-adapters.ts';
import { INTERACTION_PATH, STYLESHEET_PATH } from './provider/paths.ts';
import type { ModelStorage } from './storage/model-storage.ts';
import { openModelStorage } from './storage/open-storage.ts';
import { STYLESHEET } from './views/layout.ts';

export interface AuthorizationServer {
  /** The request handler: pass it to http.createServer or service-kit's listen. */
  app: Express;
  provider: Provider;
  issuer: string;
  logger: Logger;
  /** The store behind it (SQLite or PostgreSQL). */
  storage: ModelStorage;
  /** Stops timers and closes storage and the SMTP transport (call after the HTTP server closed). */
  close(): Promise<void>;
}

export interface AuthorizationServerOptions {
  logger?: Logger;
  /** Opens the store; default: the one the settings name (openModelStorage). Benchmarks pass a measuring wrapper. */
  openStorage?: (settings: Settings) => Promise<ModelStorage>;
}

const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Builds the authorization server: oidc-provider with the Curity-compatible
 * configuration, the login/consent pages, and the storage behind them.
 */
export async function createAuthorizationServer(settings: Settings, options: AuthorizationServerOptions = {}): Promise<AuthorizationServer> {
  const logger = options.logger ?? createLogger(SERVICE_NAME, settings.LOG_LEVEL);
  const openStore = (named: Settings) =>
    openModelStorage(named, {
      onConnectionError: (error) => logger.warn(errorFields(error), 'a database connection broke; the pool replaces it'),
    });
  const issuer = issuerOf(settings);

  const users = loadUserDirectory(settings.USERS_FILE);
  const staticClients = loadStaticClients(settings.CLIENTS_FILE, settings);
  if (!settings.DATABASE_URL) mkdirSync(settings.DATA_DIR, { recursive: true });
  const storage = await (options.openStorage ?? openStore)(settings);
  // Key files of an older single-node version are taken over by its SQLite store.
  const legacyFile = (name: string) => (settings.DATABASE_URL ? undefined : join(settings.DATA_DIR, name));
  const signingKeys = await loadSigningKeys(storage.shared, { legacyFile: legacyFile('signing-keys.json') });
  const cookieKeys = await loadCookieKeys(settings.COOKIE_KEYS, storage.shared, legacyFile('cookie-keys.json'));
  const metadataLimits = {
    maxClientNameLength: settings.REGISTRATION_MAX_CLIENT_NAME_LENGTH,
    maxListItems: settings.REGISTRATION_MAX_LIST_ITEMS,
    maxValueLength: settings.REGISTRATION_MAX_VALUE_LENGTH,
  };
  const metadataDocuments = createMetadataDocumentResolver({
    allowHttpLoopback: settings.CLIENT_METADATA_ALLOW_HTTP_LOOPBACK,
    privateOrigins: settings.CLIENT_METADATA_PRIVATE_ORIGINS,
    audiences: settings.MCP_AUDIENCES,
    limits: metadataLimits,
    minCacheSeconds: settings.CLIENT_METADATA_MIN_CACHE_SECONDS,
    maxCacheSeconds: settings.CLIENT_METADATA_MAX_CACHE_SECONDS,
    cacheEntries: settings.CLIENT_METADATA_CACHE_ENTRIES,
    onRejected: (clientId, reason) => logger.info({ clientId, reason }, 'client ID metadata document refused'),
  });
  const clientAdapter = () =>
    withMetadataDocuments(withUnusedRegistrationExpiry(storage.adapterFor('Client'), settings.UNUSED_REGISTRATION_TTL_SECONDS), metadataDocuments);

  const provider = createProvider({
    issuer,
    mcpAudiences: settings.MCP_AUDIENCES,
    metadataLimits,
    staticClients,
    users,
    signingKeys,
    cookieKeys,
    adapter: (model) => (model === 'Client' ? clientAdapter() : storage.adapterFor(model)),
    logger,
  });
  // A client that obtained an authorization code was used for a sign-in
  // (with or without a new login): its registration no longer expires unused.
  provider.on('authorization.success', (ctx: { oidc?: { client?: { clientId: string } } }) => {
    const clientId = ctx.oidc?.client?.clientId;
    if (clientId) {
      storage.keep('Client', clientId).catch((error: unknown) => logger.warn(errorFields(error), 'keeping a used registration failed'));
    }
  });
  // Static clients are validated lazily by oidc-provider; resolving them now
  // turns a broken clients.json into a start-up error instead of a 400 later.
  for (const client of staticClients) await provider.Client.find(String(client.client_id));

  const mailer = createOtpMailer({ host: settings.SMTP_HOST, port: settings.SMTP_PORT, from: settings.MAIL_FROM }, logger);
  const otp = createOneTimePasswords({
    store: storage.adapterFor('OneTimePassword'),
    counters: storage.counters,
    limits: {
      maxFailures: settings.OTP_MAX_FAILURES,
      failureWindowSeconds: settings.OTP_FAILURE_WINDOW_SECONDS,
      freeFailures: settings.OTP_FREE_FAILURES,
      failureDelaySeconds: settings.OTP_FAILURE_DELAY_SECONDS,
      maxFailureDelaySeconds: settings.OTP_MAX_FAILURE_DELAY_SECONDS,
      maxCodesPerAddress: settings.OTP_MAX_CODES_PER_ADDRESS,
      maxCodesPerInteraction: settings.OTP_MAX_CODES_PER_INTERACTION,
      codeWindowSeconds: settings.OTP_CODE_WINDOW_SECONDS,
    },
    secret: cookieKeys[0] as string,
    ttlSeconds: settings.OTP_TTL_SECONDS,
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(logger));
  app.use(pinPublicOrigin(settings.PUBLIC_BASE_URL));
  app.use(securityHeaders());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', issuer });
  });
  app.get(STYLESHEET_PATH, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('css').send(STYLESHEET);
  });
  app.use(
    INTERACTION_PATH,
    interactionRouter({
      provider,
      users,
      otp,
      mailer,
      csrf: createCsrfTokens(cookieKeys),
      otpTtlSeconds: settings.OTP_TTL_SECONDS,
    }),
  );
  app.use(discoveryAliases());
  app.use(registrationCors());
  app.use(registrationBodyLimit(settings.REGISTRATION_MAX_BODY_BYTES));
  // Everything else is oidc-provider's: metadata, JWKS, authorize, token,
  // introspection, registration. It parses its own request bodies.
  app.use(provider.callback());

  // Reads skip expired rows already; the sweep only keeps the tables small.
  // With several nodes each one sweeps: the DELETEs are idempotent.
  const sweep = () => storage.sweep().catch((error: unknown) => logger.warn(errorFields(error), 'removing expired entries failed'));
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();
  await sweep();

  logger.info(
    {
      issuer,
      store: storage.kind,
      ...(storage.kind === 'sqlite' ? { dataDir: settings.DATA_DIR } : {}),
      signingKey: signingKeys.kid,
      users: users.size,
      staticClients: staticClients.length,
    },
    'authorization server ready',
  );

  return {
    app,
    provider,
    issuer,
    logger,
    storage,
    close: async () => {
      clearInterval(sweeper);
      mailer.close();
      await storage.close();
    },
  };
}

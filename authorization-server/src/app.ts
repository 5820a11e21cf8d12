import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type Provider from 'oidc-provider';
import { createLogger, errorFields, requestContext, type Logger } from '@mcp-demo/service-kit';
import { loadUserDirectory } from './accounts/users.ts';
import { createMetadataDocumentResolver, withMetadataDocuments } from './clients/metadata-documents.ts';
import { withUnusedRegistrationExpiry } from './clients/registration-lifetime.ts';
import { loadStaticClients } from './clients/static-clients.ts';
import { SERVICE_NAME, issuerOf, type Config } from './config.ts';
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
import { openSqliteStorage } from './storage/sqlite-adapter.ts';
import { STYLESHEET } from './views/layout.ts';

export interface AuthorizationServer {
  /** The request handler: pass it to http.createServer or service-kit's listen. */
  app: Express;
  provider: Provider;
  issuer: string;
  logger: Logger;
  /** Stops timers and closes storage and the SMTP transport (call after the HTTP server closed). */
  close(): Promise<void>;
}

export interface AuthorizationServerOptions {
  logger?: Logger;
}

const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Builds the authorization server: oidc-provider with the Curity-compatible
 * configuration, the login/consent pages, and the storage behind them.
 */
export async function createAuthorizationServer(config: Config, options: AuthorizationServerOptions = {}): Promise<AuthorizationServer> {
  const logger = options.logger ?? createLogger(SERVICE_NAME, config.LOG_LEVEL);
  const issuer = issuerOf(config);

  const users = loadUserDirectory(config.USERS_FILE);
  const staticClients = loadStaticClients(config.CLIENTS_FILE, config);
  mkdirSync(config.DATA_DIR, { recursive: true });
  const signingKeys = await loadSigningKeys(config.DATA_DIR);
  const cookieKeys = loadCookieKeys(config.COOKIE_KEYS, config.DATA_DIR);
  const storage = openSqliteStorage(join(config.DATA_DIR, 'authorization-server.sqlite'));
  const metadataLimits = {
    maxClientNameLength: config.REGISTRATION_MAX_CLIENT_NAME_LENGTH,
    maxListItems: config.REGISTRATION_MAX_LIST_ITEMS,
    maxValueLength: config.REGISTRATION_MAX_VALUE_LENGTH,
  };
  const metadataDocuments = createMetadataDocumentResolver({
    allowHttpLoopback: config.CLIENT_METADATA_ALLOW_HTTP_LOOPBACK,
    privateOrigins: config.CLIENT_METADATA_PRIVATE_ORIGINS,
    audiences: config.MCP_AUDIENCES,
    limits: metadataLimits,
    minCacheSeconds: config.CLIENT_METADATA_MIN_CACHE_SECONDS,
    maxCacheSeconds: config.CLIENT_METADATA_MAX_CACHE_SECONDS,
    cacheEntries: config.CLIENT_METADATA_CACHE_ENTRIES,
    onRejected: (clientId, reason) => logger.info({ clientId, reason }, 'client ID metadata document refused'),
  });
  const clientAdapter = () =>
    withMetadataDocuments(withUnusedRegistrationExpiry(storage.adapterFor('Client'), config.UNUSED_REGISTRATION_TTL_SECONDS), metadataDocuments);

  const provider = createProvider({
    issuer,
    mcpAudiences: config.MCP_AUDIENCES,
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
    if (clientId) storage.keep('Client', clientId);
  });
  // Static clients are validated lazily by oidc-provider; resolving them now
  // turns a broken clients.json into a start-up error instead of a 400 later.
  for (const client of staticClients) await provider.Client.find(String(client.client_id));

  const mailer = createOtpMailer({ host: config.SMTP_HOST, port: config.SMTP_PORT, from: config.MAIL_FROM }, logger);
  const otp = createOneTimePasswords({
    store: storage.adapterFor('OneTimePassword'),
    counters: storage.counters,
    limits: {
      maxFailures: config.OTP_MAX_FAILURES,
      failureWindowSeconds: config.OTP_FAILURE_WINDOW_SECONDS,
      freeFailures: config.OTP_FREE_FAILURES,
      failureDelaySeconds: config.OTP_FAILURE_DELAY_SECONDS,
      maxFailureDelaySeconds: config.OTP_MAX_FAILURE_DELAY_SECONDS,
      maxCodesPerAddress: config.OTP_MAX_CODES_PER_ADDRESS,
      maxCodesPerInteraction: config.OTP_MAX_CODES_PER_INTERACTION,
      codeWindowSeconds: config.OTP_CODE_WINDOW_SECONDS,
    },
    secret: cookieKeys[0] as string,
    ttlSeconds: config.OTP_TTL_SECONDS,
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(logger));
  app.use(pinPublicOrigin(config.PUBLIC_BASE_URL));
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
      otpTtlSeconds: config.OTP_TTL_SECONDS,
    }),
  );
  app.use(discoveryAliases());
  app.use(registrationCors());
  app.use(registrationBodyLimit(config.REGISTRATION_MAX_BODY_BYTES));
  // Everything else is oidc-provider's: metadata, JWKS, authorize, token,
  // introspection, registration. It parses its own request bodies.
  app.use(provider.callback());

  const sweeper = setInterval(() => {
    try {
      storage.sweep();
    } catch (error) {
      logger.warn(errorFields(error), 'removing expired entries failed');
    }
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  storage.sweep();

  logger.info({ issuer, dataDir: config.DATA_DIR, users: users.size, staticClients: staticClients.length }, 'authorization server ready');

  return {
    app,
    provider,
    issuer,
    logger,
    close: async () => {
      clearInterval(sweeper);
      mailer.close();
      storage.close();
    },
  };
}

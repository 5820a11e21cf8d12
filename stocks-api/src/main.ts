import { accessTokenPolicyOf, createAccessTokenVerifier, remoteKeySet } from '@mcp-demo/access-token';
import { createLogger, listen, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { createApp } from './app.ts';
import { loadSettings, SERVICE_NAME } from './config.ts';
import { loadCatalogue } from './domain/catalogue.ts';

runMain(SERVICE_NAME, async () => {
  const settings = loadSettings();
  const logger = createLogger(SERVICE_NAME, settings.LOG_LEVEL);
  const stocks = await loadCatalogue(settings.STOCKS_DATA_FILE);
  const verifier = createAccessTokenVerifier(
    accessTokenPolicyOf(settings),
    // Keys are fetched on the first request, so the API can start before the
    // authorization server is up.
    remoteKeySet(settings.JWKS_URI),
  );
  const app = createApp({ verifier, requiredScope: settings.REQUIRED_SCOPE, stocks, logger });
  const running = await listen(app, settings.PORT, settings.HOST);
  shutdownOnSignals(running, logger);
  logger.info(
    { url: running.url, issuer: settings.ISSUER, audience: settings.AUDIENCE, stocks: stocks.length },
    'stocks API listening',
  );
});

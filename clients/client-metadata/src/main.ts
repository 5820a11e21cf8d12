import { createLogger, listen, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { createApp } from './app.ts';
import { loadSettings, SERVICE_NAME } from './config.ts';
import { loadDocuments } from './documents.ts';

runMain(SERVICE_NAME, async () => {
  const settings = loadSettings();
  const logger = createLogger(SERVICE_NAME, settings.LOG_LEVEL);
  const documents = loadDocuments(settings.DOCUMENTS_FILE, settings.PUBLIC_BASE_URL);
  const app = createApp({ documents, logger, cacheMaxAgeSeconds: settings.CACHE_MAX_AGE_SECONDS });
  const running = await listen(app, settings.PORT, settings.HOST);
  shutdownOnSignals(running, logger);
  logger.info({ url: running.url, documents: [...documents.values()].map((document) => document.client_id) }, 'client metadata documents served');
});

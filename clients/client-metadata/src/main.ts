import { createLogger, listen, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { createApp } from './app.ts';
import { readConfig } from './config.ts';
import { loadDocuments } from './documents.ts';

runMain('client-metadata', async () => {
  const config = readConfig();
  const logger = createLogger('client-metadata', config.LOG_LEVEL);
  const documents = loadDocuments(config.DOCUMENTS_FILE, config.PUBLIC_BASE_URL);
  const app = createApp({ documents, logger, cacheMaxAgeSeconds: config.CACHE_MAX_AGE_SECONDS });
  const running = await listen(app, config.PORT, config.HOST);
  shutdownOnSignals(running, logger);
  logger.info({ url: running.url, documents: [...documents.values()].map((document) => document.client_id) }, 'client metadata documents served');
});

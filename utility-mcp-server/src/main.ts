import { createLogger, listen, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { createApp } from './app.ts';
import { authorizationServerOf, loadSettings, resourceOf, SERVICE_NAME } from './config.ts';
import { createServices } from './services.ts';

runMain(SERVICE_NAME, async () => {
  const settings = loadSettings();
  const logger = createLogger(SERVICE_NAME, settings.LOG_LEVEL);
  const services = createServices(settings, logger);
  const running = await listen(createApp({ settings, logger, ...services }), settings.PORT, settings.HOST);
  logger.info({ url: running.url, resource: resourceOf(settings), authorizationServer: authorizationServerOf(settings) }, 'MCP server listening');
  shutdownOnSignals(running, logger, 10_000, services.close);
});

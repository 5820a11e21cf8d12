import { createLogger, listen, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { createApp } from './app.ts';
import { readConfig, SERVICE_NAME } from './config.ts';
import { createServices } from './services.ts';

runMain(SERVICE_NAME, async () => {
  const config = readConfig();
  const logger = createLogger(SERVICE_NAME, config.logLevel);
  const services = createServices(config, logger);
  const running = await listen(createApp({ config, logger, ...services }), config.port, config.host);
  logger.info({ url: running.url, resource: config.resource, authorizationServer: config.authorizationServer }, 'MCP server listening');
  shutdownOnSignals(running, logger, 10_000, services.close);
});

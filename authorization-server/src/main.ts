import { listen, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { createAuthorizationServer } from './app.ts';
import { SERVICE_NAME, loadSettings } from './config.ts';

runMain(SERVICE_NAME, async () => {
  const settings = loadSettings();
  const server = await createAuthorizationServer(settings);
  const running = await listen(server.app, settings.PORT, settings.HOST);
  server.logger.info({ url: running.url, issuer: server.issuer }, 'listening');
  shutdownOnSignals(running, server.logger, 10_000, server.close);
});

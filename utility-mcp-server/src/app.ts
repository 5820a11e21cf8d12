import express, { type Express } from 'express';
import { errorHandler, healthCheck, notFound, requestContext, type Logger } from '@mcp-demo/service-kit';
import type { Settings } from './config.ts';
import { mcpRoute } from './http/mcp-route.ts';
import { protectedResourceMetadataRoute } from './http/protected-resource-metadata.ts';
import type { Services } from './services.ts';

export interface AppDependencies extends Omit<Services, 'close'> {
  settings: Settings;
  logger: Logger;
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(deps.logger));
  app.get('/health', healthCheck());
  app.use(protectedResourceMetadataRoute(deps.settings));
  app.use(mcpRoute(deps));
  app.use(notFound());
  app.use(errorHandler());
  return app;
}

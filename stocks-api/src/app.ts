import express, { type Express } from 'express';
import { requireAccessToken, type AccessTokenVerifier } from '@mcp-demo/access-token';
import { errorHandler, healthCheck, notFound, requestContext, type Logger } from '@mcp-demo/service-kit';
import type { Stock } from './domain/catalogue.ts';
import { ordersRouter } from './routes/orders.ts';
import { stocksRouter } from './routes/stocks.ts';
import { requireRegion } from './security/region.ts';

export interface AppDependencies {
  verifier: AccessTokenVerifier;
  /** Scope every token must hold; also advertised in Bearer challenges. */
  requiredScope: string;
  stocks: readonly Stock[];
  logger: Logger;
}

/**
 * The stocks API. It is a plain OAuth resource server, not an MCP server, so
 * its challenges carry no resource_metadata. Everything but /health lives
 * under /stocks because the gateway forwards that path unchanged.
 */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Every answer under /stocks is no-store, so an ETag (a hash of each body) would never be used.
  app.disable('etag');
  app.use(requestContext(deps.logger));

  app.get('/health', healthCheck());

  app.use(
    '/stocks',
    (_req, res, next) => {
      // Answers depend on the caller's token; no shared cache may keep them.
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
    requireAccessToken(deps.verifier, { scope: deps.requiredScope }),
    requireRegion({ scope: deps.requiredScope }),
    stocksRouter(deps.stocks),
    ordersRouter(deps.stocks),
  );

  app.use(notFound());
  app.use(errorHandler());
  return app;
}

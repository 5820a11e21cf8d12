import express, { type Express } from 'express';
import type { Logger } from '@mcp-demo/service-kit';
import { errorHandler, notFound, requestContext } from '@mcp-demo/service-kit';
import type { DocumentSet } from './documents.ts';

export interface AppOptions {
  documents: DocumentSet;
  logger: Logger;
  cacheMaxAgeSeconds: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function createApp({ documents, logger, cacheMaxAgeSeconds }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'strong');
  app.use(requestContext(logger));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  app.get('/health', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok', documents: documents.size });
  });

  // The client_uri of the documents: a page that says what is hosted here.
  app.get('/', (_req, res) => {
    const items = [...documents.values()]
      .map((document) => `<li><a href="${escapeHtml(document.client_id)}">${escapeHtml(document.client_name)}</a></li>`)
      .join('');
    res.setHeader('Cache-Control', `public, max-age=${cacheMaxAgeSeconds}`);
    res.setHeader('Content-Security-Policy', "default-src 'none'");
    res
      .type('html')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MCP client metadata</title></head><body><h1>MCP client ID metadata documents</h1><ul>${items}</ul></body></html>`);
  });

  app.get('/:name', (req, res, next) => {
    const document = documents.get(`/${req.params.name}`);
    if (!document) {
      next();
      return;
    }
    res.setHeader('Cache-Control', `public, max-age=${cacheMaxAgeSeconds}`);
    res.json(document);
  });

  app.use(notFound());
  app.use(errorHandler());
  return app;
}

import { Router, type Request } from 'express';
import { sendError } from '@mcp-demo/service-kit';
import { mayReadInsights } from '../domain/ai-context.ts';
import { findStockInRegion, publicView, stocksInRegion, type Stock } from '../domain/catalogue.ts';
import { enforceClientRule } from '../security/client-rules.ts';

/**
 * The :id parameter. Express types it loosely once middleware precedes the
 * handler; anything but a plain string matches no stock.
 */
export function stockIdOf(req: Request): string {
  const id: unknown = req.params.id;
  return typeof id === 'string' ? id : '';
}

export const STOCK_NOT_FOUND = 'No stock with this id is available to you';

/** Read routes; mounted under /stocks behind token and region checks. */
export function stocksRouter(stocks: readonly Stock[]): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    const region = res.locals.region;
    res.json({ region, stocks: stocksInRegion(stocks, region).map(publicView) });
  });

  router.get('/:id', (req, res) => {
    const stock = findStockInRegion(stocks, stockIdOf(req), res.locals.region);
    if (!stock) {
      sendError(res, 404, 'not_found', STOCK_NOT_FOUND);
      return;
    }
    res.json(publicView(stock));
  });

  // The rule runs before the lookup so that a refused client learns nothing
  // about which ids exist.
  router.get('/:id/insights', enforceClientRule(mayReadInsights), (req, res) => {
    const stock = findStockInRegion(stocks, stockIdOf(req), res.locals.region);
    if (!stock) {
      sendError(res, 404, 'not_found', STOCK_NOT_FOUND);
      return;
    }
    res.json({ id: stock.id, symbol: stock.symbol, name: stock.name, insights: stock.insights });
  });

  return router;
}

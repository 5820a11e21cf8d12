import express, { Router } from 'express';
import { sendError } from '@mcp-demo/service-kit';
import { mayPlaceOrders } from '../domain/ai-context.ts';
import { findStockInRegion, type Stock } from '../domain/catalogue.ts';
import { acceptOrder, validateOrderRequest } from '../domain/orders.ts';
import { enforceClientRule } from '../security/client-rules.ts';
import { STOCK_NOT_FOUND, stockIdOf } from './stocks.ts';

/** The write operation; mounted under /stocks behind token and region checks. */
export function ordersRouter(stocks: readonly Stock[]): Router {
  const router = Router();

  // The body is parsed only after the caller is known to be allowed to
  // write, so refused and anonymous requests cost no parsing. Non-strict
  // parsing lets `null` or `42` reach the validator, which explains that an
  // object is expected instead of calling valid JSON invalid.
  const body = express.json({ limit: '16kb', strict: false });

  router.post('/:id/orders', enforceClientRule(mayPlaceOrders), body, (req, res) => {
    const stock = findStockInRegion(stocks, stockIdOf(req), res.locals.region);
    if (!stock) {
      sendError(res, 404, 'not_found', STOCK_NOT_FOUND);
      return;
    }
    const validation = validateOrderRequest(req.body);
    if (!validation.ok) {
      sendError(res, 400, 'invalid_request', validation.message);
      return;
    }
    const order = acceptOrder(stock, validation.request, res.locals.claims.sub);
    res.locals.log.info({ orderId: order.id, stockId: stock.id, side: order.side, quantity: order.quantity }, 'order accepted');
    res.status(202).json(order);
  });

  return router;
}

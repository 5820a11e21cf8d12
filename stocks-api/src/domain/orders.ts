import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Stock } from './catalogue.ts';

export const MAX_ORDER_QUANTITY = 1_000_000;

/** Unknown fields are rejected so a misspelt option is never silently ignored. */
export const orderRequestSchema = z.strictObject({
  side: z.enum(['buy', 'sell'], { error: 'must be "buy" or "sell"' }),
  quantity: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_ORDER_QUANTITY, { error: `must be at most ${MAX_ORDER_QUANTITY}` }),
  limitPrice: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).optional(),
});

export type OrderRequest = z.output<typeof orderRequestSchema>;

export interface Order {
  id: string;
  stockId: string;
  symbol: string;
  side: OrderRequest['side'];
  quantity: number;
  limitPrice?: number;
  currency: string;
  status: 'accepted';
  placedBy: string;
  placedAt: string;
}

export type OrderValidation = { ok: true; request: OrderRequest } | { ok: false; message: string };

/** Turns zod's issues into one sentence that names each bad field. */
export function validateOrderRequest(body: unknown): OrderValidation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'The request body must be a JSON object' };
  }
  const parsed = orderRequestSchema.safeParse(body);
  if (parsed.success) return { ok: true, request: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
    const field = issue.path.map(String).join('.');
    const absent = issue.code === 'invalid_type' && (body as Record<string, unknown>)[field] === undefined;
    const detail = absent ? 'is required' : issue.message;
    return `${field} ${detail}`;
  });
  return { ok: false, message: `Invalid order: ${problems.join('; ')}` };
}

/**
 * The demo has no order book: an order is checked and acknowledged, nothing
 * is stored or executed.
 */
export function acceptOrder(stock: Stock, request: OrderRequest, placedBy: string, now: Date = new Date()): Order {
  return {
    id: randomUUID(),
    stockId: stock.id,
    symbol: stock.symbol,
    side: request.side,
    quantity: request.quantity,
    ...(request.limitPrice === undefined ? {} : { limitPrice: request.limitPrice }),
    currency: stock.currency,
    status: 'accepted',
    placedBy,
    placedAt: now.toISOString(),
  };
}

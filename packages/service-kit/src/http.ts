import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { logRequestCompleted, pathOf, requestIdOf } from './access-log.ts';
import { errorFields } from './logger.ts';

/** An error whose status, code and message are safe to show to a client. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export interface ErrorBody {
  code: string;
  message: string;
}

export function sendError(res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).json({ code, message } satisfies ErrorBody);
}

declare module 'express-serve-static-core' {
  interface Locals {
    requestId: string;
    log: Logger;
  }
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane, so a
 * request can be followed across the gateway and services), a child logger,
 * and one access log line when the response finishes. Only the path is logged:
 * query strings can carry authorization codes.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdOf(req.headers['x-request-id']);
    const startedAt = performance.now();
    // Captured now: routers rewrite req.url while they run.
    const path = pathOf(req.originalUrl);
    const log = logger.child({ requestId });
    res.locals.requestId = requestId;
    res.locals.log = log;
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => logRequestCompleted(log, { method: req.method, path, status: res.statusCode, startedAt }));
    next();
  };
}

/**
 * GET /health: liveness only. An upstream that is down (the authorization
 * server, an API) shows in the answers that need it, not here, so that an
 * orchestrator does not restart a healthy process for someone else's outage.
 */
export function healthCheck(): RequestHandler {
  return (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  };
}

export function notFound(): RequestHandler {
  return (_req, res) => sendError(res, 404, 'not_found', 'The requested resource does not exist');
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/**
 * Last handler of every app: known errors keep their status and message,
 * body-parser errors become 400/413, anything else is logged (without its
 * stack) and answered with a generic 500 so no internal detail leaks.
 */
export function errorHandler(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof HttpError) {
      sendError(res, error.status, error.code, error.message, error.headers);
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError?.type === 'entity.parse.failed') {
      sendError(res, 400, 'invalid_request', 'The request body is not valid JSON');
      return;
    }
    if (parserError?.type === 'entity.too.large') {
      sendError(res, 413, 'payload_too_large', 'The request body is too large');
      return;
    }
    const status = parserError?.status ?? parserError?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, status, 'invalid_request', 'The request could not be processed');
      return;
    }
    (res.locals.log ?? console).error(errorFields(error), 'unhandled error');
    sendError(res, 500, 'server_error', 'An unexpected error occurred');
  };
}

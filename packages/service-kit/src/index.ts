export { ConfigurationError, env, loadConfig } from './config.ts';
export { createLogger, errorFields, type Logger } from './logger.ts';
export { errorHandler, healthCheck, HttpError, notFound, requestContext, sendError, type ErrorBody } from './http.ts';
export { endWithThisProcess, listen, runMain, shutdownOnSignals, type Closable, type RunningServer } from './lifecycle.ts';
export { logRequestCompleted, pathOf, requestIdOf, type AccessLogFields } from './access-log.ts';

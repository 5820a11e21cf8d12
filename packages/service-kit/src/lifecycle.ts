import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';

export interface RunningServer {
  server: Server;
  /** The base URL the server actually listens on (useful with port 0). */
  url: string;
  port: number;
  close: () => Promise<void>;
}

/**
 * Starts an HTTP server and resolves once it listens. A taken port rejects
 * with a message that names it instead of an unhandled 'error' event.
 */
export function listen(handler: RequestListener, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const server = createServer(handler);
  // Keep-alive sockets from a gateway outlive single requests; make sure the
  // server side does not close them just before the client reuses them.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`port ${port} on ${host} is already in use`));
      else reject(error);
    });
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        server,
        port: address.port,
        url: `http://${hostPart}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/**
 * Closes the server on SIGTERM/SIGINT, letting in-flight requests finish for
 * up to `graceMs`, then exits. Returns a function that removes the handlers.
 */
export function shutdownOnSignals(running: RunningServer, logger: Logger, graceMs = 10_000, cleanup?: () => Promise<void>): () => void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn('graceful shutdown timed out, closing remaining connections');
      running.server.closeAllConnections();
    }, graceMs);
    force.unref();
    running
      .close()
      .then(() => cleanup?.())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  };
}

/**
 * Runs a service's main function: prints configuration problems plainly
 * (without a stack trace) and exits non-zero on any start-up failure.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${service} failed to start: ${message}\n`);
    process.exit(1);
  });
}

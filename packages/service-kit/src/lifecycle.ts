import type { ChildProcess } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { errorFields } from './logger.ts';

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
  let closing = false;
  // close() ends the connections that are idle at that moment. One still
  // busy with a request would stay open after its response, until the client
  // or the grace period gives up, so it is closed as soon as it turns idle.
  server.on('request', (_req, res) => {
    res.on('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
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
            closing = true;
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/**
 * What `shutdownOnSignals` stops: a server started by `listen`, or anything
 * else that can be closed (the local launcher passes its whole deployment).
 */
export interface Closable {
  close(): Promise<void>;
  /** When given, its connections still open after the grace period are closed. */
  server?: Server;
}

/**
 * Closes the server on SIGTERM/SIGINT, letting in-flight requests finish for
 * up to `graceMs`, then exits (0, or 1 when closing failed). Returns a
 * function that removes the handlers.
 */
export function shutdownOnSignals(running: Closable, logger: Logger, graceMs = 10_000, cleanup?: () => Promise<void>): () => void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const { server } = running;
    if (server) {
      const force = setTimeout(() => {
        logger.warn('graceful shutdown timed out, closing remaining connections');
        server.closeAllConnections();
      }, graceMs);
      force.unref();
    }
    running
      .close()
      .then(() => cleanup?.())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error(errorFields(error), 'error during shutdown');
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
    // A ConfigurationError already starts with the service name; say it once.
    const reason = message.startsWith(`${service}: `) ? message.slice(service.length + 2) : message;
    process.stderr.write(`${service} failed to start: ${reason}\n`);
    process.exit(1);
  });
}

/** Child processes that end with this one, with the signal each gets. */
const endingWithThisProcess = new Map<ChildProcess, NodeJS.Signals>();

function signalChildrenAtExit(): void {
  for (const [child, signal] of endingWithThisProcess) child.kill(signal);
}

/**
 * Sends `signal` to `child` when this process exits, unless the child ended
 * first. 'exit' comes after a crash too (an uncaught exception or
 * rejection), so children do not outlive a parent that failed; only a
 * SIGKILL of this process skips it.
 */
export function endWithThisProcess(child: ChildProcess, signal: NodeJS.Signals): void {
  if (endingWithThisProcess.size === 0) process.once('exit', signalChildrenAtExit);
  endingWithThisProcess.set(child, signal);
  child.once('exit', () => {
    endingWithThisProcess.delete(child);
    if (endingWithThisProcess.size === 0) process.off('exit', signalChildrenAtExit);
  });
}

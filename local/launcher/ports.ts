import { createServer, type Server } from 'node:net';

function bind(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));

/**
 * Fails fast, before anything starts, when a port is taken: a half-started
 * stack whose last service cannot bind is harder to understand than a clear
 * message naming the port and its owner-to-be.
 */
export async function assertPortsFree(ports: Array<{ port: number; purpose: string }>, host = '127.0.0.1'): Promise<void> {
  for (const { port, purpose } of ports) {
    try {
      await close(await bind(port, host));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${code ?? 'unknown error'})`;
      throw new Error(`port ${port} on ${host} (${purpose}) ${reason}; stop whatever holds it or choose another port`);
    }
  }
}

/**
 * Picks `count` distinct free ports by binding them all at once and releasing
 * them. Another process could grab one in between; tests accept that small risk.
 */
export async function pickFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => bind(0, host)));
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('could not read a bound port');
    return address.port;
  });
  await Promise.all(servers.map(close));
  return ports;
}

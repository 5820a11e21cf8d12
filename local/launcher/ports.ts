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
 * The Fetch standard's "bad ports" (fetch.spec.whatwg.org, "block bad port"),
 * as Node's fetch (undici, lib/web/fetch/constants.js) refuses them: a
 * service on one of these could never be reached by the health checks, the
 * gateway's clients or the MCP clients, so the launcher refuses them up front.
 */
const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113,
  115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556,
  563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667,
  6668, 6669, 6679, 6697, 10080,
]);

/** Refuses, naming the setting, an HTTP port that fetch clients refuse to connect to. */
export function assertFetchablePorts(ports: Array<{ port: number; purpose: string }>): void {
  const bad = ports.filter(({ port }) => FETCH_BAD_PORTS.has(port));
  if (bad.length === 0) return;
  const list = bad.map(({ port, purpose }) => `${port} (${purpose})`).join(', ');
  throw new Error(`port ${list} is one that fetch clients refuse to connect to (the Fetch standard's "bad ports"); choose another port`);
}

/** Refuses two uses of one port (a replica's port landing on another service's, say), naming both. */
export function assertPortsDistinct(ports: Array<{ port: number; purpose: string }>): void {
  const seen = new Map<number, string>();
  for (const { port, purpose } of ports) {
    const other = seen.get(port);
    if (other) throw new Error(`port ${port} is given twice: to ${other} and to ${purpose}`);
    seen.set(port, purpose);
  }
}

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

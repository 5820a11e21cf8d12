import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CannedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer: the request hangs until the server closes. */
  hang?: boolean;
}

export interface CannedServer {
  url: string;
  /** The next answer; the same one is given until changed. */
  answer: CannedAnswer;
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  /** TCP connections accepted so far: shows whether a client reuses them. */
  readonly connections: number;
  close(): Promise<void>;
}

/** An HTTP server that records requests and gives whatever answer the test sets. */
export async function startCannedServer(answer: CannedAnswer): Promise<CannedServer> {
  const requests: CannedServer['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const current = canned.answer;
      if (current.hang) return;
      res.writeHead(current.status, { 'content-type': 'application/json', ...current.headers }).end(current.body ?? '');
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const canned: CannedServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answer,
    requests,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return canned;
}

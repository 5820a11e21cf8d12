import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthorizedProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Stands where an MCP client's OAuth layer would: adds `Authorization:
 * Bearer <token>` to every request and forwards it unchanged otherwise (Host
 * and Origin included, so the server's rebinding checks see what the suite
 * sent). The conformance suite has no option for a bearer token; the token
 * is a real one, verified by the real server.
 */
export async function startAuthorizedProxy(target: string, token: string, port = 0): Promise<AuthorizedProxy> {
  const upstream = new URL(target);
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const outgoing = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, authorization: `Bearer ${token}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(outgoing);
  };
  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny load balancer in front of the authorization server nodes: it sends
 * each request to the node `choose` names (round robin unless told
 * otherwise) and remembers which node served which request, so a test can
 * show that the steps of one sign-in landed on different nodes.
 */
export interface Front {
  url: string;
  /** Node names in the order they served requests, with each request's method and path. */
  served: { node: string; method: string; path: string }[];
  /** Round robin over every node (the default). */
  roundRobin(): void;
  /** Every request to one node. */
  pin(node: string): void;
  /** Takes a node out of the rotation (it was stopped), or puts one back. */
  setAvailable(node: string, available: boolean): void;
  close(): Promise<void>;
}

export async function startFront(nodes: Record<string, string>): Promise<Front> {
  const available = new Set(Object.keys(nodes));
  let pinned: string | undefined;
  let turn = 0;
  const served: Front['served'] = [];

  const choose = (): string => {
    if (pinned) return pinned;
    const names = Object.keys(nodes).filter((name) => available.has(name));
    const name = names[turn % names.length];
    turn += 1;
    if (!name) throw new Error('no node is available');
    return name;
  };

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const node = choose();
    const target = new URL(incoming.url ?? '/', nodes[node]);
    served.push({ node, method: incoming.method ?? 'GET', path: target.pathname });
    const upstream = request(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(outgoing);
    });
    upstream.on('error', (error) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`node ${node} did not answer: ${error.message}`);
    });
    incoming.pipe(upstream);
  };

  const server = createServer(forward);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    roundRobin: () => {
      pinned = undefined;
    },
    pin: (node) => {
      pinned = node;
    },
    setAvailable: (node, isAvailable) => {
      if (isAvailable) available.add(node);
      else available.delete(node);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The floor for one gateway hop: a node:http reverse proxy with nothing but
 * a keep-alive connection pool to one upstream. No routing, plugins or
 * logging. The benchmark runs it as its own process:
 *   node bench/bare-proxy.ts <upstream base URL>
 * and reads the port it listens on (127.0.0.1) from the first line of stdout.
 */
import { Agent, createServer, request } from 'node:http';
import { announceAndServe } from './server-process.ts';

const upstream = new URL(process.argv[2] ?? '');
if (upstream.protocol !== 'http:') {
  process.stderr.write('usage: node bench/bare-proxy.ts http://127.0.0.1:<port>\n');
  process.exit(2);
}
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

const server = createServer((incoming, outgoing) => {
  const headers = { ...incoming.headers, host: upstream.host };
  const forward = request(
    { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers, agent },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forward.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  incoming.pipe(forward);
});
announceAndServe(server, () => agent.destroy());

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mcp-demo/service-kit';
import { toolCallShape } from '../../bench/hops.ts';
import { runWrk, type RequestShape } from '../../bench/wrk.ts';
// GATEWAY_MODULE points at another copy of gateway/index.ts, to compare two versions on the same machine.
const { startGateway } = (await import(process.env.GATEWAY_MODULE ?? '../gateway/index.ts')) as typeof import('../gateway/index.ts');

/**
 * The gateway's CPU time per proxied request, on two routes measured in
 * every round: a trivial route with no plugins, and the MCP route as
 * kong/kong.yml configures it (CORS, phantom token with a remembered JWT,
 * scope requirements) carrying an MCP 2026-07-28 tools/call. The upstream,
 * a stand-in that answers a constant (and a JWT to introspection), runs in a
 * process of its own, the gateway in this process, wrk in a third. Prints
 * requests per second and the gateway's CPU (user + system) per request.
 *
 *   node local/bench/gateway-cpu.ts [seconds=10] [connections=16] [rounds=3]
 */

const [seconds = 10, connections = 16, rounds = 3] = process.argv.slice(2).map(Number);

const UPSTREAM = `
const payload = Buffer.from(JSON.stringify({ sub: 'bench', scope: 'stocks/read', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
const jwt = 'eyJhbGciOiJub25lIn0.' + payload + '.c2lnbmF0dXJl';
const stocks = JSON.stringify({ stocks: [{ id: 'acme-robotics', price: 101.5 }] });
const toolResult = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: stocks }] } });
require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url.startsWith('/oauth/')) {
      res.writeHead(200, { 'content-type': 'application/jwt', 'cache-control': 'max-age=3600' });
      res.end(jwt);
      return;
    }
    const body = req.method === 'POST' ? toolResult : stocks;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

async function startUpstream(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', UPSTREAM], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(line.toString().trim()) };
}

const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
const upstream = await startUpstream();
const config = join(dir, 'kong.yml');
// The MCP route's plugins as kong/kong.yml has them (its comments say why).
writeFileSync(
  config,
  `_format_version: "3.0"
services:
  - name: trivial
    url: http://trivial:8080
    routes:
      - name: trivial-route
        hosts: [bench.test]
        strip_path: false
  - name: utility-mcp-server
    url: http://utility-mcp-server:3000/
    routes:
      - name: mcp-server-route
        hosts: [mcp.demo.example]
        paths: [/]
        strip_path: false
        response_buffering: false
        plugins:
          - name: cors
            config:
              origins: [http://localhost:6274]
              methods: [GET, POST, DELETE, OPTIONS]
              headers: [Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID]
              exposed_headers: [WWW-Authenticate, Mcp-Session-Id]
              credentials: false
          - name: phantom-token
            config:
              introspection_endpoint: http://idsvr:8443/oauth/v2/oauth-introspect
              client_id: api-gateway-client
              client_secret: bench-secret
              token_cache_seconds: 60
              resource_metadata: https://mcp.demo.example/.well-known/oauth-protected-resource
              scope: stocks/read
              scope_requirements:
                - method: tools/call
                  name: place-order
                  scopes: [stocks/trade]
`,
);
const upstreamOrigin = `http://127.0.0.1:${upstream.port}`;
const gateway = await startGateway({
  kongConfigPath: config,
  virtualHosts: { 'bench.test': { port: 0 }, 'mcp.demo.example': { port: 0 } },
  upstreams: { 'trivial:8080': upstreamOrigin, 'utility-mcp-server:3000': upstreamOrigin, 'idsvr:8443': upstreamOrigin },
  // The access line is written as in production, to a file.
  logger: createLogger('gateway', 'info', join(dir, 'gateway.log')),
});
const routes: Array<[string, RequestShape]> = [
  ['trivial route', { url: `${gateway.urls['bench.test']}/stocks`, method: 'GET', headers: {} }],
  ['MCP route   ', toolCallShape(`${gateway.urls['mcp.demo.example']}/`, 'opaque-access-token-for-the-benchmark')],
];

console.log(`gateway CPU per request: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}, wrk -c${connections} -d${seconds}s, ${rounds} rounds`);
try {
  for (const [, shape] of routes) await runWrk(shape, connections, 2); // warm-up
  for (let round = 1; round <= rounds; round += 1) {
    for (const [name, shape] of routes) {
      const before = process.cpuUsage();
      const run = await runWrk(shape, connections, seconds);
      const used = process.cpuUsage(before);
      const cpuMs = (used.user + used.system) / 1000;
      console.log(
        `round ${round}, ${name}: ${Math.round(run.requestsPerSecond)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, ${run.failures} failed, gateway CPU ${(cpuMs / Math.max(1, run.requests)).toFixed(3)} ms/request`,
      );
    }
  }
} finally {
  await gateway.close();
  upstream.child.kill();
  rmSync(dir, { recursive: true, force: true });
}

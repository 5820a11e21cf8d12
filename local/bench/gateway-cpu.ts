import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mcp-demo/service-kit';
// GATEWAY_MODULE points at another copy of gateway/index.ts, to compare two versions on the same machine.
const { startGateway } = (await import(process.env.GATEWAY_MODULE ?? '../gateway/index.ts')) as typeof import('../gateway/index.ts');

/**
 * The gateway's CPU time per proxied request: a trivial JSON upstream in a
 * process of its own, the gateway in this process, wrk in a third. Prints
 * requests per second and the gateway's CPU (user + system) per request.
 *
 *   node local/bench/gateway-cpu.ts [seconds=10] [connections=16] [rounds=3]
 */

const [seconds = 10, connections = 16, rounds = 3] = process.argv.slice(2).map(Number);

const UPSTREAM = `
const body = JSON.stringify({ stocks: [{ id: 'acme-robotics', price: 101.5 }] });
require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

async function startUpstream(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', UPSTREAM], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(line.toString().trim()) };
}

function runWrk(url: string): Promise<{ requests: number; output: string }> {
  return new Promise((done, fail) => {
    const wrk = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    wrk.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    wrk.once('error', fail);
    wrk.once('exit', () => {
      const match = /(\d+) requests in/.exec(output);
      if (!match) fail(new Error(`wrk printed no request count:\n${output}`));
      else done({ requests: Number(match[1]), output });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
const upstream = await startUpstream();
const config = join(dir, 'kong.yml');
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
`,
);
const gateway = await startGateway({
  kongConfigPath: config,
  virtualHosts: { 'bench.test': { port: 0 } },
  upstreams: { 'trivial:8080': `http://127.0.0.1:${upstream.port}` },
  // The access line is written as in production, to a file.
  logger: createLogger('gateway', 'info', join(dir, 'gateway.log')),
});
const url = `${gateway.urls['bench.test']}/stocks`;

console.log(`gateway CPU per request: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}, wrk -c${connections} -d${seconds}s, ${rounds} rounds`);
try {
  await runWrk(url); // warm-up
  for (let round = 1; round <= rounds; round += 1) {
    const before = process.cpuUsage();
    const { requests, output } = await runWrk(url);
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    const p50 = /^\s+50%\s+(\S+)/m.exec(output)?.[1] ?? '?';
    console.log(`round ${round}: ${Math.round(requests / seconds)} req/s, p50 ${p50}, gateway CPU ${(cpuMs / requests).toFixed(3)} ms/request`);
  }
} finally {
  await gateway.close();
  upstream.child.kill();
  rmSync(dir, { recursive: true, force: true });
}

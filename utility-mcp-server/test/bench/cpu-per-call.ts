/**
 * CPU per request of the MCP server and of the stocks API, each measured as
 * its own process under load from wrk (its own process too):
 *
 *   1. GET /stocks straight at the stocks API with an API-audience JWT;
 *   2. tools/call fetch-stock-prices straight at the MCP server with an
 *      MCP-audience JWT (2026-07-28 revision), which verifies the token, takes
 *      the exchanged token from its cache and calls the stocks API.
 *
 * CPU comes from /proc/<pid>/stat (user + system time of the whole process,
 * every thread) before and after each run, divided by the requests wrk
 * completed. The token issuer (JWKS, token exchange) runs in this process and
 * is not counted. wrk, its script and the /proc readings are the ones of the
 * repository's bench/, so a tool call answering a tool error counts as an
 * error. A script that prints figures; it asserts nothing.
 *
 *   node_modules/.bin/node utility-mcp-server/test/bench/cpu-per-call.ts
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 BENCH_ROUNDS=3 LOG_LEVEL=info ...
 *
 * BENCH_API_TOKEN_CACHE and BENCH_MCP_TOKEN_CACHE set each service's
 * VERIFIED_TOKEN_CACHE_ENTRIES (0 checks every token's signature again), to
 * compare with and without the verified-claims cache.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestIssuer, unusedPort } from '@mcp-demo/testing';
import { toolCallShape } from '../../../bench/hops.ts';
import { median } from '../../../bench/measure.ts';
import { cpuMs } from '../../../bench/proc.ts';
import { runWrk, type LoadResult, type RequestShape } from '../../../bench/wrk.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LOG_LEVEL = process.env.LOG_LEVEL ?? 'info';
const MCP_AUDIENCE = 'http://127.0.0.1/mcp/';
const API_AUDIENCE = 'https://api.demo.example';
const CLAIMS = { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1 };

// BENCH_ROOT: another checkout of the repository (a git worktree of an older commit) to measure it the same way.
const root = process.env.BENCH_ROOT ?? resolve(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'mcp-cpu-bench-'));

function startService(name: string, main: string, env: Record<string, string>): ChildProcess {
  const log = openSync(join(work, `${name}.log`), 'w');
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each service when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF, name)}`] : [];
  // BENCH_NODE_FLAGS: extra Node flags for both services, e.g. a larger young generation.
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...flags, ...profile, main], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', log, log] });
}

async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not become healthy`);
}

const cpuMsOf = (pid: number) => cpuMs(pid) ?? Number.NaN;

async function measure(shape: RequestShape, pids: number[]): Promise<{ run: LoadResult; cpuMs: number[] }> {
  const before = pids.map(cpuMsOf);
  const run = await runWrk(shape, CONNECTIONS, SECONDS);
  const cpuMs = pids.map((pid, index) => (cpuMsOf(pid) - (before[index] ?? 0)) / Math.max(1, run.requests));
  return { run, cpuMs };
}

const issuer = await startTestIssuer({ exchangeSubjectAudience: MCP_AUDIENCE, exchangedTokenLifetime: 3600 });
const [apiPort, mcpPort] = [await unusedPort(), await unusedPort()];
const apiUrl = `http://127.0.0.1:${apiPort}`;
const mcpUrl = `http://127.0.0.1:${mcpPort}`;
const common = { ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri, LOG_LEVEL, HOST: '127.0.0.1' };
const tokenCache = (value: string | undefined): Record<string, string> => (value === undefined ? {} : { VERIFIED_TOKEN_CACHE_ENTRIES: value });
const api = startService('stocks-api', join(root, 'stocks-api/src/main.ts'), { ...common, ...tokenCache(process.env.BENCH_API_TOKEN_CACHE), PORT: String(apiPort) });
const mcp = startService('utility-mcp-server', join(root, 'utility-mcp-server/src/main.ts'), {
  ...common,
  ...tokenCache(process.env.BENCH_MCP_TOKEN_CACHE),
  PORT: String(mcpPort),
  EXTERNAL_BASE_URL: 'http://127.0.0.1/mcp',
  AUDIENCE: MCP_AUDIENCE,
  TOKEN_ENDPOINT: issuer.tokenEndpoint,
  CLIENT_SECRET: 'Password1', // the demo secret the test issuer accepts
  STOCKS_API_URL: apiUrl,
});

try {
  await Promise.all([waitForHealth(apiUrl), waitForHealth(mcpUrl)]);
  const apiToken = await issuer.mint(CLAIMS, { audience: API_AUDIENCE, expiresIn: 3600 });
  const mcpToken = await issuer.mint(CLAIMS, { audience: MCP_AUDIENCE, expiresIn: 3600 });

  // One call by hand first: the figures mean nothing unless the tool succeeds.
  const mcpShape = toolCallShape(`${mcpUrl}/`, mcpToken);
  const probe = await fetch(mcpShape.url, { method: mcpShape.method, headers: { ...mcpShape.headers, 'content-type': mcpShape.contentType ?? '' }, body: mcpShape.body });
  const probeText = await probe.text();
  if (probe.status !== 200 || !probeText.includes('acme-robotics') || probeText.includes('"isError":true')) {
    throw new Error(`the probe tool call failed (${probe.status}): ${probeText.slice(0, 300)}`);
  }

  const apiShape: RequestShape = { url: `${apiUrl}/stocks`, method: 'GET', headers: { authorization: `Bearer ${apiToken}`, accept: 'application/json' } };
  const pids = [mcp.pid ?? 0, api.pid ?? 0];

  process.stdout.write(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} rounds, LOG_LEVEL=${LOG_LEVEL}, verified token cache API ${process.env.BENCH_API_TOKEN_CACHE ?? 'default'} MCP ${process.env.BENCH_MCP_TOKEN_CACHE ?? 'default'}\n`,
  );
  // Warm-up: JIT, JWKS fetch, the one token exchange, keep-alive pools.
  await runWrk(apiShape, CONNECTIONS, 2);
  await runWrk(mcpShape, CONNECTIONS, 2);

  const format = (value: number, digits = 3) => value.toFixed(digits);
  const figures = { mcp: [] as number[], apiDirect: [] as number[], apiInChain: [] as number[] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    const direct = await measure(apiShape, pids);
    const tool = await measure(mcpShape, pids);
    const apiPerRequest = direct.cpuMs[1] ?? NaN;
    const mcpPerCall = tool.cpuMs[0] ?? NaN;
    figures.mcp.push(mcpPerCall);
    figures.apiDirect.push(apiPerRequest);
    figures.apiInChain.push(tool.cpuMs[1] ?? NaN);
    process.stdout.write(
      [
        `round ${round}:`,
        `  direct API   ${format(direct.run.requestsPerSecond, 0)} req/s, p50 ${format(direct.run.p50Ms, 2)} ms, errors ${direct.run.failures}, API CPU ${format(apiPerRequest)} ms/req`,
        `  MCP direct   ${format(tool.run.requestsPerSecond, 0)} req/s, p50 ${format(tool.run.p50Ms, 2)} ms, errors ${tool.run.failures}, MCP CPU ${format(mcpPerCall)} ms/call, API CPU ${format(tool.cpuMs[1] ?? NaN)} ms/call`,
        `  MCP CPU per tools/call / API CPU per direct request: ${format(mcpPerCall / apiPerRequest, 2)}; / API CPU per request in the same run: ${format(mcpPerCall / (tool.cpuMs[1] ?? NaN), 2)} (target <= 2)`,
        '',
      ].join('\n'),
    );
  }
  // Other work on the machine only ever adds CPU time, so the median and the least of the rounds are both shown.
  const least = (values: number[]) => Math.min(...values);
  for (const [label, pick] of [['median', median], ['least', least]] as const) {
    const mcp = pick(figures.mcp);
    const apiDirect = pick(figures.apiDirect);
    const apiInChain = pick(figures.apiInChain);
    process.stdout.write(
      `${label} of ${ROUNDS} rounds: MCP ${format(mcp)} ms/call, API ${format(apiDirect)} ms/req direct and ${format(apiInChain)} ms/req in the chain; MCP/API direct ${format(mcp / apiDirect, 2)}, MCP/API in the chain ${format(mcp / apiInChain, 2)}\n`,
    );
  }
  process.stdout.write(`token exchanges during the whole run: ${issuer.exchangeCount} (service logs in ${work})\n`);
} finally {
  mcp.kill('SIGTERM');
  api.kill('SIGTERM');
  await issuer.close();
}

/**
 * `npm run bench`: throughput and latency of the local profile, printed side
 * by side in one run on the same machine:
 *   (a) tools/call fetch-stock-prices through the gateway (phantom token),
 *       the MCP server (JWT check, token exchange cache) and the stocks API;
 *   (b) GET /stocks directly at the stocks API with a valid API JWT;
 * plus how many introspections and token exchanges 1,000 tool calls cost.
 * A script, not a test: it prints figures and asserts nothing about speed.
 */
import { cpus, totalmem } from 'node:os';
import { startStack } from '../test/e2e/support/stack.ts';
import { connectWithSignIn } from '../test/e2e/support/mcp-session.ts';

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP = 100;
const DEMO_SECRET = 'Password1'; // demo value, as the launcher's default

interface Result {
  label: string;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  failures: number;
}

async function drive(label: string, total: number, concurrency: number, send: () => Promise<boolean>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const begin = performance.now();
        const ok = await send().catch(() => false);
        latencies.push(performance.now() - begin);
        if (!ok) failures += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { label, requests: total, seconds, p50: at(0.5), p99: at(0.99), failures };
}

function form(values: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(values).toString() };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function main(): Promise<void> {
  process.stdout.write('Starting the local profile on free ports...\n');
  const stack = await startStack();
  try {
    const counts = () => ({
      introspections: stack.logLines('authorization-server').filter((l) => l.msg === 'request completed' && l.path === '/oauth/v2/oauth-introspect').length,
      exchanges: stack.logLines('utility-mcp-server').filter((l) => l.msg === 'token exchanged').length,
    });
    await stack.logsSettled();
    const before = counts();
    const session = await connectWithSignIn(stack.endpoints.external.mcp, { email: 'john.doe@demo.example', inbox: stack.endpoints.external.inbox });
    const opaque = session.provider.savedTokens?.access_token ?? '';
    await session.close();

    let id = 0;
    const toolCall = async () => {
      id += 1;
      const response = await fetch(stack.endpoints.external.mcp, {
        method: 'POST',
        headers: { authorization: `Bearer ${opaque}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'fetch-stock-prices', arguments: {} } }),
      });
      const body = (await response.json()) as { result?: { isError?: boolean } };
      return response.ok && body.result !== undefined && body.result.isError !== true;
    };
    const directApi = async () => {
      const response = await fetch(`${stack.endpoints.internal.stocksApi}/stocks`, { headers: { authorization: `Bearer ${apiJwt}` } });
      await response.arrayBuffer();
      return response.ok;
    };

    await drive('warm-up', WARMUP, CONCURRENCY, toolCall);
    const mcp = await drive('(a) tools/call via gateway + MCP server + exchange + API', TOTAL, CONCURRENCY, toolCall);
    // Everything this token cost since sign-in, the first calls included.
    await stack.logsSettled();
    const after = counts();
    const toolCalls = WARMUP + TOTAL;

    // An API-audience JWT for the direct measurement, obtained the way the
    // gateway and the MCP server obtain theirs: introspection, then exchange.
    const as = stack.endpoints.internal.authorizationServer;
    const introspected = await fetch(`${as}/oauth/v2/oauth-introspect`, {
      ...form({ token: opaque }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/jwt', authorization: basic('api-gateway-client', DEMO_SECRET) },
    });
    const mcpJwt = await introspected.text();
    const exchanged = await fetch(`${as}/oauth/v2/oauth-token`, {
      ...form({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: mcpJwt,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'https://api.demo.example',
      }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('mcp-server', DEMO_SECRET) },
    });
    const apiJwt = ((await exchanged.json()) as { access_token: string }).access_token;

    await drive('warm-up', WARMUP, CONCURRENCY, directApi);
    const api = await drive('(b) GET /stocks directly at the API with a JWT', TOTAL, CONCURRENCY, directApi);

    const row = (r: Result) =>
      `${r.label.padEnd(58)} ${String(Math.round(r.requests / r.seconds)).padStart(7)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${String(r.failures).padStart(8)}`;
    const per1000 = (n: number) => ((n * 1000) / toolCalls).toFixed(2);
    process.stdout.write(
      [
        '',
        `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
        `Load: ${TOTAL} requests per scenario, ${CONCURRENCY} concurrent, after ${WARMUP} warm-up requests`,
        '',
        `${'scenario'.padEnd(58)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'failed'.padStart(8)}`,
        row(mcp),
        row(api),
        '',
        `Per 1,000 tool calls with one token (${toolCalls} calls since sign-in): ${per1000(after.introspections - before.introspections)} introspections, ${per1000(after.exchanges - before.exchanges)} token exchanges`,
        '',
      ].join('\n'),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { loadKongConfig } from '../local/gateway/config.ts';
import { KONG_CONFIG_PATH } from '../local/topology/index.ts';
import { startBareProxy, startSdkFloor, type ServerProcess } from './server-process.ts';
import { startLaunchedProfile, type LaunchedProfile } from './launched-profile.ts';
import { measurePath, ROLE_LABELS, type ProcessMap, type Role } from './measure.ts';
import type { BenchOptions } from './options.ts';
import { rssBytes } from './proc.ts';
import { hopContext, hopTables, hopTargets, PATH_KEYS, PATH_LABELS, table, targetLines, type PathKey, type Round, type Target } from './report.ts';
import { callerTokens, signIn } from './tokens.ts';
import { runWrk, type LoadResult, type RequestShape } from './wrk.ts';

// A tools/call as an MCP 2026-07-28 client sends it: the revision, method and
// tool in headers (so the gateway's scope requirements need not read the
// body) and the client's details in the request's _meta.
const REVISION = '2026-07-28';
const TOOL_NAME = 'fetch-stock-prices';
const TOOL_CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name: TOOL_NAME,
    arguments: {},
    _meta: {
      'io.modelcontextprotocol/protocolVersion': REVISION,
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});
const MCP_HEADERS = { 'mcp-protocol-version': REVISION, 'mcp-method': 'tools/call', 'mcp-name': TOOL_NAME };
const MCP_ACCEPT = 'application/json, text/event-stream';

const progress = (message: string) => process.stderr.write(`  ${message}\n`);

/** The MCP route's phantom-token cache lifetime in kong.yml: the gateway introspects a token at most once per this many seconds. */
function gatewayCacheSeconds(): number | undefined {
  const config = loadKongConfig(KONG_CONFIG_PATH);
  for (const route of config.routes) {
    if (!route.hosts.includes('mcp.demo.example')) continue;
    for (const plugin of route.plugins) if (plugin.name === 'phantom-token') return plugin.config.token_cache_seconds;
  }
  return undefined;
}

/** Role → pids: the gateway runs inside the launcher's process, replicas of a service share a role. */
export function roleProcesses(profile: LaunchedProfile, extra: Partial<Record<Role, number[]>> = {}): ProcessMap {
  return () => {
    const services = profile.servicePids();
    const map = new Map<Role, number[]>([
      ['gateway', [profile.launcherPid]],
      ['mcp', services.get('utility-mcp-server') ?? []],
      ['api', services.get('stocks-api') ?? []],
      ['as', services.get('authorization-server') ?? []],
    ]);
    for (const [role, pids] of Object.entries(extra)) map.set(role as Role, pids);
    return map;
  };
}

function rssByRole(processes: ProcessMap): Map<Role, number> {
  const sizes = new Map<Role, number>();
  for (const [role, pids] of processes()) sizes.set(role, pids.reduce((sum, pid) => sum + (rssBytes(pid) ?? Number.NaN), 0));
  return sizes;
}

export function toolCallShape(url: string, token: string): RequestShape {
  return { url, method: 'POST', headers: { authorization: `Bearer ${token}`, accept: MCP_ACCEPT, ...MCP_HEADERS }, body: TOOL_CALL, contentType: 'application/json', expectToolResult: true };
}

/**
 * The per-hop benchmark: the local profile as launched, one signed-in
 * caller, four paths measured in every round, then two runs at many
 * connections for memory, and the token work the whole run cost.
 */
export async function runHops(options: BenchOptions): Promise<string> {
  progress('starting the local profile (the launcher, as npm start runs it) on free ports');
  const profile = await startLaunchedProfile();
  try {
    const { endpoints } = profile;
    progress('signing in (registration, e-mail code, consent) for a real opaque token');
    const opaque = await signIn(endpoints);
    const signedInAt = Date.now();
    const tokens = await callerTokens(endpoints, opaque);
    const references: ServerProcess[] = [];
    const started = async (starting: Promise<ServerProcess>) => {
      const reference = await starting;
      references.push(reference);
      return reference;
    };
    try {
      const proxy = await started(startBareProxy(endpoints.internal.stocksApi));
      const mcpProxy = await started(startBareProxy(endpoints.internal.utilityMcpServer));
      const sdk = await started(startSdkFloor());
      const processes = roleProcesses(profile, { proxy: [proxy.pid, mcpProxy.pid], sdk: [sdk.pid] });
      const shapes: Record<PathKey, RequestShape> = {
        direct: { url: `${endpoints.internal.stocksApi}/stocks`, method: 'GET', headers: { authorization: `Bearer ${tokens.apiJwt}` } },
        proxy: { url: `${proxy.url}/stocks`, method: 'GET', headers: { authorization: `Bearer ${tokens.apiJwt}` } },
        sdk: toolCallShape(`${sdk.url}/`, 'unused'),
        mcp: toolCallShape(`${endpoints.internal.utilityMcpServer}/`, tokens.mcpJwt),
        proxyChain: toolCallShape(`${mcpProxy.url}/`, tokens.mcpJwt),
        chain: toolCallShape(endpoints.external.mcp, opaque),
      };
      const calls = Object.fromEntries(PATH_KEYS.map((key) => [key, 0])) as Record<PathKey, number>;

      if (options.warmup > 0) {
        for (const key of PATH_KEYS) {
          progress(`warm-up: ${PATH_LABELS[key]}`);
          calls[key] += (await runWrk(shapes[key], options.connections, options.warmup)).requests;
        }
      }
      const rssBefore = rssByRole(processes);

      const rounds: Round[] = [];
      for (let index = 0; index < options.rounds; index += 1) {
        const round: Partial<Round> = {};
        for (const key of PATH_KEYS) {
          progress(`round ${index + 1} of ${options.rounds}: ${PATH_LABELS[key]}`);
          const run = await measurePath(shapes[key], processes, options.connections, options.duration);
          calls[key] += run.load.requests + run.single.requests;
          round[key] = run;
        }
        rounds.push(round as Round);
      }

      const rssAfterRounds = rssByRole(processes);
      // Memory under many clients: two back-to-back runs through the full
      // chain; a leak shows as growth from the end of the first to the end of
      // the second, while the first may still grow buffers and heap to the load.
      const soakRuns: LoadResult[] = [];
      const rssDuringSoak: Array<Map<Role, number>> = [];
      if (options.soakConnections > 0) {
        for (const half of [1, 2]) {
          progress(`memory run ${half} of 2: ${options.soakConnections} connections through the full chain`);
          const run = await runWrk(shapes.chain, options.soakConnections, options.duration);
          calls.chain += run.requests;
          soakRuns.push(run);
          rssDuringSoak.push(rssByRole(processes));
        }
      }
      const elapsedSeconds = (Date.now() - signedInAt) / 1000;

      await profile.logsSettled();
      // The benchmark's own introspection (for the MCP server's JWT) is not the gateway's.
      const introspections = profile.countLogLines('authorization-server', '"request completed"', '"path":"/oauth/v2/oauth-introspect"') - 1;
      const exchanges = profile.countLogLines('utility-mcp-server', '"token exchanged"');

      return [
        hopTables(rounds),
        '',
        'Targets (ratios within each round, median of the rounds):',
        targetLines([
          ...hopTargets(rounds),
          ...tokenWork({ introspections, exchanges, gatewayCalls: calls.chain, mcpCalls: calls.chain + calls.mcp + calls.proxyChain, elapsedSeconds }),
          ...(rssDuringSoak.length === 2 ? [memoryTarget(rssDuringSoak[0] ?? new Map(), rssDuringSoak[1] ?? new Map(), options.soakConnections)] : []),
        ]),
        'What bounds them (same ratios, not verdicts):',
        hopContext(rounds),
        '',
        'Memory (RSS MiB of each process):',
        memoryTable([
          ['after warm-up', rssBefore],
          ['after rounds', rssAfterRounds],
          ...rssDuringSoak.map((sizes, index): [string, Map<Role, number>] => [`${options.soakConnections} conn. run ${index + 1}`, sizes]),
        ]),
        ...soakRuns.map(
          (run, index) =>
            `${options.soakConnections} connections through the full chain, run ${index + 1} (${options.duration} s): ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ${run.failures} failed`,
        ),
      ].join('\n');
    } finally {
      await Promise.all(references.map((reference) => reference.stop()));
    }
  } finally {
    await profile.stop();
  }
}

interface TokenWork {
  introspections: number;
  exchanges: number;
  gatewayCalls: number;
  mcpCalls: number;
  elapsedSeconds: number;
}

/**
 * One introspection per token lifetime at the gateway means one per cache
 * period (kong.yml's token_cache_seconds caps it below the token's
 * lifetime); the MCP server exchanges once per JWT it is given, and it is
 * given one new JWT per introspection plus the benchmark's own.
 */
function tokenWork(work: TokenWork): Target[] {
  const cacheSeconds = gatewayCacheSeconds();
  const perThousand = (count: number, calls: number) => ((count * 1000) / Math.max(1, calls)).toFixed(2);
  const introspectionLimit = cacheSeconds ? Math.ceil(work.elapsedSeconds / cacheSeconds) + 1 : undefined;
  const exchangeLimit = Math.max(0, work.introspections) + 1;
  // No line at all means the log no longer says what is counted: no verdict rather than a wrong one.
  const counted = (count: number, pass: boolean) => (count < 1 ? undefined : pass);
  return [
    {
      name: `introspections: at most one per token per gateway cache period (${cacheSeconds ?? '?'} s, ${work.elapsedSeconds.toFixed(0)} s since sign-in: <= ${introspectionLimit ?? '?'})`,
      value: `${work.introspections} for ${work.gatewayCalls} tool calls = ${perThousand(work.introspections, work.gatewayCalls)} per 1,000`,
      pass: introspectionLimit === undefined ? undefined : counted(work.introspections, work.introspections <= introspectionLimit),
    },
    {
      name: `token exchanges: at most one per JWT the MCP server receives (<= ${exchangeLimit})`,
      value: `${work.exchanges} for ${work.mcpCalls} tool calls = ${perThousand(work.exchanges, work.mcpCalls)} per 1,000`,
      pass: counted(work.exchanges, work.exchanges <= exchangeLimit),
    },
  ];
}

const MiB = 2 ** 20;
/** "Flat": no process grew by more than 16 MiB or 10 % from the end of one loaded run to the end of the next. */
const grewTooMuch = (before: number, after: number) => after - before > Math.max(16 * MiB, before * 0.1);

function memoryTarget(first: Map<Role, number>, second: Map<Role, number>, connections: number): Target {
  const grown = [...first].filter(([role, size]) => grewTooMuch(size, second.get(role) ?? Number.NaN)).map(([role]) => ROLE_LABELS[role]);
  const known = [...first].every(([role, size]) => Number.isFinite(size) && Number.isFinite(second.get(role) ?? Number.NaN));
  return {
    name: `memory flat under ${connections} connections (RSS growth from the end of the first to the end of the second run <= 16 MiB or 10 %)`,
    value: grown.length === 0 ? 'flat' : `grew: ${grown.join(', ')}`,
    pass: known ? grown.length === 0 : undefined,
  };
}

function memoryTable(samples: Array<[string, Map<Role, number>]>): string {
  const roles = [...(samples[0]?.[1].keys() ?? [])];
  const rows = roles.map((role) => [ROLE_LABELS[role], ...samples.map(([, sizes]) => ((sizes.get(role) ?? Number.NaN) / MiB).toFixed(1))]);
  return table(['process', ...samples.map(([label]) => label)], rows);
}

import { median, ROLE_LABELS, type PathRun, type Role } from './measure.ts';

export type PathKey = 'direct' | 'proxy' | 'sdk' | 'mcp' | 'proxyChain' | 'chain';

export const PATH_LABELS: Record<PathKey, string> = {
  direct: 'direct API (GET /stocks, API JWT)',
  proxy: 'bare node:http proxy hop -> API',
  sdk: 'MCP SDK alone (constant tool, no token, no API)',
  mcp: 'MCP server directly (tools/call, MCP JWT)',
  proxyChain: 'bare proxy hop -> MCP server -> API (MCP JWT)',
  chain: 'gateway -> MCP server -> API (as launched)',
};

export const PATH_KEYS: PathKey[] = ['direct', 'proxy', 'sdk', 'mcp', 'proxyChain', 'chain'];
const ROLES: Role[] = ['gateway', 'mcp', 'api', 'as', 'proxy', 'sdk'];

export type Round = Record<PathKey, PathRun>;

/** Right-aligned columns after a left-aligned first one. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** CPU ms per request; below 0.01 ms it is idle noise (timers, health checks), not work for the path. */
export const cpuCell = (value: number) => (Number.isFinite(value) && value >= 0.01 ? fixed(value) : '-');

/** A figure of a path in each round, then its median. */
const across = (rounds: Round[], key: PathKey, pick: (run: PathRun, round: Round) => number) => median(rounds.map((round) => pick(round[key], round)));

/** The per-hop tables: throughput and latency with ratios to the direct call within each round, then CPU per request. */
export function hopTables(rounds: Round[]): string {
  const ratio = (key: PathKey, pick: (run: PathRun) => number) => across(rounds, key, (run, round) => pick(run) / pick(round.direct));
  const rows = PATH_KEYS.map((key) => [
    PATH_LABELS[key],
    fixed(across(rounds, key, (run) => run.load.requestsPerSecond), 0),
    `${fixed(ratio(key, (run) => run.load.requestsPerSecond))}x`,
    fixed(across(rounds, key, (run) => run.load.p50Ms)),
    fixed(across(rounds, key, (run) => run.load.p99Ms)),
    `${fixed(ratio(key, (run) => run.load.p50Ms), 1)}x`,
    fixed(across(rounds, key, (run) => run.single.p50Ms)),
    `${fixed(ratio(key, (run) => run.single.p50Ms), 1)}x`,
    String(rounds.reduce((sum, round) => sum + round[key].load.failures + round[key].single.failures, 0)),
  ]);
  const cpuRows = PATH_KEYS.map((key) => [
    PATH_LABELS[key],
    ...ROLES.map((role) => cpuCell(across(rounds, key, (run) => run.cpuMsPerRequest[role] ?? Number.NaN))),
  ]);
  const byRound = PATH_KEYS.map((key) => [PATH_LABELS[key], ...rounds.map((round) => fixed(round[key].load.requestsPerSecond, 0))]);
  return [
    table(['path', 'req/s', 'x direct', 'p50 ms', 'p99 ms', 'p50 x', '1-conn p50 ms', '1-conn x', 'failed'], rows),
    '',
    'CPU per request (ms of user+system time per completed request, from /proc/<pid>/stat around the throughput run):',
    table(['path', ...ROLES.map((role) => ROLE_LABELS[role])], cpuRows),
    '',
    'Throughput by round (req/s):',
    table(['path', ...rounds.map((_, index) => `round ${index + 1}`)], byRound),
  ].join('\n');
}

export interface Target {
  name: string;
  value: string;
  pass: boolean | undefined;
}

/** Issue targets, each a ratio taken within a round, then the median of the rounds. */
export function hopTargets(rounds: Round[]): Target[] {
  const throughput = across(rounds, 'chain', (run, round) => run.load.requestsPerSecond / round.direct.load.requestsPerSecond);
  const single = across(rounds, 'chain', (run, round) => run.single.p50Ms / round.direct.single.p50Ms);
  const mcpCpu = across(rounds, 'mcp', (run, round) => (run.cpuMsPerRequest.mcp ?? Number.NaN) / (round.direct.cpuMsPerRequest.api ?? Number.NaN));
  // The same hop at the same rate: the bare proxy in the gateway's place in
  // front of the MCP server. CPU per request falls as the rate rises (more
  // requests share each wake-up's system calls), so a proxy measured at the
  // API's rate would flatter the proxy, not measure the gateway.
  const gatewayCpu = across(rounds, 'chain', (run, round) => (run.cpuMsPerRequest.gateway ?? Number.NaN) / (round.proxyChain.cpuMsPerRequest.proxy ?? Number.NaN));
  const judge = (value: number, limit: number, atLeast: boolean) => (Number.isFinite(value) ? (atLeast ? value >= limit : value <= limit) : undefined);
  return [
    { name: 'full chain throughput >= 0.35x direct API (16 connections)', value: `${fixed(throughput)}x`, pass: judge(throughput, 0.35, true) },
    { name: 'full chain single-connection p50 <= 4x direct API', value: `${fixed(single, 1)}x`, pass: judge(single, 4, false) },
    { name: 'MCP server CPU per tools/call <= 2x API CPU per request', value: `${fixed(mcpCpu, 1)}x`, pass: judge(mcpCpu, 2, false) },
    {
      name: 'gateway CPU per request <= 1.5x bare proxy hop (both in front of the MCP server, at the same rate)',
      value: `${fixed(gatewayCpu, 1)}x`,
      pass: judge(gatewayCpu, 1.5, false),
    },
  ];
}

/**
 * What bounds the targets, in the same ratios: how far the SDK alone is from
 * each of them, and the gateway against the proxy measured at the API's rate.
 */
export function hopContext(rounds: Round[]): string {
  const sdkCpu = across(rounds, 'sdk', (run, round) => (run.cpuMsPerRequest.sdk ?? Number.NaN) / (round.direct.cpuMsPerRequest.api ?? Number.NaN));
  const sdkThroughput = across(rounds, 'sdk', (run, round) => run.load.requestsPerSecond / round.direct.load.requestsPerSecond);
  const sdkSingle = across(rounds, 'sdk', (run, round) => run.single.p50Ms / round.direct.single.p50Ms);
  const ownCpu = across(rounds, 'mcp', (run, round) => (run.cpuMsPerRequest.mcp ?? Number.NaN) / (round.sdk.cpuMsPerRequest.sdk ?? Number.NaN));
  const mcpInChain = across(rounds, 'chain', (run) => (run.cpuMsPerRequest.mcp ?? Number.NaN) / (run.cpuMsPerRequest.api ?? Number.NaN));
  const gatewayAtApiRate = across(rounds, 'chain', (run, round) => (run.cpuMsPerRequest.gateway ?? Number.NaN) / (round.proxy.cpuMsPerRequest.proxy ?? Number.NaN));
  return [
    `  the MCP SDK alone, with nothing of this project: CPU per tools/call ${fixed(sdkCpu, 1)}x the API's per request, throughput ${fixed(sdkThroughput)}x and single-connection p50 ${fixed(sdkSingle, 1)}x the direct API call`,
    `  the MCP server's CPU per tools/call is ${fixed(ownCpu, 1)}x the SDK alone's (token check, exchange cache, the API call, logging); ${fixed(mcpInChain, 1)}x the API's per request in the same chain run`,
    `  gateway CPU per request against the bare proxy in front of the API (a higher rate): ${fixed(gatewayAtApiRate, 1)}x`,
  ].join('\n');
}

export function targetLines(targets: Target[]): string {
  return targets.map((target) => `  [${target.pass === undefined ? 'n/a ' : target.pass ? 'pass' : 'MISS'}] ${target.name}: ${target.value}`).join('\n');
}

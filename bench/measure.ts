import { cpuMs } from './proc.ts';
import { runWrk, type LoadResult, type RequestShape } from './wrk.ts';

/** A process the benchmark watches, by the role it plays; replicas share a role. */
export type Role = 'gateway' | 'mcp' | 'api' | 'as' | 'proxy' | 'sdk';

export const ROLE_LABELS: Record<Role, string> = {
  gateway: 'gateway',
  mcp: 'MCP server',
  api: 'API',
  as: 'AS',
  proxy: 'proxy',
  sdk: 'SDK alone',
};

/** Where each role's processes are right now (looked up before every run: a restarted service has a new pid). */
export type ProcessMap = () => Map<Role, number[]>;

export interface PathRun {
  load: LoadResult;
  /** CPU milliseconds per request of each role's processes during the throughput run. */
  cpuMsPerRequest: Partial<Record<Role, number>>;
  single: LoadResult;
}

function cpuByRole(processes: Map<Role, number[]>): Map<Role, number> {
  const totals = new Map<Role, number>();
  for (const [role, pids] of processes) {
    let total = 0;
    for (const pid of pids) total += cpuMs(pid) ?? Number.NaN;
    totals.set(role, total);
  }
  return totals;
}

/**
 * One path in one round: a throughput run at `connections` with every
 * process's CPU time read around it, then a single-connection run for the
 * latency a lone caller sees.
 */
export async function measurePath(shape: RequestShape, processes: ProcessMap, connections: number, durationSeconds: number): Promise<PathRun> {
  const watched = processes();
  const before = cpuByRole(watched);
  const load = await runWrk(shape, connections, durationSeconds);
  const after = cpuByRole(watched);
  const cpuMsPerRequest: Partial<Record<Role, number>> = {};
  for (const [role, start] of before) {
    const spent = (after.get(role) ?? Number.NaN) - start;
    // NaN when a process ended during the run: no figure rather than a wrong one.
    cpuMsPerRequest[role] = load.requests > 0 ? spent / load.requests : Number.NaN;
  }
  const single = await runWrk(shape, 1, durationSeconds);
  return { load, cpuMsPerRequest, single };
}

export function median(values: number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

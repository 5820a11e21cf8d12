import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Seconds per measured run. */
  duration: number;
  rounds: number;
  connections: number;
  /** Seconds of load per path before the first round (JIT, caches, connection pools). */
  warmup: number;
  /** Connections of the closing memory run through the full chain; 0 skips it. */
  soakConnections: number;
  /** Compare 1 and 2 MCP server replicas, and PostgreSQL with SQLite, instead of the per-hop table. */
  replicas: boolean;
  /** Sign-ins per store and round in the replicas mode. */
  signIns: number;
  help: boolean;
}

export const USAGE = `npm run bench -- [options]

  --duration <s>          seconds per measured run (default 10)
  --rounds <n>            rounds; every path is measured in each (default 3)
  --connections <n>       concurrent connections of the throughput runs (default 16)
  --warmup <s>            seconds of load per path before the first round (default 3)
  --soak-connections <n>  connections of the closing memory run through the full chain (default 200, 0 skips it)
  --replicas              throughput with 1 and 2 MCP server replicas, and PostgreSQL versus SQLite
                          per sign-in and per introspection
  --sign-ins <n>          sign-ins per store and round in the replicas mode (default 5)
  --help                  this text
`;

function positiveInteger(flag: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < (allowZero ? 0 : 1) || number > 100_000) {
    throw new Error(`--${flag} must be a whole number${allowZero ? '' : ' above 0'}, got "${value}"`);
  }
  return number;
}

/** Reads the command line; a bad flag or value throws with a message naming it. */
export function parseOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      'soak-connections': { type: 'string' },
      replicas: { type: 'boolean', default: false },
      'sign-ins': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    duration: positiveInteger('duration', values.duration, 10),
    rounds: positiveInteger('rounds', values.rounds, 3),
    connections: positiveInteger('connections', values.connections, 16),
    warmup: positiveInteger('warmup', values.warmup, 3, true),
    soakConnections: positiveInteger('soak-connections', values['soak-connections'], 200, true),
    replicas: values.replicas ?? false,
    signIns: positiveInteger('sign-ins', values['sign-ins'], 5),
    help: values.help ?? false,
  };
}

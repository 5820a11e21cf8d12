/**
 * `npm run bench`: what a tool call costs on each hop of the local profile,
 * measured with wrk in its own process, side by side with a direct API call
 * in every round. `npm run bench -- --help` lists the flags; bench/README.md
 * explains how to read the figures. A script that prints figures: nothing in
 * it asserts a speed.
 */
import { execFileSync } from 'node:child_process';
import { runHops } from './hops.ts';
import { parseOptions, USAGE, type BenchOptions } from './options.ts';
import { describeMachine } from './proc.ts';
import { runReplicas } from './replicas.ts';

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head} with uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

function header(options: BenchOptions): string {
  return [
    `Machine:  ${describeMachine()}`,
    `Code:     ${commit()}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, LOG_LEVEL ${process.env.LOG_LEVEL ?? 'info (default)'}`,
    `Settings: wrk in its own process (1 thread), ${options.connections} connections (1 for the single-connection line), ` +
      `${options.duration} s per run, ${options.rounds} round${options.rounds === 1 ? '' : 's'}` +
      `${options.warmup > 0 ? ` after a ${options.warmup} s warm-up per path` : ''}; medians of the rounds, ratios within each round`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  // Ctrl+C ends the run through process.exit, so that the 'exit' hooks stop
  // the deployments and servers the benchmark started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  process.stdout.write(header(options));
  const report = options.replicas ? await runReplicas(options) : await runHops(options);
  process.stdout.write(`${report}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

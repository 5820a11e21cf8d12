import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ServiceSpec } from './topology.ts';

export interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log output)';
  }
}

async function waitHealthy(spec: ServiceSpec, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${spec.name} stopped during start-up (${exited}). Last log lines:\n${tail(logFile)}`);
    try {
      const response = await fetch(spec.healthUrl, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${spec.name} did not become healthy at ${spec.healthUrl} within ${timeoutMs / 1000}s. Last log lines:\n${tail(logFile)}`);
}

/**
 * Starts one service as a child process of the current Node binary (Node 24,
 * which runs the services' TypeScript directly), appends its output to its
 * log file and resolves once its health endpoint answers.
 */
export async function startService(spec: ServiceSpec, logFile: string, timeoutMs = 30_000): Promise<RunningService> {
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  await once(log, 'open');
  const child = spawn(process.execPath, spec.args, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: process.env.NODE_ENV ?? 'development', ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('exit', () => log.end());

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitHealthy(spec, child, logFile, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { spec, child, logFile, stop };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { endWithThisProcess } from '@mcp-demo/service-kit';
import type { ServiceSpec } from '../topology/index.ts';

/** How a process ended: `code` for a normal exit, `signal` when it was killed. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  spec: ServiceSpec;
  child: ChildProcess;
  logFile: string;
  /** Settles once the process has exited, however that happened. */
  exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after 8 seconds; resolves once the process is gone. */
  stop(): Promise<void>;
}

export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log output)';
  }
}

/**
 * Starts one service as a child process of the current Node binary (Node 24,
 * which runs the services' TypeScript directly) with its log file as its
 * stdout and stderr: the service writes its lines there itself, so the
 * launcher (which also runs the gateway) never relays them. Resolves as soon
 * as the process runs: see `waitHealthy`.
 */
export async function spawnService(spec: ServiceSpec, logFile: string): Promise<ServiceProcess> {
  // Append mode: every write lands at the end, after a restarted instance's predecessor.
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, spec.args, {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: process.env.NODE_ENV ?? 'development', ...spec.env },
      stdio: ['ignore', log, log],
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log);
  }
  // A crash of the launcher (or its gateway) must not leave services holding the ports of the next `npm start`.
  endWithThisProcess(child, 'SIGTERM');
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  // A failed spawn (the binary vanished) also ends in 'exit'; without a
  // listener the 'error' event would crash the launcher instead.
  child.on('error', () => {});

  const stop = async () => {
    if (exit) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(timer);
  };
  return { spec, child, logFile, exited, hasExited: () => exit !== undefined, stop };
}

/** Resolves once the service's health URL answers 2xx; rejects, quoting its log, when it exits first or the time runs out. */
export async function waitHealthy(service: ServiceProcess, timeoutMs: number): Promise<void> {
  const { spec, logFile } = service;
  const deadline = Date.now() + timeoutMs;
  let exit: ProcessExit | undefined;
  void service.exited.then((ended) => {
    exit = ended;
  });
  while (Date.now() < deadline) {
    if (exit) throw new Error(`${spec.name} stopped during start-up (${describeExit(exit)}). Last log lines:\n${tail(logFile)}`);
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

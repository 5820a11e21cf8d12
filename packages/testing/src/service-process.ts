import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { endWithThisProcess } from '@mcp-demo/service-kit';

export interface ServiceExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A service started as its own Node process, the way people and the launcher start it. */
export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  /** Settles when the process has exited, with everything it wrote. */
  exited: Promise<ServiceExit>;
  /** The first JSON log line whose msg is `msg`; rejects if the process exits first. */
  logLine(msg: string): Promise<Record<string, unknown>>;
}

/**
 * Runs `main` with the same Node as the tests. The process sees only PATH,
 * the variables of `envFile` (as `node --env-file` reads them) and `env`,
 * which wins over the file just as shell variables do: a developer's own
 * `.env` or shell cannot change the outcome.
 */
export function startServiceProcess(main: string, options: { envFile?: string; env?: Record<string, string> } = {}): ServiceProcess {
  const args = options.envFile ? [`--env-file=${options.envFile}`, main] : [main];
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...options.env } });
  // A test that fails before it stops its service must not leave the service
  // running (and holding its port): it ends with the test process at the latest.
  endWithThisProcess(child, 'SIGKILL');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<ServiceExit>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const lines = createInterface({ input: child.stdout });
  return {
    child,
    exited,
    logLine: (msg) =>
      new Promise((resolve, reject) => {
        lines.on('line', (line) => {
          let entry: unknown;
          try {
            entry = JSON.parse(line);
          } catch {
            return;
          }
          if ((entry as { msg?: unknown } | null)?.msg === msg) resolve(entry as Record<string, unknown>);
        });
        void exited.then(({ code }) => reject(new Error(`exited with ${code} before logging "${msg}"`)));
      }),
  };
}

/** Whether a process with this id is still running (signal 0 probes without signalling). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

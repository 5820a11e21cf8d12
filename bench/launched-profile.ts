import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pickFreePorts } from '../local/launcher/ports.ts';
import { PORT_NAMES, REPO_ROOT, type Endpoints } from '../local/launcher/topology.ts';
import { childProcesses } from './proc.ts';

const LAUNCHER = resolve(REPO_ROOT, 'local/launcher/main.ts');

/** The local profile as `npm start` runs it: the launcher in its own process, with the gateway inside it. */
export interface LaunchedProfile {
  endpoints: Endpoints;
  deployDir: string;
  /** The launcher's process, which also runs the Node gateway and relays the services' output to their log files. */
  launcherPid: number;
  /** The running service processes by service name (several for replicas), read afresh from /proc. */
  servicePids(): Map<string, number[]>;
  /** The service's log lines that contain every one of the given fragments. */
  countLogLines(service: string, ...fragments: string[]): number;
  /** Resolves once no log file has grown for a moment. */
  logsSettled(): Promise<void>;
  stop(): Promise<void>;
}

/** The service a child process runs, from the script path in its command line (e.g. `stocks-api/src/main.ts`). */
function serviceOf(args: string[]): string {
  for (const arg of args) {
    const inside = relative(REPO_ROOT, arg);
    if (inside.startsWith('..') || !(arg.endsWith('.js') || arg.endsWith('.ts'))) continue;
    if (inside.startsWith('node_modules/')) return inside.split('/')[1] ?? inside;
    const parts = inside.split('/');
    // clients/client-metadata/src/main.ts → client-metadata
    return parts[0] === 'clients' ? (parts[1] ?? inside) : (parts[0] ?? inside);
  }
  return args.join(' ');
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Starts `local/launcher/main.ts` (what `npm start` runs) with every port
 * free and a throwaway deploy directory, and waits for its endpoints file.
 * `env` adds launcher settings (replica counts, a database URL); the log
 * level stays whatever the caller's environment says, as with `npm start`.
 */
export async function startLaunchedProfile(env: Record<string, string> = {}): Promise<LaunchedProfile> {
  const deployDir = mkdtempSync(join(tmpdir(), 'mcp-bench-'));
  const ports = await pickFreePorts(PORT_NAMES.length);
  const portEnv = Object.fromEntries(PORT_NAMES.map((name, index) => [name, String(ports[index])]));
  const output = openSync(join(deployDir, 'launcher-output.txt'), 'a');
  // Its own process group, so that an interrupted benchmark can end the
  // launcher and every service it started with one signal.
  const launcher: ChildProcess = spawn(process.execPath, [LAUNCHER], {
    env: { ...process.env, ...portEnv, ...env, DEPLOY_DIR: deployDir },
    stdio: ['ignore', output, output],
    detached: true,
  });
  const pid = launcher.pid;
  if (pid === undefined) throw new Error('the launcher could not be started');
  let exited = false;
  const exit = new Promise<void>((done) =>
    launcher.once('exit', () => {
      exited = true;
      done();
    }),
  );
  const killGroup = () => {
    if (!exited) process.kill(-pid, 'SIGKILL');
  };
  process.once('exit', killGroup);
  const launcherOutput = () => readFileSync(join(deployDir, 'launcher-output.txt'), 'utf8').trim().split('\n').slice(-20).join('\n');

  const endpointsFile = join(deployDir, 'endpoints.json');
  const deadline = Date.now() + 180_000;
  while (!existsSync(endpointsFile)) {
    if (exited) throw new Error(`the launcher stopped during start-up:\n${launcherOutput()}`);
    if (Date.now() > deadline) {
      killGroup();
      throw new Error(`the launcher did not start within 180 s:\n${launcherOutput()}`);
    }
    await sleep(200);
  }
  await sleep(200); // the file is written in one call, but give it a moment to be complete
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Endpoints;
  const logDir = join(deployDir, 'logs');

  return {
    endpoints,
    deployDir,
    launcherPid: pid,
    servicePids: () => {
      const pids = new Map<string, number[]>();
      for (const child of childProcesses(pid)) {
        const name = serviceOf(child.args);
        pids.set(name, [...(pids.get(name) ?? []), child.pid]);
      }
      return pids;
    },
    countLogLines: (service, ...fragments) => {
      let text: string;
      try {
        text = readFileSync(join(logDir, `${service}.log`), 'utf8');
      } catch {
        return 0;
      }
      let count = 0;
      for (const line of text.split('\n')) if (fragments.every((fragment) => line.includes(fragment))) count += 1;
      return count;
    },
    logsSettled: async () => {
      const sizes = () => readdirSync(logDir).map((file) => statSync(join(logDir, file)).size).join(',');
      let last = sizes();
      for (let round = 0; round < 50; round += 1) {
        await sleep(200);
        const now = sizes();
        if (now === last) return;
        last = now;
      }
    },
    stop: async () => {
      if (!exited) {
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(killGroup, 30_000);
        await exit;
        clearTimeout(timer);
      }
      process.removeListener('exit', killGroup);
      if (!process.env.KEEP_BENCH_LOGS) rmSync(deployDir, { recursive: true, force: true });
    },
  };
}

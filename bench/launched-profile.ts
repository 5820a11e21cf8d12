import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { assertPortsFree, pickFreePorts } from '../local/launcher/ports.ts';
import { PORT_NAMES, REPLICA_PORT_STEP, REPO_ROOT, type Endpoints } from '../local/topology/index.ts';
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

/** The replicated services' first ports: replica n listens REPLICA_PORT_STEP * (n - 1) above. */
const REPLICATED_PORTS = ['MCP_SERVER_PORT', 'AUTHORIZATION_SERVER_PORT'] as const;

/**
 * Free ports for every setting, such that the ports replicas take above
 * the first one of their service are free too and collide with no other.
 */
async function freePortSettings(replicas: number): Promise<Record<string, string>> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const ports = await pickFreePorts(PORT_NAMES.length);
    const byName = new Map(PORT_NAMES.map((name, index) => [name, ports[index] ?? 0]));
    const extra = REPLICATED_PORTS.flatMap((name) =>
      Array.from({ length: replicas - 1 }, (_, index) => (byName.get(name) ?? 0) + REPLICA_PORT_STEP * (index + 1)),
    );
    const all = [...ports, ...extra];
    if (new Set(all).size !== all.length || extra.some((port) => port > 65_535)) continue;
    try {
      await assertPortsFree(extra.map((port) => ({ port, purpose: 'a replica' })));
    } catch {
      continue;
    }
    return Object.fromEntries([...byName].map(([name, port]) => [name, String(port)]));
  }
  throw new Error('found no free ports for the replicas after 20 attempts');
}

/**
 * Starts `local/launcher/main.ts` (what `npm start` runs) with every port
 * free and a throwaway deploy directory, and waits for its endpoints file.
 * `env` adds launcher settings (replica counts, a database URL; `replicas`
 * is the highest count among them, to keep their ports free); the log level
 * stays whatever the caller's environment says, as with `npm start`.
 */
export async function startLaunchedProfile(env: Record<string, string> = {}, replicas = 1): Promise<LaunchedProfile> {
  const deployDir = mkdtempSync(join(tmpdir(), 'mcp-bench-'));
  const portEnv = await freePortSettings(replicas);
  const output = openSync(join(deployDir, 'launcher-output.txt'), 'a');
  // Its own process group, so that an interrupted benchmark can end the
  // launcher and every service it started with one signal.
  const launcher: ChildProcess = spawn(process.execPath, [LAUNCHER], {
    env: { ...process.env, ...portEnv, ...env, DEPLOY_DIR: deployDir },
    stdio: ['ignore', output, output],
    detached: true,
  });
  closeSync(output);
  const pid = launcher.pid;
  if (pid === undefined) throw new Error('the launcher could not be started');
  let exited = false;
  const exit = new Promise<void>((done) =>
    launcher.once('exit', () => {
      exited = true;
      done();
    }),
  );
  // The whole group, the launcher's services included: a launcher that died
  // on its own may have left some of them behind.
  const killGroup = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  process.once('exit', killGroup);
  const launcherOutput = () =>
    `${readFileSync(join(deployDir, 'launcher-output.txt'), 'utf8').trim().split('\n').slice(-20).join('\n')}\n(the services' logs are in ${join(deployDir, 'logs')})`;

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
      killGroup();
      process.removeListener('exit', killGroup);
      if (process.env.KEEP_BENCH_LOGS) process.stderr.write(`  kept the deploy directory ${deployDir}\n`);
      else rmSync(deployDir, { recursive: true, force: true });
    },
  };
}

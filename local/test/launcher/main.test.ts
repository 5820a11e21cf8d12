import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { portInUse, processRunning } from '@mcp-demo/testing';
import { pickFreePorts } from '../../launcher/ports.ts';
import { PORT_NAMES, REPO_ROOT } from '../../topology/index.ts';

// `npm start` as a person runs it: the entry point as its own process, so its
// exit code and what it prints are what is checked.
const MAIN = resolve(REPO_ROOT, 'local/launcher/main.ts');

const deployDirs: string[] = [];
afterAll(() => {
  for (const dir of deployDirs) rmSync(dir, { recursive: true, force: true });
});

interface Launcher {
  child: ChildProcess;
  ports: number[];
  output(): string;
  errors(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const launchers: Launcher[] = [];
afterEach(async () => {
  for (const launcher of launchers.splice(0)) {
    if (launcher.child.exitCode === null && launcher.child.signalCode === null) {
      launcher.child.kill('SIGTERM');
      await launcher.exit;
    }
  }
});

async function runLauncher(extraEnv: Record<string, string>, args: string[] = [], nodeFlags: string[] = []): Promise<Launcher> {
  const deployDir = mkdtempSync(join(tmpdir(), 'launcher-main-test-'));
  deployDirs.push(deployDir);
  const ports = await pickFreePorts(PORT_NAMES.length);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DEPLOY_DIR: deployDir,
    ...Object.fromEntries(PORT_NAMES.map((name, index) => [name, String(ports[index])])),
    ...extraEnv,
  };
  const child = spawn(process.execPath, [...nodeFlags, MAIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const launcher: Launcher = {
    child,
    ports,
    exit,
    output: () => stdout,
    errors: () => stderr,
    waitFor: async (text, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      const pattern = typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`launcher did not print ${String(text)}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        }
        await new Promise((done) => setTimeout(done, 100));
      }
    },
  };
  launchers.push(launcher);
  return launcher;
}

const stocksApiPort = (launcher: Launcher) => launcher.ports[PORT_NAMES.indexOf('STOCKS_API_PORT')] as number;

describe('the launcher entry point', () => {
  it('restarts a killed service, and when it keeps dying stops everything and exits 1 naming the service and its log', async () => {
    const launcher = await runLauncher({ LAUNCHER_RESTART_LIMIT: '1', LAUNCHER_RESTART_DELAY_MS: '50' });
    await launcher.waitFor('The local deployment is running.');
    const health = `http://127.0.0.1:${stocksApiPort(launcher)}/health`;

    const [, first] = await launcher.waitFor(/stocks-api started \(pid (\d+)\)/);
    process.kill(Number(first), 'SIGKILL');
    await launcher.waitFor('stocks-api exited unexpectedly (signal SIGKILL)');
    await launcher.waitFor('restarting stocks-api in 50 ms (restart 1 of at most 1)');
    await launcher.waitFor('stocks-api is healthy again');
    expect((await fetch(health)).status).toBe(200);

    const pids = [...launcher.output().matchAll(/stocks-api started \(pid (\d+)\)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);
    expect(pids[1]).not.toBe(Number(first));
    process.kill(pids[1] as number, 'SIGKILL');

    expect(await launcher.exit).toEqual({ code: 1, signal: null });
    const logFile = join(deployDirs.at(-1) as string, 'logs', 'stocks-api.log');
    expect(launcher.errors()).toContain(
      'The local deployment stopped: stocks-api stopped unexpectedly (signal SIGKILL) and it was already restarted 1 time within 300s (LAUNCHER_RESTART_LIMIT=1, LAUNCHER_RESTART_WINDOW_SECONDS=300); stopping the deployment.',
    );
    expect(launcher.errors()).toContain(`Its log is ${logFile}`);
    for (const port of launcher.ports) expect(await portInUse(port), `port ${port}`).toBe(false);
  });

  it('stops every service on SIGTERM and exits 0', async () => {
    const launcher = await runLauncher({});
    await launcher.waitFor('The local deployment is running.');
    launcher.child.kill('SIGTERM');
    expect(await launcher.exit).toEqual({ code: 0, signal: null });
    expect(launcher.output()).toContain('shutting down');
    expect(launcher.output()).toMatch(/stopped\n$/);
    expect(launcher.output()).not.toContain('exited unexpectedly');
    for (const port of launcher.ports) expect(await portInUse(port), `port ${port}`).toBe(false);
  });

  it('takes its services down with it when it crashes', async () => {
    const launcher = await runLauncher({}, [], ['--import', resolve(import.meta.dirname, 'fixtures', 'crash-on-sigusr2.ts')]);
    await launcher.waitFor('The local deployment is running.');
    const pids = [...launcher.output().matchAll(/ started \(pid (\d+)\)/g)].map((match) => Number(match[1]));
    expect(pids.length).toBeGreaterThanOrEqual(4);

    launcher.child.kill('SIGUSR2');
    expect(await launcher.exit).toEqual({ code: 1, signal: null });
    expect(launcher.errors()).toContain('the launcher crashed');
    // SIGTERM lets each service close and write its last log lines; give them the time they take.
    const running = () => pids.filter(processRunning);
    for (let waited = 0; running().length > 0 && waited < 15_000; waited += 100) await new Promise((done) => setTimeout(done, 100));
    expect(running()).toEqual([]);
    for (const port of launcher.ports) expect(await portInUse(port), `port ${port}`).toBe(false);
  });

  it('takes the replica count from --replicas, checked like the variables it sets, and refuses unknown options', async () => {
    const bad = await runLauncher({}, ['--replicas', 'two']);
    expect(await bad.exit).toEqual({ code: 1, signal: null });
    expect(bad.errors()).toContain('  - MCP_SERVER_REPLICAS: must be a whole number');
    expect(bad.errors()).toContain('  - AUTHORIZATION_SERVER_REPLICAS: must be a whole number');
    const unknown = await runLauncher({}, ['--replica', '2']);
    expect(await unknown.exit).toEqual({ code: 1, signal: null });
    expect(unknown.errors()).toContain("launcher failed to start: Unknown option '--replica'");
  });

  it('refuses a bad restart setting before starting anything', async () => {
    const launcher = await runLauncher({ LAUNCHER_RESTART_LIMIT: 'often' });
    expect(await launcher.exit).toEqual({ code: 1, signal: null });
    expect(launcher.errors()).toContain('launcher failed to start: invalid configuration\n  - LAUNCHER_RESTART_LIMIT: must be a whole number');
    expect(launcher.output()).toBe('');
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@mcp-demo/service-kit';
import { processRunning, unusedPort } from '@mcp-demo/testing';
import { restartDelayMs, superviseService, type RestartPolicy, type ServiceFailure, type SupervisedService } from '../../launcher/supervisor.ts';
import type { ServiceSpec } from '../../topology/index.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/flaky-service.ts');
const logDir = mkdtempSync(join(tmpdir(), 'supervisor-test-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

const supervised: SupervisedService[] = [];
afterEach(async () => {
  for (const service of supervised.splice(0)) await service.stop();
});

const policy = (overrides: Partial<RestartPolicy> = {}): RestartPolicy => ({
  limit: 3,
  windowMs: 60_000,
  initialDelayMs: 50,
  maxDelayMs: 1_000,
  healthTimeoutMs: 10_000,
  ...overrides,
});

async function fixtureSpec(name: string, env: Record<string, string> = {}): Promise<ServiceSpec> {
  const port = await unusedPort();
  return { name, args: [FIXTURE], env: { PORT: String(port), ...env }, healthUrl: `http://127.0.0.1:${port}/health`, ports: [] };
}

/** The launcher logger writing into memory, as parsed JSON lines. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('launcher', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger, messages: () => lines.map((line) => String(line.msg)) };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const healthPid = async (url: string): Promise<number | undefined> => {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as { pid: number }).pid : undefined;
  } catch {
    return undefined;
  }
};

describe('restart delay', () => {
  it('doubles from the initial delay and stops growing at the maximum', () => {
    const delays = [0, 1, 2, 3, 4, 5].map((restarts) => restartDelayMs(policy({ initialDelayMs: 500, maxDelayMs: 5_000 }), restarts));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
  });
});

describe('superviseService', () => {
  it('logs a killed service, restarts it and waits until it serves again', async () => {
    const spec = await fixtureSpec('flaky');
    const { logger, lines, messages } = capture();
    const failures: ServiceFailure[] = [];
    const service = await superviseService(spec, join(logDir, 'killed.log'), { policy: policy(), logger, onGiveUp: (failure) => failures.push(failure) });
    supervised.push(service);
    const first = service.pid();
    expect(first).toBeTypeOf('number');
    expect(await healthPid(spec.healthUrl)).toBe(first);

    process.kill(first as number, 'SIGKILL');

    const second = await until('a restarted instance serving', async () => {
      const pid = await healthPid(spec.healthUrl);
      return pid !== undefined && pid !== first ? pid : undefined;
    });
    expect(service.pid()).toBe(second);
    await until('the healthy-again line', () => messages().includes('flaky is healthy again'));
    expect(messages()).toEqual([
      `flaky started (pid ${first})`,
      'flaky exited unexpectedly (signal SIGKILL)',
      'restarting flaky in 50 ms (restart 1 of at most 3)',
      `flaky started (pid ${second})`,
      'flaky is healthy again',
    ]);
    expect(lines[1]).toMatchObject({ level: 50, serviceName: 'flaky', pid: first, signal: 'SIGKILL', exitCode: null, logFile: join(logDir, 'killed.log') });
    expect(failures).toEqual([]);
  });

  it('backs off exponentially, up to the maximum, then gives up naming the service and its log', async () => {
    const spec = await fixtureSpec('crashing', { EXIT_AFTER_MS: '300' });
    const logFile = join(logDir, 'crashing.log');
    const { lines, logger, messages } = capture();
    let failure: ServiceFailure | undefined;
    const service = await superviseService(spec, logFile, {
      policy: policy({ limit: 3, initialDelayMs: 100, maxDelayMs: 250 }),
      logger,
      onGiveUp: (reported) => {
        failure = reported;
      },
    });
    supervised.push(service);

    const reported = await until('the launcher to give up', () => failure);
    expect(reported.service).toBe('crashing');
    expect(reported.logFile).toBe(logFile);
    expect(reported.message).toContain('crashing stopped unexpectedly (exit code 3) and it was already restarted 3 times within 60s');
    expect(reported.message).toContain(`Its log is ${logFile}`);
    // The tail of the service's own output, so the reason is on screen.
    expect(reported.message).toMatch(/flaky service \d+ listening/);
    expect(lines.filter((line) => line.delayMs !== undefined).map((line) => line.delayMs)).toEqual([100, 200, 250]);
    expect(messages().filter((message) => message.startsWith('crashing exited unexpectedly'))).toHaveLength(4);
    expect(messages().at(-1)).toBe('crashing: restart limit reached, giving up');
    expect(readFileSync(logFile, 'utf8').match(/listening/g)).toHaveLength(4);

    // Given up means given up: nothing is started again.
    await new Promise((done) => setTimeout(done, 600));
    expect(service.pid()).toBeUndefined();
    expect(await healthPid(spec.healthUrl)).toBeUndefined();
  });

  it('gives up at the first exit when restarts are disabled', async () => {
    const spec = await fixtureSpec('no-restarts');
    const { logger } = capture();
    let failure: ServiceFailure | undefined;
    const service = await superviseService(spec, join(logDir, 'no-restarts.log'), {
      policy: policy({ limit: 0 }),
      logger,
      onGiveUp: (reported) => {
        failure = reported;
      },
    });
    supervised.push(service);
    process.kill(service.pid() as number, 'SIGKILL');
    const reported = await until('the launcher to give up', () => failure);
    expect(reported.message).toContain('no-restarts stopped unexpectedly (signal SIGKILL) and restarts are disabled (LAUNCHER_RESTART_LIMIT=0)');
  });

  it('counts only the restarts within the window', async () => {
    const spec = await fixtureSpec('windowed');
    const { logger, messages } = capture();
    const failures: ServiceFailure[] = [];
    const service = await superviseService(spec, join(logDir, 'windowed.log'), {
      policy: policy({ limit: 1, windowMs: 300, initialDelayMs: 10 }),
      logger,
      onGiveUp: (failure) => failures.push(failure),
    });
    supervised.push(service);
    for (let round = 1; round <= 3; round += 1) {
      const pid = service.pid() as number;
      process.kill(pid, 'SIGKILL');
      await until(`restart ${round}`, async () => {
        const serving = await healthPid(spec.healthUrl);
        return serving !== undefined && serving !== pid ? serving : undefined;
      });
      // Let the restart age out of the window before the next crash.
      await new Promise((done) => setTimeout(done, 400));
    }
    expect(failures).toEqual([]);
    expect(messages().filter((message) => message === 'restarting windowed in 10 ms (restart 1 of at most 1)')).toHaveLength(3);
  });

  it('does not restart a service stopped on purpose', async () => {
    const spec = await fixtureSpec('stopped');
    const { logger, messages } = capture();
    const failures: ServiceFailure[] = [];
    const service = await superviseService(spec, join(logDir, 'stopped.log'), { policy: policy({ initialDelayMs: 10 }), logger, onGiveUp: (failure) => failures.push(failure) });
    const pid = service.pid() as number;
    await service.stop();
    expect(processRunning(pid)).toBe(false);
    await new Promise((done) => setTimeout(done, 300));
    expect(await healthPid(spec.healthUrl)).toBeUndefined();
    expect(messages()).toEqual([`stopped started (pid ${pid})`]);
    expect(failures).toEqual([]);
  });

  it('neither restarts nor reports a service that exits once the deployment expects it to (Ctrl+C reaches every process)', async () => {
    const spec = await fixtureSpec('interrupted-by-terminal');
    const { logger, messages } = capture();
    const failures: ServiceFailure[] = [];
    const service = await superviseService(spec, join(logDir, 'terminal.log'), { policy: policy({ initialDelayMs: 10 }), logger, onGiveUp: (failure) => failures.push(failure) });
    supervised.push(service);
    const pid = service.pid() as number;
    service.expectExit();
    // The terminal's signal reaches the service before the launcher stops it.
    process.kill(pid, 'SIGTERM');
    await until('the service to exit', () => !processRunning(pid));
    await new Promise((done) => setTimeout(done, 300));
    expect(await healthPid(spec.healthUrl)).toBeUndefined();
    expect(messages()).toEqual([`interrupted-by-terminal started (pid ${pid})`]);
    expect(failures).toEqual([]);
    await service.stop();
  });

  it('stops a restart that is under way', async () => {
    const spec = await fixtureSpec('interrupted');
    const { logger, messages } = capture();
    const service = await superviseService(spec, join(logDir, 'interrupted.log'), { policy: policy({ initialDelayMs: 200 }), logger, onGiveUp: () => {} });
    process.kill(service.pid() as number, 'SIGKILL');
    await until('the restart to be scheduled', () => messages().some((message) => message.startsWith('restarting interrupted')));
    await service.stop();
    await new Promise((done) => setTimeout(done, 400));
    expect(await healthPid(spec.healthUrl)).toBeUndefined();
    expect(messages().filter((message) => message.startsWith('interrupted started'))).toHaveLength(1);
  });
});

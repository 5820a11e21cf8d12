import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processRunning, startServiceProcess } from '@mcp-demo/testing';
import { listen } from '../src/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('listen', () => {
  it('rejects with a message naming a port that is taken', async () => {
    const first = await listen(() => undefined, 0);
    try {
      await expect(listen(() => undefined, first.port)).rejects.toThrow(`port ${first.port} on 127.0.0.1 is already in use`);
    } finally {
      await first.close();
    }
  });
});

describe('runMain and shutdownOnSignals', () => {
  it('prints every configuration problem once, without a stack trace, and exits 1', async () => {
    const { code, stderr } = await startServiceProcess(fixture('fail-start.ts')).exited;
    expect(code).toBe(1);
    expect(stderr).toBe(
      'fixture-service failed to start: invalid configuration\n  - ISSUER: is required but not set\n  - PORT: must be a whole number\n',
    );
  });

  it('lets an in-flight request finish on SIGTERM, runs the cleanup, and exits 0', async () => {
    const service = startServiceProcess(fixture('serve-until-signal.ts'));
    const url = String((await service.logLine('listening')).url);
    const inFlight = fetch(url).then((response) => response.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    service.child.kill('SIGTERM');
    expect(await inFlight).toBe('finished');
    const { code, stdout } = await service.exited;
    expect(code).toBe(0);
    // When stdout is a busy socket, pino's writer may retry one line after the next: presence is what counts.
    const logged = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(logged).toHaveLength(4);
    expect(logged).toEqual(expect.arrayContaining(['listening', 'shutting down', 'cleanup ran', 'stopped']));
  });
});

describe('endWithThisProcess', () => {
  it('signals a child when its parent crashes, so the child does not outlive it', async () => {
    const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    // A parent that starts a child which would run for a minute, then dies of an uncaught exception.
    const parent = `import { spawn } from 'node:child_process';
import { endWithThisProcess } from ${JSON.stringify(index)};
const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60000)'], { stdio: 'ignore' });
endWithThisProcess(child, 'SIGTERM');
process.stdout.write(child.pid + '\\n');
setTimeout(() => { throw new Error('parent crashed'); }, 100);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', parent], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('parent crashed');
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    for (let waited = 0; processRunning(pid) && waited < 5_000; waited += 50) await new Promise((done) => setTimeout(done, 50));
    expect(processRunning(pid)).toBe(false);
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unusedPort } from '@mcp-demo/testing';
import { spawnService, waitHealthy } from '../../launcher/processes.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/flaky-service.ts');
const logDir = mkdtempSync(join(tmpdir(), 'processes-test-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

describe('a service process', () => {
  it('writes its output into its log file itself, with no pipe through the launcher, and a restart appends', async () => {
    const port = await unusedPort();
    const spec = { name: 'fixture', args: [FIXTURE], env: { PORT: String(port) }, healthUrl: `http://127.0.0.1:${port}/health`, ports: [] };
    const logFile = join(logDir, 'fixture.log');
    const pids: number[] = [];
    for (let run = 0; run < 2; run += 1) {
      const service = await spawnService(spec, logFile);
      try {
        expect(service.child.stdout).toBeNull();
        expect(service.child.stderr).toBeNull();
        await waitHealthy(service, 10_000);
        pids.push(service.child.pid as number);
      } finally {
        await service.stop();
      }
    }
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    expect(lines).toEqual(pids.map((pid) => `flaky service ${pid} listening on ${port}`));
  });

  it("reports a service that dies while starting with the last lines it wrote to its file, its errors included", async () => {
    const port = await unusedPort();
    const missing = resolve(logDir, 'no-such-service.ts');
    const service = await spawnService({ name: 'broken', args: [missing], env: {}, healthUrl: `http://127.0.0.1:${port}/health`, ports: [] }, join(logDir, 'broken.log'));
    await expect(waitHealthy(service, 10_000)).rejects.toThrow(/broken stopped during start-up \(exit code 1\)\. Last log lines:\n[\s\S]*Cannot find module/);
  });
});

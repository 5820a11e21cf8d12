import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processRunning } from '../src/index.ts';

const INDEX = resolve(import.meta.dirname, '..', 'src', 'index.ts');
const IDLE = resolve(import.meta.dirname, 'fixtures', 'idle-service.ts');

describe('startServiceProcess', () => {
  it('ends a service the test left running when the test process exits', async () => {
    // A test process that starts a service and exits without stopping it, as a failed assertion would leave it.
    const script = `import { startServiceProcess } from ${JSON.stringify(INDEX)};
const service = startServiceProcess(${JSON.stringify(IDLE)});
const line = await service.logLine('idle');
process.stdout.write(String(line.pid) + '\\n');
process.exit(0);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    for (let waited = 0; processRunning(pid) && waited < 5_000; waited += 50) await new Promise((done) => setTimeout(done, 50));
    expect(processRunning(pid)).toBe(false);
  });
});

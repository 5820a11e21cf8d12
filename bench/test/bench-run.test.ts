import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATH_LABELS } from '../report.ts';

const BENCH = resolve(import.meta.dirname, '..', 'local-profile.ts');

function bench(...args: string[]) {
  const run = spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run bench', () => {
  it('refuses a bad flag value, naming the flag, with the usage and without a stack trace', () => {
    const run = bench('--duration', 'soon');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--duration must be a whole number above 0, got "soon"');
    expect(run.stderr).toContain('--replicas');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  // Whether the figures are good is for the reader: this run only shows that
  // the benchmark still starts the launched profile, signs in, measures every
  // path without a failed request and prints its tables and verdicts.
  it('runs every path once and prints the per-hop table, CPU, targets, token work and memory', { timeout: 240_000 }, () => {
    const run = bench('--duration', '1', '--rounds', '1', '--warmup', '0', '--soak-connections', '16');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Machine: {2}\d+ x .+, Node v\d+/m);
    expect(run.stdout).toMatch(/^Settings: .*16 connections.*1 s per run, 1 round/m);
    for (const label of Object.values(PATH_LABELS)) {
      const rows = run.stdout.split('\n').filter((line) => line.startsWith(label));
      // The throughput table, the CPU table and the rounds table.
      expect(rows, label).toHaveLength(3);
      const [throughput, cpu] = rows as [string, string];
      const cells = throughput.slice(label.length).trim().split(/\s+/);
      expect(Number(cells[0]), `${label} req/s`).toBeGreaterThan(0);
      expect(cells.at(-1), `${label} failed requests`).toBe('0');
      expect(cpu.slice(label.length).trim().split(/\s+/)).toHaveLength(6);
    }
    for (const target of ['full chain throughput', 'full chain single-connection p50', 'MCP server CPU per tools/call', 'gateway CPU per request', 'memory flat']) {
      expect(run.stdout).toMatch(new RegExp(`^  \\[(pass|MISS)\\] ${target}`, 'm'));
    }
    // One introspection per gateway cache period and one exchange per JWT: correctness, whatever the speed.
    expect(run.stdout).toMatch(/^ {2}\[pass\] introspections: .* = \d+\.\d\d per 1,000$/m);
    expect(run.stdout).toMatch(/^ {2}\[pass\] token exchanges: .* = \d+\.\d\d per 1,000$/m);
    expect(run.stdout).toMatch(/^process\s+after warm-up\s+after rounds\s+16 conn\. run 1\s+16 conn\. run 2$/m);
  });
});

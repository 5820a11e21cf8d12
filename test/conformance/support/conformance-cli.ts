import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One check as the suite writes it to checks.json. */
export interface Check {
  id: string;
  name?: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED' | string;
  errorMessage?: string;
  details?: unknown;
}

export interface ScenarioRun {
  exitCode: number | null;
  checks: Check[];
  output: string;
}

const require = createRequire(import.meta.url);
/** The suite's own entry point, from the exactly pinned package. */
export const CONFORMANCE_CLI = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');

function checksIn(directory: string): Check[] {
  const found: Check[] = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) found.push(...checksIn(path));
    else if (entry === 'checks.json') found.push(...(JSON.parse(readFileSync(path, 'utf8')) as Check[]));
  }
  return found;
}

/** Runs one server scenario of the suite against `url` at one protocol revision and returns its checks. */
export function runServerScenario(url: string, scenario: string, specVersion: string, timeoutMs = 60_000): Promise<ScenarioRun> {
  return runSuite(['server', '--url', url, '--scenario', scenario, '--spec-version', specVersion], timeoutMs);
}

/** Runs one client scenario of the suite: it starts its own servers and then `command` with their URL appended. */
export function runClientScenario(command: string, scenario: string, timeoutMs = 90_000): Promise<ScenarioRun> {
  return runSuite(['client', '--command', command, '--scenario', scenario, '--timeout', String(timeoutMs - 10_000)], timeoutMs);
}

async function runSuite(args: string[], timeoutMs: number): Promise<ScenarioRun> {
  const outputDir = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
  try {
    const child = spawn(process.execPath, [CONFORMANCE_CLI, ...args, '-o', outputDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(timer);
    return { exitCode, checks: checksIn(outputDir), output };
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

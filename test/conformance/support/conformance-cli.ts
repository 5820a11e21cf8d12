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

export interface AuthorizationServerRun {
  /** The issuer identifier; the suite derives the metadata URL from it (RFC 8414 path insertion). */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** The MCP server's canonical URI, sent as the RFC 8707 resource parameter. */
  resource: string;
  /** The loopback port of the suite's callback listener; the client must have http://127.0.0.1:<port>/callback registered. */
  callbackPort: number;
  specVersion: string;
  /**
   * The person at the browser: the suite prints the authorization URL and
   * waits (up to five minutes) for its callback listener to be called. This
   * signs in and delivers the redirect there.
   */
  signIn(authorizationUrl: URL): Promise<void>;
}

/**
 * Runs every authorization-server scenario of the suite in one invocation:
 * the authorization-code scenario reads the metadata the metadata scenario
 * fetched, so run alone (`--scenario`) it can only fail.
 */
export async function runAuthorizationServerScenarios(run: AuthorizationServerRun, timeoutMs = 60_000): Promise<ScenarioRun> {
  const args = ['authorization', '--url', run.issuer, '--client-id', run.clientId, '--resource', run.resource, '--port', String(run.callbackPort), '--spec-version', run.specVersion];
  if (run.clientSecret) args.push('--client-secret', run.clientSecret);
  let signingIn: Promise<unknown> | undefined;
  const result = await runSuite(args, timeoutMs, (line, stop) => {
    if (signingIn || !/^https?:\/\/\S+\?\S*response_type=code/.test(line.trim())) return;
    // A failed sign-in ends the run at once with the reason, instead of the suite's five-minute wait.
    signingIn = run.signIn(new URL(line.trim())).catch((error: unknown) => stop(`the sign-in at the authorization URL failed: ${error instanceof Error ? error.message : String(error)}`));
  });
  await signingIn;
  if (!signingIn) result.output += '\n(the suite never printed an authorization URL)';
  return result;
}

/**
 * Runs the suite's CLI. `onLine` sees each line of its standard output as it
 * comes and may stop the run with a reason, which ends up in the output.
 */
async function runSuite(args: string[], timeoutMs: number, onLine?: (line: string, stop: (reason: string) => void) => void): Promise<ScenarioRun> {
  const outputDir = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
  try {
    const child = spawn(process.execPath, [CONFORMANCE_CLI, ...args, '-o', outputDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    const stop = (reason: string) => {
      output += `\nstopped: ${reason}\n`;
      child.kill('SIGTERM');
    };
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (!onLine) return;
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line, stop);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => stop(`no result within ${timeoutMs} ms`), timeoutMs);
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(timer);
    return { exitCode, checks: checksIn(outputDir), output };
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

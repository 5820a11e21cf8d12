import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '@mcp-demo/testing';
import { AUDIENCE, MCP_CLIENT_CLAIMS } from './support.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());

function start(env: Record<string, string>): ChildProcessWithoutNullStreams {
  // Only the variables given here, so a developer's own .env or shell cannot change the outcome.
  return spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env } });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, stdout })));
}

/** Resolves with the parsed log line whose msg matches. */
function logLine(child: ChildProcessWithoutNullStreams, msg: string): Promise<Record<string, unknown>> {
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === msg) resolve(entry);
    });
    child.on('close', (code) => reject(new Error(`exited with ${code} before logging "${msg}"`)));
  });
}

describe('the service process', () => {
  it('starts, serves, and stops cleanly on SIGTERM', async () => {
    const child = start({ ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri, PORT: '0', LOG_LEVEL: 'info' });
    const exited = exitOf(child);
    const listening = await logLine(child, 'stocks API listening');
    expect(listening).toMatchObject({ service: 'stocks-api', issuer: issuer.issuer, audience: AUDIENCE });

    const url = String(listening.url);
    const token = await issuer.mint(MCP_CLIENT_CLAIMS, { audience: AUDIENCE });
    const response = await fetch(`${url}/stocks`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { region: string }).region).toBe('USA');

    child.kill('SIGTERM');
    const { code, stdout } = await exited;
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"stopped"');
    expect(stdout).not.toContain(token.split('.')[2]);
  });

  it('refuses to start with a bad ISSUER, naming it without a stack trace', async () => {
    const { code, stderr } = await exitOf(start({ ISSUER: 'not a url', JWKS_URI: issuer.jwksUri }));
    expect(code).toBe(1);
    expect(stderr).toContain('stocks-api failed to start');
    expect(stderr).toMatch(/- ISSUER: /);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to start when the stock catalogue cannot be read', async () => {
    const { code, stderr } = await exitOf(
      start({ ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri, STOCKS_DATA_FILE: '/nonexistent/stocks.json' }),
    );
    expect(code).toBe(1);
    expect(stderr).toContain('STOCKS_DATA_FILE /nonexistent/stocks.json cannot be read (ENOENT)');
  });
});

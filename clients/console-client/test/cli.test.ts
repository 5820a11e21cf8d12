import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAuthorizationServer, type FakeAuthorizationServer } from './support/fake-authorization-server.ts';
import { startFakeMcpServer, type FakeMcpServer } from './support/fake-mcp-server.ts';

const packageDir = resolve(import.meta.dirname, '..');
const followRedirects = resolve(import.meta.dirname, 'support', 'follow-redirects.ts');

let as: FakeAuthorizationServer;
let mcp: FakeMcpServer;
let stateDir: string;

beforeAll(async () => {
  as = await startFakeAuthorizationServer();
  mcp = await startFakeMcpServer({ authorizationServer: as.issuer, scopeOf: as.scopeOf });
  stateDir = join(mkdtempSync(join(tmpdir(), 'console-cli-')), 'state');
});

afterAll(async () => {
  await mcp.close();
  await as.close();
  rmSync(resolve(stateDir, '..'), { recursive: true, force: true });
});

function runClient(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['src/main.ts', ...args], { cwd: packageDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('console client one-shot mode', () => {
  it('signs in through the URL command, prints the tool result on stdout and exits 0', async () => {
    const browser = `"${process.execPath}" "${followRedirects}"`;
    const { code, stdout, stderr } = await runClient([mcp.url, '--call', 'fetch-stock-prices', '--args', '{"id":"ACME"}', '--state-dir', stateDir], { MCP_CONSOLE_BROWSER: browser });

    expect(stderr).toContain('Registered client');
    expect(stderr).toContain('Signed in');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([{ id: 'ACME', price: 42 }]);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(stateDir)) expect(statSync(join(stateDir, file)).mode & 0o777).toBe(0o600);
  }, 30_000);

  it('reuses the stored sign-in and exits 1 with the reason on stderr when the tool reports an error', async () => {
    const { code, stdout, stderr } = await runClient([mcp.url, '--call', 'always-fails', '--state-dir', stateDir, '--no-browser']);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('The stocks API is unavailable');
    expect(stderr).not.toContain('Open this URL');
    expect(as.registrations).toBe(1);
  }, 30_000);

  it('fails fast when the URL command fails instead of waiting for the sign-in', async () => {
    const { code, stderr } = await runClient([mcp.url, '--list', '--logout', '--state-dir', stateDir, '--authorization-url-command', `"${process.execPath}" -e "process.exit(3)"`]);

    expect(code).toBe(1);
    expect(stderr).toContain('exited with status 3');
  }, 30_000);

  it('rejects bad usage with exit status 2', async () => {
    const { code, stderr } = await runClient(['http://mcp.example/', '--call', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain('Refusing to send access tokens over plain HTTP');
  });
});

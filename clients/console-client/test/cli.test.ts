import { spawn } from 'node:child_process';
import { unusedPort } from '@mcp-demo/testing';
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

function runClient(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['src/main.ts', ...args], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // An empty, closed stdin for the one-shot commands, which never read it.
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('console client as a program: one-shot mode, the prompt, --logout and --help', () => {
  it('signs in through the URL command, prints the tool result on stdout and exits 0', async () => {
    const browser = `"${process.execPath}" "${followRedirects}"`;
    const { code, stdout, stderr } = await runClient([mcp.url, '--call', 'fetch-stock-price', '--args', '{"id":"acme-robotics"}', '--state-dir', stateDir], { MCP_CONSOLE_BROWSER: browser });

    expect(stderr).toContain('Registered client');
    expect(stderr).toContain('Signed in');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([{ id: 'acme-robotics', price: 42 }]);
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

  it('forgets the stored registration and tokens with --logout alone, and says when nothing was stored', async () => {
    // The server's tokens, and the registration at its authorization server.
    const stored = readdirSync(stateDir);
    expect(stored).toHaveLength(2);
    expect(stored.filter((file) => file.startsWith('issuer-'))).toHaveLength(1);

    const first = await runClient([mcp.url, '--logout', '--state-dir', stateDir]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`Signed out of ${mcp.url}`);
    expect(readdirSync(stateDir)).toEqual([]);

    const again = await runClient([mcp.url, '--logout', '--state-dir', stateDir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`Nothing was stored for ${mcp.url}`);
    // Signing out needs no server and no sign-in.
    expect(as.registrations).toBe(1);
  }, 30_000);

  it('runs list, call and logout at the prompt, with the sign-in redirected to the configured callback port', async () => {
    const browser = `"${process.execPath}" "${followRedirects}"`;
    const script = ['list', 'call fetch-stock-price {"id": "acme-robotics"}', 'call', 'logout', 'quit', ''].join('\n');
    const port = await unusedPort();
    const { code, stdout, stderr } = await runClient([mcp.url, '--state-dir', stateDir, '--callback-port', String(port)], { MCP_CONSOLE_BROWSER: browser }, script);

    expect(code, stderr).toBe(0);
    expect(stdout).toContain('fetch-stock-prices');
    expect(stdout).toContain('"id": "acme-robotics"');
    expect(stdout).toContain('Signed out; the registration and tokens for this server are forgotten.');
    expect(stderr).toContain('Usage: call <tool> [json args]');
    expect(readdirSync(stateDir)).toEqual([]);
    expect(as.registrations).toBe(2);
    expect(as.lastAuthorization?.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/callback`);
  }, 30_000);

  it('fails fast when the URL command fails instead of waiting for the sign-in', async () => {
    const { code, stderr } = await runClient([mcp.url, '--list', '--logout', '--state-dir', stateDir, '--authorization-url-command', `"${process.execPath}" -e "process.exit(3)"`]);

    expect(code).toBe(1);
    expect(stderr).toContain('exited with status 3');
  }, 30_000);

  it('prints its usage with --help on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await runClient(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage \(from the repository root\):\n {2}npx node clients\/console-client\/src\/main\.ts <mcp-url> \[options\]\n {2}npm start --silent -w @mcp-demo\/console-client -- <mcp-url> \[options\]\n/);
    for (const option of ['--call <tool>', '--args <json>', '--list', '--logout', '--state-dir <dir>', '--client-metadata-url <url>', '--callback-port <port>', '--no-browser', '--authorization-url-command <cmd>', '--login-timeout <seconds>']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain('Interactive commands: list, call <tool> [json args], logout, help, quit');
  });

  it('rejects bad usage with exit status 2', async () => {
    const { code, stderr } = await runClient(['http://mcp.example/', '--call', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain('Refusing to send access tokens over plain HTTP');
  });
});

import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceProcess, startTestIssuer, type TestIssuer } from '@mcp-demo/testing';
import { AUDIENCE, MCP_CLIENT_CLAIMS } from './support.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ENV_EXAMPLE = fileURLToPath(new URL('../.env.example', import.meta.url));

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());

/** The service as its README starts it: the settings of .env.example, with `env` on top as shell variables would be. */
const start = (env: Record<string, string>) => startServiceProcess(MAIN, { envFile: ENV_EXAMPLE, env });

describe('the service process', () => {
  it('starts from .env.example, serves, stops cleanly on SIGTERM, and logs no token even at trace level', async () => {
    const service = start({ ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri, PORT: '0', LOG_LEVEL: 'trace' });
    const listening = await service.logLine('stocks API listening');
    expect(listening).toMatchObject({ service: 'stocks-api', issuer: issuer.issuer, audience: AUDIENCE });

    const url = String(listening.url);
    const token = await issuer.mint(MCP_CLIENT_CLAIMS, { audience: AUDIENCE });
    const response = await fetch(`${url}/stocks`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { region: string }).region).toBe('USA');
    const expired = await issuer.mint(MCP_CLIENT_CLAIMS, { audience: AUDIENCE, expiresIn: -60 });
    expect((await fetch(`${url}/stocks`, { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401);

    service.child.kill('SIGTERM');
    const { code, stdout } = await service.exited;
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"stopped"');
    expect(stdout).toContain('"msg":"access token accepted"');
    expect(stdout).toContain('"msg":"access token rejected"');
    for (const seen of [token, expired]) expect(stdout).not.toContain(seen.split('.')[2]);
    expect(stdout).not.toContain('eyJ');
  });

  it('refuses to start with a bad ISSUER, naming it without a stack trace', async () => {
    const { code, stderr } = await start({ ISSUER: 'not a url', JWKS_URI: issuer.jwksUri }).exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/^stocks-api failed to start: invalid configuration\n {2}- ISSUER: must be an http or https URL\n$/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to start when the stock catalogue cannot be read', async () => {
    const { code, stderr } = await start({ ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri, STOCKS_DATA_FILE: '/nonexistent/stocks.json' }).exited;
    expect(code).toBe(1);
    expect(stderr).toContain('STOCKS_DATA_FILE /nonexistent/stocks.json cannot be read (ENOENT)');
  });
});

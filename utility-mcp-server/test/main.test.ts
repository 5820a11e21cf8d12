import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceProcess, startTestIssuer, type ServiceProcess, type TestIssuer } from '@mcp-demo/testing';
import { startStocksApi, type StocksApiUnderTest } from './support/stocks-api.ts';
import { callTool, connectClient, textOf } from './support/mcp-server.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ENV_EXAMPLE = fileURLToPath(new URL('../.env.example', import.meta.url));
const LOCAL_AUDIENCE = 'http://127.0.0.1:3100/';

let issuer: TestIssuer;
let api: StocksApiUnderTest;

beforeAll(async () => {
  // The .env.example values are those of the local profile, whose MCP audience is the local entry point.
  issuer = await startTestIssuer({ exchangeSubjectAudience: LOCAL_AUDIENCE });
  api = await startStocksApi(issuer);
});
afterAll(async () => {
  await api?.stop();
  await issuer?.close();
});

/**
 * The server as its README starts it: the settings of .env.example, with only
 * the addresses of the test's stand-ins (and a free port) set on top, the way
 * shell variables win over the file.
 */
function start(overrides: Record<string, string>): ServiceProcess {
  return startServiceProcess(MAIN, { envFile: ENV_EXAMPLE, env: overrides });
}

function standIns(): Record<string, string> {
  return { PORT: '0', ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri, TOKEN_ENDPOINT: issuer.tokenEndpoint, STOCKS_API_URL: api.url };
}

describe('the server process', () => {
  it('starts from .env.example, serves a tool call, stops cleanly on SIGTERM, and logs no token or secret', async () => {
    const server = start(standIns());
    const listening = await server.logLine('MCP server listening');
    expect(listening).toMatchObject({ service: 'utility-mcp-server', resource: 'http://127.0.0.1:3100/', authorizationServer: issuer.issuer });

    const url = String(listening.url);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    const token = await issuer.mint(
      { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1 },
      { audience: LOCAL_AUDIENCE },
    );
    const client = await connectClient(url, token);
    try {
      const result = await callTool(client, 'fetch-stock-prices');
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(JSON.parse(textOf(result))).toMatchObject({ region: 'USA' });
    } finally {
      await client.close();
    }

    server.child.kill('SIGTERM');
    const { code, stdout, stderr } = await server.exited;
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('"msg":"token exchanged"');
    expect(stdout).toContain('"msg":"stopped"');
    for (const secret of [token, ...api.receivedTokens, 'Password1']) expect(stdout).not.toContain(secret);
    expect(stdout).not.toContain('eyJ');
  });

  it.each<[string, Record<string, string>, string]>([
    ['a missing CLIENT_SECRET', { CLIENT_SECRET: '' }, '  - CLIENT_SECRET: is required but not set'],
    ['a bad EXTERNAL_BASE_URL', { EXTERNAL_BASE_URL: 'mcp.demo.example' }, '  - EXTERNAL_BASE_URL: must be an http or https URL'],
    ['an HMAC algorithm', { ALGORITHMS: 'HS256' }, '  - ALGORITHMS: HS256 not allowed'],
  ])('refuses to start with %s, naming it without a stack trace', async (_case, bad, problem) => {
    const { code, stderr, stdout } = await start({ ...standIns(), ...bad }).exited;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^utility-mcp-server failed to start: invalid configuration\n/);
    expect(stderr).toContain(problem);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

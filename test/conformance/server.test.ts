import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, unusedPort, type TestIssuer } from '@mcp-demo/testing';
import conformancePackage from '@modelcontextprotocol/conformance/package.json' with { type: 'json' };
import { startMcpServer, testEnvironment, type RunningMcpServer } from '../../utility-mcp-server/test/support/mcp-server.ts';
import { startAuthorizedProxy, type AuthorizedProxy } from './support/authorized-proxy.ts';
import { expectConformant } from './support/checks.ts';
import { runServerScenario } from './support/conformance-cli.ts';
import { APPLICABLE } from './scenarios.ts';

let issuer: TestIssuer;
let server: RunningMcpServer;
let proxy: AuthorizedProxy;
let endpoint: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  // The server's public URL is the proxy's, so the audience and the server's own origin are the ones the suite talks to.
  const port = await unusedPort();
  const base = `http://127.0.0.1:${port}`;
  server = await startMcpServer(testEnvironment(issuer, undefined, { EXTERNAL_BASE_URL: base, AUDIENCE: `${base}/` }));
  const token = await issuer.mint(
    { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1 },
    { audience: `${base}/`, expiresIn: 3600 },
  );
  proxy = await startAuthorizedProxy(server.url, token, port);
  endpoint = `${proxy.url}/`;
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await issuer?.close();
});

describe(`official MCP conformance suite ${conformancePackage.version}, server scenarios that apply to a tools-only server`, () => {
  it('is pinned to an exact pre-release with 2026-07-28 scenarios', () => {
    expect(conformancePackage.version).toMatch(/^0\.2\.0-alpha\.\d+$/);
  });

  it('runs against a protected server: without the token the suite would only see 401s', async () => {
    const response = await fetch(`${server.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
  });

  it.each(APPLICABLE.map((entry) => [entry.scenario, entry.revision, entry] as const))('%s at %s', async (_scenario, _revision, entry) => {
    expectConformant(await runServerScenario(endpoint, entry.scenario, entry.revision), entry.notApplicable);
  });
});

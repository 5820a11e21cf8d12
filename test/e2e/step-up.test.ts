import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSUFFICIENT_SCOPE_MESSAGE } from '@mcp-demo/access-token';
import { startNginxGateway, type NginxGateway } from '../nginx-gateway/src/gateway.ts';
import { nginxUnavailable } from '../nginx-gateway/src/nginx.ts';
import { connectWithSignIn } from './support/mcp-session.ts';
import { runConsoleClient } from './support/console-client.ts';
import { startStack, type Stack } from './support/stack.ts';
import type { SignInRecord } from './support/step-up-sign-in.ts';

/**
 * Step-up end to end on the local profile: place-order needs stocks/trade
 * (kong/kong.yml's scope requirement). A stocks/read token gets the
 * gateway's 403 insufficient_scope, in both protocol eras, without reaching
 * the MCP server; the console client signs in again for the scopes the
 * challenge names, and the call then goes through the gateway and the MCP
 * server to the stocks API, which refuses AI agents as it always has. The
 * same again with nginx running the Lua plugin as the gateway.
 */

const SIGN_IN_SCRIPT = join(import.meta.dirname, 'support/step-up-sign-in.ts');
const JOHN = 'john.doe@demo.example';
const ORDER = { id: 'acme-robotics', side: 'buy', quantity: 5 };
const REFUSAL = 'The stocks API refused this operation to AI agents: Placing orders is not available to AI agent clients';

let workDir: string;

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/** A tools/call for place-order sent by hand, as a client of each revision sends it. */
function callPlaceOrder(stack: Stack, token: string, era: '2026-07-28' | '2025-11-25'): Promise<Response> {
  const revisionHeaders: Record<string, string> =
    era === '2026-07-28' ? { 'mcp-protocol-version': era, 'mcp-method': 'tools/call', 'mcp-name': 'place-order' } : { 'mcp-protocol-version': era };
  return fetch(stack.endpoints.external.mcp, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...revisionHeaders },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'place-order', arguments: ORDER } }),
  });
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'mcp-step-up-'));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A stocks/read token from a real sign-in (SDK v2 client). */
async function readOnlyToken(stack: Stack): Promise<string> {
  const signedIn = await connectWithSignIn(stack.endpoints.external.mcp, { email: JOHN, inbox: stack.endpoints.external.inbox });
  await signedIn.close();
  expect(signedIn.provider.savedTokens?.scope).toBe('stocks/read');
  const token = signedIn.provider.savedTokens?.access_token;
  if (!token) throw new Error('the sign-in produced no access token');
  return token;
}

/** Both eras' place-order calls with a stocks/read token get the gateway's challenge. */
async function expectGatewayChallenge(stack: Stack, token: string): Promise<void> {
  for (const era of ['2026-07-28', '2025-11-25'] as const) {
    const response = await callPlaceOrder(stack, token, era);
    expect(response.status, era).toBe(403);
    // The gateway's attribute order (resource_metadata before scope) tells its challenge from the MCP server's.
    expect(response.headers.get('www-authenticate'), era).toBe(
      `Bearer error="insufficient_scope", error_description="${INSUFFICIENT_SCOPE_MESSAGE}", resource_metadata="${stack.endpoints.external.protectedResourceMetadata}", scope="stocks/read stocks/trade"`,
    );
    expect(await response.json(), era).toEqual({ code: 'insufficient_scope', message: INSUFFICIENT_SCOPE_MESSAGE });
  }
}

/** The real console client calls place-order from scratch; returns its run and the sign-ins its "browser" made. */
async function consoleClientPlacesOrder(stack: Stack): Promise<{ code: number | null; stderr: string; signIns: SignInRecord[] }> {
  const stateDir = mkdtempSync(join(workDir, 'console-'));
  const signInLog = join(stateDir, 'sign-ins.jsonl');
  const result = await runConsoleClient(
    [
      stack.endpoints.external.mcp,
      '--call',
      'place-order',
      '--args',
      JSON.stringify(ORDER),
      '--state-dir',
      stateDir,
      '--authorization-url-command',
      [process.execPath, SIGN_IN_SCRIPT].map(quote).join(' '),
      '--login-timeout',
      '60',
    ],
    { STEP_UP_EMAIL: JOHN, STEP_UP_INBOX: stack.endpoints.external.inbox, STEP_UP_SIGN_IN_LOG: signInLog },
  );
  const signIns = readFileSync(signInLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SignInRecord);
  return { code: result.code, stderr: result.stderr, signIns };
}

/** Two sign-ins, the second for both scopes with the trading consent; the result is the API's refusal. */
function expectSteppedUpToRefusal(run: { code: number | null; stderr: string; signIns: SignInRecord[] }): void {
  expect(run.signIns.map((record) => record.error ?? 'ok'), run.stderr).toEqual(['ok', 'ok']);
  expect(run.signIns.map((record) => record.scope)).toEqual(['stocks/read', 'stocks/read stocks/trade']);
  // The second consent names the new permission.
  expect(run.signIns[1]?.consentHtml).toContain('id="scope-stocks-trade"');
  // The tool ran: its result is the API's refusal, not the gateway's 403.
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).toContain(REFUSAL);
}

describe('step-up to stocks/trade for place-order, Node gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the gateway answers a stocks/read token with 403 insufficient_scope naming stocks/read and stocks/trade, in both eras, before the MCP server', async () => {
    const token = await readOnlyToken(stack);
    const mcpServerLines = () => stack.logLines('utility-mcp-server').filter((line) => line.msg === 'request completed').length;
    await stack.logsSettled();
    const gatewayBefore = stack.logLines('gateway').length;
    const mcpServerBefore = mcpServerLines();
    await expectGatewayChallenge(stack, token);
    await stack.logsSettled();
    expect(mcpServerLines(), 'the MCP server saw neither call').toBe(mcpServerBefore);
    const refused = stack.logLines('gateway').slice(gatewayBefore).filter((line) => line.msg === 'request completed' && line.status === 403);
    // The access line names the method and tool when the client sends the headers (2026-07-28).
    expect(refused.map((line) => [line.mcpMethod, line.mcpName])).toEqual([
      ['tools/call', 'place-order'],
      [undefined, undefined],
    ]);

    const other = await fetch(stack.endpoints.external.mcp, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fetch-stock-price', arguments: { id: 'acme-robotics' } } }),
    });
    expect(other.status, 'other tools still need only stocks/read').toBe(200);
  });

  it('the console client steps up, signing in again for both scopes, and the call reaches the API, which refuses the AI agent', async () => {
    expectSteppedUpToRefusal(await consoleClientPlacesOrder(stack));
    await stack.logsSettled();
    const refusals = stack.logLines('stocks-api').filter((line) => line.status === 403 && typeof line.path === 'string' && line.path.includes('/orders'));
    expect(refusals.length, 'the stocks API was asked and refused').toBeGreaterThan(0);
    const passed = stack.logLines('gateway').filter((line) => line.msg === 'request completed' && line.mcpName === 'place-order');
    expect(passed.map((line) => line.status)).toEqual(expect.arrayContaining([403, 200]));
  });
});

const unavailable = nginxUnavailable();

describe.skipIf(unavailable)('step-up to stocks/trade for place-order, nginx + the Lua plugin as gateway', () => {
  let stack: Stack;
  let gateway: NginxGateway | undefined;
  beforeAll(async () => {
    stack = await startStack({ gateway: async (options) => (gateway = await startNginxGateway(options)) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("answers both eras' place-order calls with the same 403 challenge, and logs the method and tool in Kong's access format", async () => {
    await expectGatewayChallenge(stack, await readOnlyToken(stack));
    const lines = gateway?.nginx.accessLog().split('\n') ?? [];
    expect(lines.filter((line) => /" 403 .* mcp_method="tools\/call" mcp_name="place-order"$/.test(line))).toHaveLength(1);
    expect(lines.filter((line) => /" 403 .* mcp_method="-" mcp_name="-"$/.test(line))).toHaveLength(1);
  });

  it('lets the console client step up to the API refusal', async () => {
    expectSteppedUpToRefusal(await consoleClientPlacesOrder(stack));
  });
});

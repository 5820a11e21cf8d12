import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '@mcp-demo/testing';
import { startStocksApi, type StocksApiUnderTest } from './support/stocks-api.ts';
import { callTool, connectModernClient, MCP_AUDIENCE, startMcpServer, testEnvironment, type RunningMcpServer } from './support/mcp-server.ts';

const john = { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1, client_id: 'agent-1' };

let issuer: TestIssuer;
let api: StocksApiUnderTest;
const started: RunningMcpServer[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  api = await startStocksApi(issuer);
});
afterAll(async () => {
  for (const server of started) await server.close();
  await api?.stop();
  await issuer?.close();
});

/** The parsed log lines of one tool call made on a fresh server at `level`, after a first call that warmed it up. */
async function linesOfOneToolCall(level: string): Promise<Array<Record<string, unknown>>> {
  const server = await startMcpServer(testEnvironment(issuer, api.url), level);
  started.push(server);
  const client = await connectModernClient(server.url, await issuer.mint(john, { audience: MCP_AUDIENCE }));
  try {
    await callTool(client, 'fetch-stock-prices');
    const before = server.logs.length;
    const result = await callTool(client, 'fetch-stock-prices');
    expect(result.isError).toBeFalsy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return server.logs.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
  } finally {
    await client.close();
  }
}

describe('per-request logging', () => {
  it('writes one access line for a successful tool call at info, and nothing else', async () => {
    const lines = await linesOfOneToolCall('info');
    expect(lines.map((line) => line.msg)).toEqual(['request completed']);
    expect(lines[0]).toMatchObject({ level: 30, method: 'POST', path: '/', status: 200, requestId: expect.any(String) });
  });

  it('adds the tool success line, with the same request id, at debug', async () => {
    const lines = await linesOfOneToolCall('debug');
    const success = lines.find((line) => line.msg === 'tool call succeeded');
    const access = lines.find((line) => line.msg === 'request completed');
    expect(success).toMatchObject({ level: 20, tool: 'fetch-stock-prices' });
    expect(success?.requestId).toBe(access?.requestId);
  });
});

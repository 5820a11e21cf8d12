import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { luaRuntimeErrors, nginxUnavailable } from '../nginx-gateway/src/nginx.ts';
import { startNginxGateway, type NginxGateway } from '../nginx-gateway/src/gateway.ts';
import { describeScenarios } from './scenarios/index.ts';
import { connectWithSignIn, textOf } from './support/mcp-session.ts';
import { startStack, type Stack } from './support/stack.ts';

/**
 * The same written-once scenarios as flow.test.ts, with nginx running the
 * Kong phantom-token plugin (kong/plugins/phantom-token, unchanged) as the
 * local profile's gateway instead of the Node one: routes generated from
 * kong/kong.yml, the real authorization server's introspection endpoint,
 * the real MCP server and stocks API behind it.
 */
const unavailable = nginxUnavailable();
let stack: Stack | undefined;
let gateway: NginxGateway | undefined;

beforeAll(async () => {
  if (unavailable) return;
  stack = await startStack({
    gateway: async (options) => {
      gateway = await startNginxGateway(options);
      return gateway;
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

function running(): Stack {
  if (!stack) throw new Error('the local profile with the nginx gateway did not start');
  return stack;
}

describe.skipIf(unavailable)('local profile, nginx + Lua phantom-token plugin as gateway', () => {
  describeScenarios('local (nginx gateway)', () => (stack ? { endpoints: stack.endpoints.external, fetch } : undefined));
});

describe.skipIf(unavailable)('nginx gateway serving kong.yml', () => {
  it("lists Kong's bundled plugins as skipped, with the reason, and runs phantom-token", () => {
    const skipped = gateway?.skipped ?? [];
    expect(skipped.some((line) => /plugin cors \(route mcp-server-route\): one of Kong's bundled plugins/.test(line)), skipped.join('\n')).toBe(true);
    expect(skipped.some((line) => line.includes('plugin phantom-token'))).toBe(false);
  });

  it('introspects a token once however many calls it makes: the cache serves the rest', async () => {
    const s = running();
    const introspections = () =>
      s.logLines('authorization-server').filter((line) => line.msg === 'request completed' && line.path === '/oauth/v2/oauth-introspect').length;
    await s.logsSettled();
    const before = introspections();
    const session = await connectWithSignIn(s.endpoints.external.mcp, { email: 'john.doe@demo.example', inbox: s.endpoints.external.inbox });
    try {
      for (let call = 0; call < 5; call += 1) {
        const result = (await session.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult;
        expect(result.isError ?? false, textOf(result)).toBe(false);
      }
    } finally {
      await session.close();
    }
    await s.logsSettled();
    expect(introspections() - before).toBe(1);
  });

  it('logs the plugin at work, and no Lua runtime error', async () => {
    const s = running();
    const before = gateway?.nginx.errorLog().length ?? 0;
    // A made-up token of its own: introspected, found inactive, and logged as such (info).
    const response = await fetch(s.endpoints.external.mcp, {
      method: 'POST',
      headers: { authorization: `Bearer made-up-${Date.now()}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    const log = gateway?.nginx.errorLog() ?? '';
    expect(log.slice(before)).toMatch(/\[kong\] \[phantom-token\][^\n]*inactive/);
    expect(luaRuntimeErrors(log)).toEqual([]);
  });
});

if (unavailable) {
  describe('local profile, nginx + Lua phantom-token plugin as gateway', () => {
    it.skip(`needs nginx with lua-nginx-module: ${unavailable}`, () => {});
  });
}

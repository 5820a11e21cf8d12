import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeScenarios } from './scenarios/index.ts';
import { connectWithSignIn } from './support/mcp-session.ts';
import { startStack, type Stack } from './support/stack.ts';

/**
 * The written-once scenarios, in both client eras, against the local profile
 * scaled out: two MCP server replicas and two authorization server nodes
 * sharing one PostgreSQL (the launcher starts a throwaway one), behind the
 * gateway's balancer. A sign-in, its tokens and the phantom-token
 * introspection then cross nodes, which only works when they share state.
 */
let stack: Stack | undefined;

beforeAll(async () => {
  stack = await startStack({ env: { MCP_SERVER_REPLICAS: '2', AUTHORIZATION_SERVER_REPLICAS: '2' } });
});

afterAll(async () => {
  await stack?.stop();
});

describe('local profile, 2 MCP servers and 2 authorization server nodes on PostgreSQL', () => {
  describeScenarios('local (replicas)', () => (stack ? { endpoints: stack.endpoints.external, fetch } : undefined));

  describe('behind the balancer', () => {
    it('runs every replica', () => {
      expect(stack?.serviceNames()).toEqual(expect.arrayContaining(['authorization-server', 'authorization-server-2', 'utility-mcp-server', 'utility-mcp-server-2']));
    });

    it('carries on with the first authorization server node stopped: sign-in, introspection, token exchange and JWKS on the other', async () => {
      const running = stack;
      if (!running) throw new Error('the local profile with replicas did not start');
      await running.stopService('authorization-server');
      try {
        const session = await connectWithSignIn(running.endpoints.external.mcp, { email: 'jane.test@demo.example', inbox: running.endpoints.external.inbox });
        try {
          const result = (await session.client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as { isError?: boolean; content?: unknown };
          expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
        } finally {
          await session.close();
        }
      } finally {
        await running.startService('authorization-server');
      }
    });

    it('spread the scenarios over both nodes of each', async () => {
      const running = stack;
      if (!running) throw new Error('the local profile with replicas did not start');
      await running.logsSettled();
      const served = (service: string) => running.logLines(service).filter((line) => line.msg === 'request completed').length;
      for (const service of ['authorization-server', 'authorization-server-2', 'utility-mcp-server', 'utility-mcp-server-2']) {
        expect(served(service), `${service} served no request`).toBeGreaterThan(0);
      }
    });
  });
});

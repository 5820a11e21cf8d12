import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createLogger } from '@mcp-demo/service-kit';
import { parseKongConfig } from '../../gateway/config.ts';
import { createRequestHandler, type RuntimeRoute } from '../../gateway/gateway.ts';
import { createBalancer } from '../../gateway/balancer.ts';
import { createRouter } from '../../gateway/routing.ts';
import type { GatewayPlugin } from '../../gateway/plugins/types.ts';
import { send, startServer, type TestServer } from './helpers.ts';

/**
 * An unexpected failure inside the gateway is answered with 500 and logged
 * with the project's errorFields: name, code and a redacted message, never a
 * stack trace or the token that may sit in an error message.
 */

describe('errors inside the gateway', () => {
  const lines: Record<string, unknown>[] = [];
  let server: TestServer;
  let pool: Pool;
  beforeAll(async () => {
    const config = parseKongConfig('_format_version: "3.0"\nservices:\n  - name: s\n    url: http://s:1\n    routes:\n      - name: r\n        hosts: [a.test]\n', 'kong.yml');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const failing: GatewayPlugin = {
      name: 'failing',
      priority: 1,
      access() {
        throw new TypeError('cannot read property of undefined for token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
      },
    };
    pool = new Pool('http://127.0.0.1:1');
    const route = config.routes[0];
    if (!route) throw new Error('no route');
    const runtime = new Map<typeof route, RuntimeRoute>([
      [route, { plugins: [failing], balancer: createBalancer([{ target: { origin: 'http://127.0.0.1:1', host: 's:1', dispatcher: pool }, weight: 1 }]), retries: 0, writeTimeoutMs: 1000, readTimeoutMs: 1000 }],
    ]);
    server = await startServer(
      createRequestHandler({ host: 'a.test', port: () => server.port, router: createRouter(config.routes), runtime: () => runtime, bodyLimitBytes: 1024, logger: createLogger('gateway', 'info', sink) }),
    );
  });
  afterAll(async () => {
    await server.close();
    await pool.close();
  });

  it('answers 500 and logs the error by name and redacted message, without a stack', async () => {
    const reply = await send(`${server.origin}/`);
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ code: 'server_error', message: 'An unexpected error occurred' });
    const entry = lines.find((line) => line.msg === 'request failed inside the gateway');
    expect(entry).toMatchObject({ errorName: 'TypeError', errorMessage: expect.stringContaining('cannot read property') });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('"stack"');
    expect(text).not.toContain('error-logging.test.ts');
    expect(text).not.toContain('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0');
  });

  it('records the MCP method and tool names of the request headers in the access line, and only plain identifiers', async () => {
    await send(`${server.origin}/`, { headers: { 'mcp-method': 'tools/call', 'mcp-name': 'fetch-stock-prices' } });
    await send(`${server.origin}/`, { headers: { 'mcp-method': 'tools/call', 'mcp-name': 'x", "admin": true' } });
    // The access line is written when the server side closes, which may follow the reply.
    const accessLines = () => lines.filter((line) => line.msg === 'request completed' && 'mcpMethod' in line);
    await expect.poll(() => accessLines().length).toBe(2);
    const access = accessLines();
    expect(access.at(-2)).toMatchObject({ mcpMethod: 'tools/call', mcpName: 'fetch-stock-prices' });
    expect(access.at(-1)).toMatchObject({ mcpMethod: 'tools/call' });
    expect(access.at(-1)).not.toHaveProperty('mcpName');
  });
});

import { expect } from 'vitest';
import type { ClientEra, Exchange } from '../support/mcp-session.ts';

/**
 * What a client of each era must have put on the wire to the MCP entry
 * point. A 2026-07-28 client sends no `initialize` and carries
 * `MCP-Protocol-Version: 2026-07-28` and an `Mcp-Method` equal to the body's
 * method on every request (and `Mcp-Name` on tools/call): a client that fell
 * back to the previous revision fails here. A 2025-11-25 client starts with
 * `initialize` and then names 2025-11-25 on every request.
 */
export function expectRevisionOnTheWire(wire: Exchange[], mcpUrl: string, era: ClientEra): void {
  const messages = wire.filter((exchange) => exchange.method === 'POST' && exchange.url === mcpUrl && exchange.rpcMethod !== undefined);
  const methods = messages.map((exchange) => exchange.rpcMethod);
  const served = (method: string) => messages.some((exchange) => exchange.rpcMethod === method && exchange.status === 200);
  expect(served('tools/list') && served('tools/call'), `tools/list and tools/call answered 200 among ${methods.join(', ')}`).toBe(true);

  if (era === '2026-07-28') {
    expect(methods).not.toContain('initialize');
    for (const exchange of messages) {
      const what = `${exchange.rpcMethod} (answered ${exchange.status})`;
      expect(exchange.requestHeaders.get('mcp-protocol-version'), what).toBe('2026-07-28');
      expect(exchange.requestHeaders.get('mcp-method'), what).toBe(exchange.rpcMethod);
      if (exchange.rpcMethod === 'tools/call') expect(exchange.requestHeaders.get('mcp-name'), what).toBe(exchange.rpcName);
    }
    return;
  }

  expect(methods).toContain('initialize');
  const initialized = messages.filter((exchange) => exchange.rpcMethod === 'initialize' && exchange.status === 200);
  expect(initialized.length, 'no initialize was answered').toBeGreaterThan(0);
  for (const exchange of initialized) expect((JSON.parse(exchange.body) as { result?: { protocolVersion?: string } }).result?.protocolVersion).toBe(era);
  for (const exchange of messages.filter((candidate) => candidate.rpcMethod !== 'initialize')) {
    expect(exchange.requestHeaders.get('mcp-protocol-version'), `${exchange.rpcMethod} (answered ${exchange.status})`).toBe(era);
  }
}

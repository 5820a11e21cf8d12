import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWrk } from '../wrk.ts';

/** Answers POST /ok with a tool result, POST /tool-error with a tool error, POST /rpc-error with a JSON-RPC error, anything else 500. */
function startAnswering(): Promise<{ server: Server; url: string }> {
  const answers: Record<string, string> = {
    '/ok': '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{}"}]}}',
    '/tool-error': '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"no"}],"isError":true}}',
    '/rpc-error': '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Tool x not found"}}',
  };
  const server = createServer((request, response) => {
    request.resume();
    const answer = answers[request.url ?? ''];
    const sawBody = request.headers['content-type'] === 'application/json' && request.method === 'POST';
    if (!answer || !sawBody || request.headers.authorization !== 'Bearer t') {
      response.writeHead(500).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
    }),
  );
}

describe('runWrk', () => {
  let target: { server: Server; url: string };
  beforeAll(async () => {
    target = await startAnswering();
  });
  afterAll(() => {
    target.server.closeAllConnections();
    target.server.close();
  });

  const toolCall = (path: string) => ({
    url: `${target.url}${path}`,
    method: 'POST' as const,
    headers: { authorization: 'Bearer t' },
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/call"}',
    contentType: 'application/json',
    expectToolResult: true,
  });

  it('sends the method, body and headers it is given, and counts completed requests without failures', async () => {
    const result = await runWrk(toolCall('/ok'), 2, 1);
    expect(result.requests).toBeGreaterThan(0);
    expect(result.failures).toBe(0);
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
  });

  it('counts a 200 that carries a tool error or a JSON-RPC error as a failure', async () => {
    for (const path of ['/tool-error', '/rpc-error']) {
      const result = await runWrk(toolCall(path), 2, 1);
      expect(result.requests).toBeGreaterThan(0);
      expect(result.failures).toBe(result.requests);
    }
  });

  it('counts answers outside 2xx and 3xx as failures', async () => {
    const result = await runWrk({ url: `${target.url}/ok`, method: 'GET', headers: {} }, 2, 1);
    expect(result.requests).toBeGreaterThan(0);
    expect(result.failures).toBe(result.requests);
  });
});

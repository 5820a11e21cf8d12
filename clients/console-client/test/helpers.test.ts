import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatToolResult, formatTools } from '../src/format.ts';
import { checkAuthorizationRequest } from '../src/oauth/authorization-check.ts';
import { splitCommand } from '../src/oauth/browser.ts';
import { parseReplCommand } from '../src/repl.ts';

describe('REPL commands', () => {
  it.each([
    ['list', { kind: 'list' }],
    ['  call fetch-stock-prices  ', { kind: 'call', tool: 'fetch-stock-prices', args: {} }],
    ['call fetch-stock-prices {"id": "A B"}', { kind: 'call', tool: 'fetch-stock-prices', args: { id: 'A B' } }],
    ['logout', { kind: 'logout' }],
    ['HELP', { kind: 'help' }],
    ['quit', { kind: 'quit' }],
    ['exit', { kind: 'quit' }],
    ['', { kind: 'empty' }],
  ])('parses %j', (line, command) => {
    expect(parseReplCommand(line)).toEqual(command);
  });

  it.each([
    ['call', 'Usage: call <tool>'],
    ['call x {oops', 'not valid JSON'],
    ['call x [1,2]', 'must be a JSON object'],
    ['dance', 'Unknown command "dance"'],
  ])('explains what is wrong with %j', (line, message) => {
    const command = parseReplCommand(line);
    expect(command.kind).toBe('invalid');
    expect(command.kind === 'invalid' && command.message).toContain(message);
  });
});

describe('output formatting', () => {
  it('indents JSON text and keeps plain text', () => {
    expect(formatToolResult({ content: [{ type: 'text', text: '[{"id":"A","price":1}]' }] })).toBe('[\n  {\n    "id": "A",\n    "price": 1\n  }\n]');
    expect(formatToolResult({ content: [{ type: 'text', text: 'plain words' }] })).toBe('plain words');
  });

  it('prints structured content once, not again as its JSON text copy', () => {
    const text = formatToolResult({ structuredContent: { prices: [1] }, content: [{ type: 'text', text: '{"prices":[1]}' }, { type: 'text', text: 'note' }] });
    expect(text).toBe('{\n  "prices": [\n    1\n  ]\n}\nnote');
  });

  it('describes tools with their arguments', () => {
    const text = formatTools([
      {
        name: 'fetch-stock-prices',
        description: 'Stock prices',
        inputSchema: { type: 'object', properties: { id: { type: 'string', description: 'Stock id' } }, required: ['id'] },
      },
    ]);
    expect(text).toContain('fetch-stock-prices');
    expect(text).toContain('id (string, required) - Stock id');
    expect(formatTools([])).toBe('The server offers no tools.');
  });
});

describe('authorization URL command', () => {
  it('splits words and honours quotes', () => {
    expect(splitCommand('node  drive.ts --headless')).toEqual(['node', 'drive.ts', '--headless']);
    expect(splitCommand(`"/opt/my tools/node" 'a b' c\\ d ""`)).toEqual(['/opt/my tools/node', 'a b', 'c d', '']);
    expect(() => splitCommand('node "unterminated')).toThrow('Unterminated');
  });
});

describe('authorization request check', () => {
  async function withEndpoint(answer: (url: URL) => { status: number; headers?: Record<string, string>; body?: string }, run: (base: string) => Promise<void>) {
    const server = createServer((req, res) => {
      const reply = answer(new URL(req.url ?? '/', 'http://x'));
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.close();
    }
  }

  const redirect = 'http://127.0.0.1:5555/callback';

  it('accepts a redirect to the sign-in page', () =>
    withEndpoint(
      () => ({ status: 303, headers: { Location: '/interaction/abc' } }),
      async (base) => {
        expect(await checkAuthorizationRequest(new URL(`${base}/authorize`), redirect)).toEqual({ kind: 'accepted' });
      },
    ));

  it('reports an error the server sends to the redirect URI', () =>
    withEndpoint(
      () => ({ status: 303, headers: { Location: `${redirect}?error=invalid_target&error_description=Unknown+resource&state=s` } }),
      async (base) => {
        expect(await checkAuthorizationRequest(new URL(`${base}/authorize`), redirect)).toEqual({ kind: 'error-response', error: 'invalid_target', description: 'Unknown resource' });
      },
    ));

  it('reports a refusal with the error code found in the page', () =>
    withEndpoint(
      () => ({ status: 400, headers: { 'Content-Type': 'text/html' }, body: '<pre>error: invalid_client\nerror_description: client is invalid</pre>' }),
      async (base) => {
        expect(await checkAuthorizationRequest(new URL(`${base}/authorize`), redirect)).toEqual({ kind: 'refused', status: 400, error: 'invalid_client' });
      },
    ));
});

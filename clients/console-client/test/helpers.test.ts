import { describe, expect, it } from 'vitest';
import { formatToolResult, formatTools } from '../src/format.ts';
import { splitCommand } from '../src/oauth/browser.ts';
import { parseReplCommand } from '../src/repl.ts';

describe('REPL commands', () => {
  it.each([
    ['list', { kind: 'list' }],
    ['  call fetch-stock-prices  ', { kind: 'call', tool: 'fetch-stock-prices', args: {} }],
    ['call fetch-stock-price {"id": "A B"}', { kind: 'call', tool: 'fetch-stock-price', args: { id: 'A B' } }],
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

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FETCH_STOCK_PRICE } from '../../../utility-mcp-server/src/mcp/tools/fetch-stock-price.ts';
import { FETCH_STOCK_PRICES } from '../../../utility-mcp-server/src/mcp/tools/fetch-stock-prices.ts';
import { parseCommandLine, USAGE, UsageError, type ConsoleOptions } from '../src/args.ts';
import { parseReplCommand, REPL_HELP } from '../src/repl.ts';

function options(argv: string[], env: Record<string, string | undefined> = {}): ConsoleOptions {
  const parsed = parseCommandLine(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed.options;
}

describe('command line', () => {
  it('defaults to the interactive mode with the system browser and a free callback port', () => {
    const parsed = options(['https://mcp.demo.example'], { XDG_STATE_HOME: '/home/me/.state' });
    expect(parsed).toMatchObject({
      serverUrl: 'https://mcp.demo.example/',
      stateDirectory: '/home/me/.state/mcp-console-client',
      callbackPort: 0,
      browser: { kind: 'system' },
      signInTimeoutSeconds: 300,
      command: { kind: 'interactive' },
      logout: false,
    });
  });

  it('parses the one-shot call with JSON arguments', () => {
    const parsed = options(['http://127.0.0.1:3100/', '--call', 'fetch-stock-price', '--args', '{"id":"acme-robotics"}', '--callback-port', '8090', '--state-dir', '/tmp/s']);
    expect(parsed.command).toEqual({ kind: 'call', tool: 'fetch-stock-price', args: { id: 'acme-robotics' } });
    expect(parsed.callbackPort).toBe(8090);
    expect(parsed.stateDirectory).toBe('/tmp/s');
  });

  it('takes the browser command from the option or MCP_CONSOLE_BROWSER', () => {
    expect(options(['https://mcp.demo.example/', '--authorization-url-command', 'drive-chromium --headless']).browser).toEqual({ kind: 'command', command: 'drive-chromium --headless' });
    expect(options(['https://mcp.demo.example/'], { MCP_CONSOLE_BROWSER: 'node drive.ts' }).browser).toEqual({ kind: 'command', command: 'node drive.ts' });
    expect(options(['https://mcp.demo.example/', '--no-browser'], { MCP_CONSOLE_BROWSER: 'node drive.ts' }).browser).toEqual({ kind: 'print' });
  });

  it('accepts https and loopback client ID metadata document URLs', () => {
    expect(options(['https://mcp.demo.example/', '--client-metadata-url', 'https://www.client.example/console-client.json']).clientMetadataUrl).toBe(
      'https://www.client.example/console-client.json',
    );
    expect(options(['http://127.0.0.1:3100/', '--client-metadata-url', 'http://127.0.0.1:3104/console-client.json']).clientMetadataUrl).toBe(
      'http://127.0.0.1:3104/console-client.json',
    );
  });

  it('takes pre-registered credentials from --client-id with the secret from the environment, or from a file', () => {
    expect(options(['https://mcp.demo.example/']).preRegistered).toBeUndefined();
    expect(options(['https://mcp.demo.example/', '--client-id', 'console-1']).preRegistered).toEqual({ client_id: 'console-1' });
    expect(options(['https://mcp.demo.example/', '--client-id', 'console-1'], { MCP_CONSOLE_CLIENT_SECRET: 'Password1' }).preRegistered).toEqual({
      client_id: 'console-1',
      client_secret: 'Password1',
    });
    const dir = mkdtempSync(join(tmpdir(), 'console-args-'));
    try {
      const file = join(dir, 'client.json');
      writeFileSync(file, JSON.stringify({ client_id: 'console-2', client_secret: 'Password1' }));
      expect(options(['https://mcp.demo.example/', '--client-credentials', file]).preRegistered).toEqual({ client_id: 'console-2', client_secret: 'Password1' });
      writeFileSync(file, JSON.stringify({ client_secret: 'Password1' }));
      expect(() => options(['https://mcp.demo.example/', '--client-credentials', file])).toThrow(/must hold a "client_id" string/);
      expect(() => options(['https://mcp.demo.example/', '--client-credentials', join(dir, 'missing.json')])).toThrow(UsageError);
      expect(() => options(['https://mcp.demo.example/', '--client-credentials', file, '--client-id', 'x'])).toThrow(/cannot be combined/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recognises help, version and logout alone', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h', 'https://x.example/'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
    expect(options(['https://mcp.demo.example/', '--logout']).command).toEqual({ kind: 'logout-only' });
    expect(options(['https://mcp.demo.example/', '--logout', '--list'])).toMatchObject({ logout: true, command: { kind: 'list' } });
  });

  it.each([
    [[], 'Missing the MCP server URL'],
    [['not a url'], 'is not a URL'],
    [['ftp://mcp.demo.example/'], 'must use https'],
    [['http://mcp.demo.example/'], 'Refusing to send access tokens over plain HTTP to mcp.demo.example'],
    [['https://a.example/', 'https://b.example/'], 'Expected one MCP server URL'],
    [['https://a.example/', '--call', 'x', '--list'], 'cannot be combined'],
    [['https://a.example/', '--args', '{}'], '--args only goes with --call'],
    [['https://a.example/', '--call', 'x', '--args', '[1]'], 'must be a JSON object'],
    [['https://a.example/', '--call', 'x', '--args', '{bad'], 'could not parse'],
    [['https://a.example/', '--callback-port', '70000'], '--callback-port must be a port number'],
    [['https://a.example/', '--login-timeout', '0'], '--login-timeout must be a whole number'],
    [['https://a.example/', '--client-metadata-url', 'http://www.client.example/c.json'], 'must be an https URL'],
    [['https://a.example/', '--client-metadata-url', 'https://www.client.example/'], 'must name a document'],
    [['https://a.example/', '--no-browser', '--authorization-url-command', 'x'], 'cannot be combined'],
    [['https://a.example/', '--unknown'], "Unknown option '--unknown'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommandLine(argv, {})).toThrow(UsageError);
    expect(() => parseCommandLine(argv, {})).toThrow(message);
  });
});

describe('the examples in the help', () => {
  const stockIds = (JSON.parse(readFileSync(join(import.meta.dirname, '../../../stocks-api/data/stocks.json'), 'utf8')) as { stocks: Array<{ id: string }> }).stocks.map((stock) => stock.id);

  /** A call must name one of the MCP server's stock tools with arguments it accepts: the list takes none, one stock its id. */
  function expectRealCall(tool: string, args: Record<string, unknown>): void {
    expect([FETCH_STOCK_PRICES, FETCH_STOCK_PRICE]).toContain(tool);
    if (tool === FETCH_STOCK_PRICES) expect(args).toEqual({});
    else expect(stockIds).toContain(args.id);
  }

  it('call real tools with arguments they accept, on the command line', () => {
    const examples = USAGE.split('\n').filter((line) => line.includes('main.ts http'));
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      // Words after main.ts, a single-quoted JSON argument kept whole.
      const argv = [...(example.split('main.ts ')[1] ?? '').matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
      const { command } = options(argv);
      expect(command.kind, example).toBe('call');
      if (command.kind === 'call') expectRealCall(command.tool, command.args);
    }
  });

  it('call a real tool with arguments it accepts, at the prompt', () => {
    const example = /e\.g\. (call .*)$/m.exec(REPL_HELP)?.[1] ?? '';
    const command = parseReplCommand(example);
    expect(command.kind, example).toBe('call');
    if (command.kind === 'call') expectRealCall(command.tool, command.args);
  });
});

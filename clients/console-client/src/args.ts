import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BrowserMode } from './oauth/browser.ts';
import type { PreRegisteredClient } from './oauth/provider.ts';
import { defaultStateDirectory } from './state/store.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ConsoleOptions {
  serverUrl: string;
  stateDirectory: string;
  /** A client ID metadata document URL given with --client-metadata-url. */
  clientMetadataUrl: string | undefined;
  /** Without --client-metadata-url: look for the document the deployment publishes (off with --no-client-metadata). */
  publishedClientMetadata: boolean;
  /** Credentials registered beforehand, from --client-id (+ MCP_CONSOLE_CLIENT_SECRET) or --client-credentials. */
  preRegistered: PreRegisteredClient | undefined;
  callbackPort: number;
  browser: BrowserMode;
  clientName: string;
  signInTimeoutSeconds: number;
  verbose: boolean;
  logout: boolean;
  /** One-shot mode: what to do instead of starting the REPL. */
  command: { kind: 'interactive' } | { kind: 'list' } | { kind: 'call'; tool: string; args: Record<string, unknown> } | { kind: 'logout-only' };
}

export type CommandLine = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: ConsoleOptions };

export const USAGE = `Usage (from the repository root):
  npx node clients/console-client/src/main.ts <mcp-url> [options]
  npm start --silent -w @mcp-demo/console-client -- <mcp-url> [options]

Connects to an MCP server protected with OAuth, signing in through the
browser when needed, then offers a prompt (or runs one command and exits).

Options:
  --call <tool>                     Call one tool, print its result to stdout and exit
                                    (exit status 1 when the call fails or the tool reports an error)
  --args <json>                     Arguments for --call, as a JSON object (default {})
  --list                            List the server's tools and exit
  --logout                          Forget the stored registration and tokens for <mcp-url>
                                    (on its own: then exit; with --call/--list: then sign in afresh)
  --state-dir <dir>                 Where registrations and tokens are kept
                                    (default $XDG_STATE_HOME/mcp-console-client or ~/.local/state/mcp-console-client)
  --client-id <id>                  Use this pre-registered client id (its secret, if any, in the
                                    environment variable MCP_CONSOLE_CLIENT_SECRET); nothing is registered
  --client-credentials <file>       The same from a JSON file {"client_id": "...", "client_secret": "..."}
  --client-metadata-url <url>       Use this client ID metadata document as the client id when the
                                    authorization server supports it, instead of registering dynamically
                                    (https; plain http only on a loopback address, for local development).
                                    Default: the document this deployment publishes for the console client
                                    (found in the local launcher's endpoints file, or www.client.example
                                    for the Docker profiles), when it answers
  --no-client-metadata              Register dynamically even where a client ID metadata document is
                                    published
  --callback-port <port>            Loopback port for the sign-in redirect (default: any free port)
  --no-browser                      Only print the sign-in URL; do not open a browser
  --authorization-url-command <cmd> Run <cmd> with the sign-in URL as its last argument instead of
                                    opening the system browser (also: MCP_CONSOLE_BROWSER=<cmd>)
  --client-name <name>              client_name to register with (default "MCP Console Client")
  --login-timeout <seconds>         How long to wait for the sign-in to complete (default 300)
  -v, --verbose                     Print every HTTP request (method, URL without query, status)
  -h, --help                        Show this help
  --version                         Print the version

Examples:
  npx node clients/console-client/src/main.ts http://127.0.0.1:3100/ --call fetch-stock-prices
  npx node clients/console-client/src/main.ts http://127.0.0.1:3100/ --call fetch-stock-price --args '{"id":"acme-robotics"}'

Interactive commands: list, call <tool> [json args], logout, help, quit
`;

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--callback-port must be a port number between 0 and 65535, not "${value}"`);
  return port;
}

function parsePositiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 1) throw new UsageError(`--login-timeout must be a whole number of seconds, not "${value}"`);
  return seconds;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function parseServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`"${value}" is not a URL; give the MCP server's URL, e.g. https://mcp.demo.example/`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`The MCP server URL must use https (or http on a loopback address), not ${url.protocol}`);
  // Access tokens travel with every request; plain HTTP is only acceptable when they never leave the machine.
  if (url.protocol === 'http:' && !isLoopback(url)) {
    throw new UsageError(`Refusing to send access tokens over plain HTTP to ${url.host}; use https (plain http is accepted for loopback addresses only)`);
  }
  if (url.username || url.password) throw new UsageError('The MCP server URL must not contain credentials');
  url.hash = '';
  return url.href;
}

function parseClientMetadataUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--client-metadata-url "${value}" is not a URL`);
  }
  const allowedScheme = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url));
  if (!allowedScheme) throw new UsageError('--client-metadata-url must be an https URL (plain http only on a loopback address)');
  if (url.pathname === '/' || url.hash) throw new UsageError('--client-metadata-url must name a document (a path, no fragment)');
  return url.href;
}

/** A pre-registered client's credentials: the first choice of the MCP authorization specification. */
function parsePreRegistered(clientId: string | undefined, file: string | undefined, env: Record<string, string | undefined>): PreRegisteredClient | undefined {
  if (clientId !== undefined && file !== undefined) throw new UsageError('--client-id and --client-credentials cannot be combined');
  if (clientId !== undefined) {
    if (clientId.trim() === '') throw new UsageError('--client-id must not be empty');
    // The secret stays out of the command line, where other users could read it (ps).
    const secret = env.MCP_CONSOLE_CLIENT_SECRET;
    return { client_id: clientId, ...(secret ? { client_secret: secret } : {}) };
  }
  if (file === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolve(file), 'utf8'));
  } catch (error) {
    throw new UsageError(`--client-credentials: cannot read ${file} as JSON (${(error as Error).message})`);
  }
  const { client_id: id, client_secret: secret } = (parsed ?? {}) as { client_id?: unknown; client_secret?: unknown };
  if (typeof id !== 'string' || id.trim() === '') throw new UsageError(`--client-credentials: ${file} must hold a "client_id" string`);
  if (secret !== undefined && typeof secret !== 'string') throw new UsageError(`--client-credentials: "client_secret" in ${file} must be a string`);
  return { client_id: id, ...(secret ? { client_secret: secret } : {}) };
}

function parseToolArguments(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`--args must be a JSON object, e.g. '{"id":"acme-robotics"}'; could not parse: ${value}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--args must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = process.env): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        call: { type: 'string' },
        args: { type: 'string' },
        list: { type: 'boolean' },
        logout: { type: 'boolean' },
        'state-dir': { type: 'string' },
        'client-metadata-url': { type: 'string' },
        'no-client-metadata': { type: 'boolean' },
        'client-id': { type: 'string' },
        'client-credentials': { type: 'string' },
        'callback-port': { type: 'string' },
        'no-browser': { type: 'boolean' },
        'authorization-url-command': { type: 'string' },
        'client-name': { type: 'string' },
        'login-timeout': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  if (positionals.length === 0) throw new UsageError('Missing the MCP server URL');
  if (positionals.length > 1) throw new UsageError(`Expected one MCP server URL, got: ${positionals.join(' ')}`);
  const serverUrl = parseServerUrl(positionals[0]!);

  if (values.call !== undefined && values.list) throw new UsageError('--call and --list cannot be combined');
  if (values.args !== undefined && values.call === undefined) throw new UsageError('--args only goes with --call');
  if (values.call !== undefined && values.call.trim() === '') throw new UsageError('--call needs a tool name');

  const hookCommand = values['authorization-url-command'] ?? (env.MCP_CONSOLE_BROWSER?.trim() || undefined);
  if (values['no-browser'] && values['authorization-url-command'] !== undefined) {
    throw new UsageError('--no-browser and --authorization-url-command cannot be combined');
  }
  const browser: BrowserMode = values['no-browser'] ? { kind: 'print' } : hookCommand ? { kind: 'command', command: hookCommand } : { kind: 'system' };

  const command: ConsoleOptions['command'] =
    values.call !== undefined
      ? { kind: 'call', tool: values.call, args: values.args === undefined ? {} : parseToolArguments(values.args) }
      : values.list
        ? { kind: 'list' }
        : values.logout
          ? { kind: 'logout-only' }
          : { kind: 'interactive' };

  if (values['no-client-metadata'] && values['client-metadata-url'] !== undefined) {
    throw new UsageError('--no-client-metadata and --client-metadata-url cannot be combined');
  }

  const clientName = values['client-name'] ?? 'MCP Console Client';
  if (clientName.trim() === '') throw new UsageError('--client-name must not be empty');

  return {
    kind: 'run',
    options: {
      serverUrl,
      stateDirectory: values['state-dir'] === undefined ? defaultStateDirectory(env) : resolve(values['state-dir']),
      clientMetadataUrl: values['client-metadata-url'] === undefined ? undefined : parseClientMetadataUrl(values['client-metadata-url']),
      publishedClientMetadata: values['client-metadata-url'] === undefined && !values['no-client-metadata'],
      preRegistered: parsePreRegistered(values['client-id'], values['client-credentials'], env),
      callbackPort: values['callback-port'] === undefined ? 0 : parsePort(values['callback-port']),
      browser,
      clientName,
      signInTimeoutSeconds: values['login-timeout'] === undefined ? 300 : parsePositiveSeconds(values['login-timeout']),
      verbose: values.verbose ?? false,
      logout: values.logout ?? false,
      command,
    },
  };
}

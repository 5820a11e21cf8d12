import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { formatToolResult, formatTools } from './format.ts';
import type { Session } from './session.ts';
import { describeError } from './errors.ts';

export type ReplCommand =
  | { kind: 'empty' }
  | { kind: 'list' }
  | { kind: 'call'; tool: string; args: Record<string, unknown> }
  | { kind: 'logout' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'invalid'; message: string };

export const REPL_HELP = `Commands:
  list                      List the server's tools
  call <tool> [json args]   Call a tool, e.g. call fetch-stock-price {"id":"acme-robotics"}
  logout                    Forget the registration and tokens for this server
  help                      Show this help
  quit                      Leave (also: exit, Ctrl-D)`;

export function parseReplCommand(line: string): ReplCommand {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'empty' };
  const [word = '', ...rest] = trimmed.split(/\s+/);
  switch (word.toLowerCase()) {
    case 'list':
    case 'tools':
      return { kind: 'list' };
    case 'logout':
      return { kind: 'logout' };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'call': {
      const tool = rest[0];
      if (!tool) return { kind: 'invalid', message: 'Usage: call <tool> [json args]' };
      // The arguments are everything after the tool name, spaces included.
      const json = trimmed.slice(trimmed.indexOf(tool, 'call'.length) + tool.length).trim();
      if (json === '') return { kind: 'call', tool, args: {} };
      let args: unknown;
      try {
        args = JSON.parse(json);
      } catch {
        return { kind: 'invalid', message: `The arguments are not valid JSON: ${json}` };
      }
      if (typeof args !== 'object' || args === null || Array.isArray(args)) return { kind: 'invalid', message: 'The arguments must be a JSON object, e.g. {"id":"acme-robotics"}' };
      return { kind: 'call', tool, args: args as Record<string, unknown> };
    }
    default:
      return { kind: 'invalid', message: `Unknown command "${word}"; type help for the list of commands` };
  }
}

export interface ReplOptions {
  session: Session;
  input: Readable;
  output: Writable;
  errors: Writable;
  prompt?: string;
}

/**
 * The interactive loop. Results go to `output`, problems to `errors`; a
 * failing command is reported and the prompt comes back.
 */
export async function runRepl({ session, input, output, errors, prompt: promptText = 'mcp> ' }: ReplOptions): Promise<void> {
  const rl = createInterface({ input, output, prompt: promptText, terminal: (input as { isTTY?: boolean }).isTTY === true });
  const print = (text: string) => output.write(`${text}\n`);
  // With piped input the interface closes at end of input while buffered lines are still being handled.
  let closed = false;
  rl.once('close', () => {
    closed = true;
  });
  const prompt = () => {
    if (!closed) rl.prompt();
  };
  output.write(`Type help for the list of commands.\n`);
  prompt();
  try {
    for await (const line of rl) {
      const command = parseReplCommand(line);
      try {
        switch (command.kind) {
          case 'empty':
            break;
          case 'help':
            print(REPL_HELP);
            break;
          case 'quit':
            return;
          case 'invalid':
            errors.write(`${command.message}\n`);
            break;
          case 'list':
            print(formatTools(await session.listTools()));
            break;
          case 'call': {
            const result = await session.callTool(command.tool, command.args);
            if (result.isError) errors.write(`The tool reported an error:\n${formatToolResult(result)}\n`);
            else print(formatToolResult(result));
            break;
          }
          case 'logout':
            print((await session.logout()) ? 'Signed out; the registration and tokens for this server are forgotten.' : 'Nothing was stored for this server.');
            break;
        }
      } catch (error) {
        errors.write(`Error: ${describeError(error)}\n`);
      }
      prompt();
    }
  } finally {
    rl.close();
  }
}

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const CONSOLE_CLIENT = join(REPO_ROOT, 'clients/console-client/src/main.ts');

export interface ConsoleClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the console client as the README shows it: `node <main.ts>`, or with
 * `npm` the workspace's start script through npm (`npm start --silent -w
 * @mcp-demo/console-client -- …`), whose stdout must stay pure JSON. Gives up
 * after `timeoutMs` with the client's stderr in the error.
 */
export function runConsoleClient(args: string[], env: Record<string, string>, { timeoutMs = 90_000, npm = false } = {}): Promise<ConsoleClientRun> {
  return new Promise((done, fail) => {
    const [command, commandArgs] = npm
      ? ['npm', ['start', '--silent', '-w', '@mcp-demo/console-client', '--', ...args]]
      : [process.execPath, [CONSOLE_CLIENT, ...args]];
    const child = spawn(command as string, commandArgs as string[], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      fail(new Error(`the console client did not finish within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { resolve } from 'node:path';

/** A reference server the benchmark runs as a process of its own. */
export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts one of the benchmark's reference servers (`bench/<script>`) as its
 * own process and waits for the loopback port it prints as its first line.
 */
async function startServerProcess(script: string, args: string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error(`${script} could not be started`);
  const pid = child.pid;
  const port = await new Promise<number>((done, fail) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done(Number(text.trim()));
    });
    child.once('exit', (code) => fail(new Error(`${script} exited during start-up (exit ${code})`)));
  });
  const exited = once(child, 'exit');
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** bench/bare-proxy.ts in front of `upstream`: the floor of one gateway hop. */
export const startBareProxy = (upstream: string) => startServerProcess('bare-proxy.ts', [upstream]);

/** bench/mcp-sdk-floor.ts: the MCP SDK's own cost per tools/call. */
export const startSdkFloor = () => startServerProcess('mcp-sdk-floor.ts', []);

/**
 * The reference servers' side of startServerProcess: listen on a free
 * loopback port, print it as the first line, stop on SIGTERM.
 */
export function announceAndServe(server: Server, onStop: () => void = () => undefined): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    onStop();
    server.closeAllConnections();
  });
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

export interface BareProxy {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/bare-proxy.ts as its own process in front of `upstream` and waits for its port. */
export async function startBareProxy(upstream: string): Promise<BareProxy> {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, 'bare-proxy.ts'), upstream], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error('the bare proxy could not be started');
  const pid = child.pid;
  const port = await new Promise<number>((done, fail) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done(Number(text.trim()));
    });
    child.once('exit', (code) => fail(new Error(`the bare proxy exited during start-up (exit ${code})`)));
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

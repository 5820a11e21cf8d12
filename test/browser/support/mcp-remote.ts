import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * mcp-remote, the stdio-to-remote proxy that desktop MCP hosts (Claude
 * Desktop among them) run for a remote server: started the way such a host
 * starts it, and spoken to the way such a host speaks, with JSON-RPC lines
 * on its stdin and stdout.
 */
const require = createRequire(import.meta.url);

/** The proxy's entry point, from the pinned package's own `bin` field. */
export function mcpRemoteBin(): string {
  const manifestPath = require.resolve('mcp-remote/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> };
  const bin = manifest.bin['mcp-remote'];
  if (!bin) throw new Error('the mcp-remote package declares no mcp-remote bin');
  return join(dirname(manifestPath), bin);
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface StdioPeer {
  /** Sends a request and waits for the response with the same id. */
  request(method: string, params: Record<string, unknown>, timeoutMs?: number): Promise<JsonRpcResponse>;
  notify(method: string, params?: Record<string, unknown>): void;
  /** Everything the process wrote to stderr so far (its log). */
  stderr(): string;
  /** Ends the process; resolves once it has exited. */
  close(): Promise<void>;
  readonly child: ChildProcessWithoutNullStreams;
}

export function startMcpRemote(args: string[], env: Record<string, string>): StdioPeer {
  const child = spawn(process.execPath, [mcpRemoteBin(), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    log += chunk;
  });

  const waiting = new Map<number, (response: JsonRpcResponse) => void>();
  let exited: string | undefined;
  const failAll = (reason: string) => {
    exited = reason;
    for (const [id, resolve] of waiting) resolve({ jsonrpc: '2.0', id, error: { code: -32000, message: reason } });
    waiting.clear();
  };
  child.once('exit', (code, signal) => failAll(`mcp-remote exited (${signal ?? `code ${code}`})`));
  child.once('error', (error) => failAll(`mcp-remote could not run: ${error.message}`));

  // One JSON-RPC message per line; requests and notifications from the
  // server side (pings, list changes) are not what these tests wait for.
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    const response = message as Partial<JsonRpcResponse> & { method?: string };
    if (typeof response.id !== 'number' || response.method !== undefined) return;
    const resolve = waiting.get(response.id);
    waiting.delete(response.id);
    resolve?.(response as JsonRpcResponse);
  });

  let nextId = 1;
  const write = (message: Record<string, unknown>) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

  return {
    child,
    request(method, params, timeoutMs = 60_000) {
      if (exited) return Promise.reject(new Error(`${exited}; its log:\n${log}`));
      const id = nextId++;
      return new Promise<JsonRpcResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no answer to ${method} within ${timeoutMs} ms; mcp-remote's log:\n${log}`));
        }, timeoutMs);
        waiting.set(id, (response) => {
          clearTimeout(timer);
          resolve(response);
        });
        write({ id, method, params });
      });
    },
    notify(method, params) {
      write({ method, ...(params ? { params } : {}) });
    },
    stderr: () => log,
    close() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        // A host closes stdin first; the signal covers a proxy that lingers.
        child.stdin.end();
        child.kill('SIGTERM');
      });
    },
  };
}

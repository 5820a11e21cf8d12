import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const SCRIPT = resolve(import.meta.dirname, 'wrk-script.lua');
const MARKER = 'BENCH-RESULT ';

/** One HTTP request shape that wrk repeats. */
export interface RequestShape {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  contentType?: string;
  /** The body must be a JSON-RPC result that is not a tool error. */
  expectToolResult?: boolean;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connect, read and write errors, timeouts, non-2xx/3xx answers and failed tool results. */
  failures: number;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  failedResults: number;
}

/**
 * Runs wrk in its own process (one thread: on a small machine a second load
 * thread only takes CPU from the services being measured) and returns what
 * the script's done() reported.
 */
export async function runWrk(shape: RequestShape, connections: number, durationSeconds: number): Promise<LoadResult> {
  const args = ['-t1', `-c${connections}`, `-d${durationSeconds}s`, '--timeout', '10s', '-s', SCRIPT];
  for (const [name, value] of Object.entries(shape.headers)) args.push('-H', `${name}: ${value}`);
  args.push(shape.url);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', BENCH_METHOD: shape.method };
  if (shape.body !== undefined) env.BENCH_BODY = shape.body;
  if (shape.contentType !== undefined) env.BENCH_CONTENT_TYPE = shape.contentType;
  if (shape.expectToolResult) env.BENCH_EXPECT_TOOL_RESULT = '1';

  const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', (error) => fail(new Error(`wrk could not be started (${error.message}); install the Debian package wrk`)));
    child.once('close', done);
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(MARKER));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}) against ${shape.url}: ${(stderr || stdout).trim().slice(0, 500)}`);
  const summary = JSON.parse(line.slice(MARKER.length)) as WrkSummary;
  const seconds = summary.durationUs / 1e6;
  return {
    requests: summary.requests,
    seconds,
    requestsPerSecond: summary.requests / seconds,
    p50Ms: summary.p50Us / 1000,
    p99Ms: summary.p99Us / 1000,
    failures:
      summary.connectErrors + summary.readErrors + summary.writeErrors + summary.statusErrors + summary.timeouts + summary.failedResults,
  };
}

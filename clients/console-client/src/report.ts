import type { Writable } from 'node:stream';

/**
 * Progress and diagnostics for the person at the console. Everything goes to
 * stderr so that stdout carries nothing but results, which keeps the one-shot
 * mode usable in pipelines. Callers never pass tokens or secrets here.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Shown only with --verbose. */
  debug(message: string): void;
}

export function createReporter({ stream = process.stderr, verbose = false }: { stream?: Writable; verbose?: boolean } = {}): Reporter {
  const write = (line: string) => {
    stream.write(`${line}\n`);
  };
  return {
    info: (message) => write(message),
    warn: (message) => write(`Warning: ${message}`),
    debug: (message) => {
      if (verbose) write(`  ${message}`);
    },
  };
}

/** A reporter that remembers what it was told, for tests. */
export function createRecordingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(`Warning: ${message}`),
    debug: (message) => lines.push(`debug: ${message}`),
  };
}

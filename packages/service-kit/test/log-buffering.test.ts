import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/index.ts';

const INDEX = resolve(import.meta.dirname, '..', 'src', 'index.ts');

const messagesIn = (file: string) => {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
};

/** Waits (up to 5 s, checking often) until the file holds at least `count` lines. */
async function linesWritten(file: string, count: number): Promise<string[]> {
  for (let attempt = 0; attempt < 250; attempt += 1) {
    const messages = messagesIn(file);
    if (messages.length >= count) return messages;
    await sleep(20);
  }
  return messagesIn(file);
}

describe('createLogger writing to a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'log-buffering-'));
    // Only the periodic flush is faked: the file system and the waits stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps ordinary lines until the flush interval, then writes them together', async () => {
    const file = join(dir, 'service.log');
    const logger = createLogger('buffered', 'info', file);
    logger.info('first');
    logger.info('second');
    await sleep(100);
    expect(messagesIn(file)).toEqual([]);

    vi.advanceTimersByTime(100);
    expect(await linesWritten(file, 2)).toEqual(['first', 'second']);
  });

  it('writes an error line, and what waits before it, without waiting for the interval', async () => {
    const file = join(dir, 'service.log');
    const logger = createLogger('buffered', 'info', file);
    logger.info('before the failure');
    logger.error('the failure');
    expect(await linesWritten(file, 2)).toEqual(['before the failure', 'the failure']);
  });
});

describe('createLogger at process exit', () => {
  it('writes the lines still waiting when the process exits, as a service logging to stdout does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-exit-'));
    const file = join(dir, 'service.log');
    const stdout = openSync(file, 'w');
    try {
      const script = `import { createLogger } from ${JSON.stringify(INDEX)}; const log = createLogger('exiting', 'info'); log.info('last words'); process.exit(0);`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', stdout, 'pipe'] });
      expect(run.status, run.stderr).toBe(0);
      expect(messagesIn(file)).toEqual(['last words']);
    } finally {
      closeSync(stdout);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { chmodSync, existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The CLI that signs in with headless Chromium (see open-url.ts). */
export const OPEN_URL_SCRIPT = resolve(import.meta.dirname, 'open-url.ts');

export interface BrowserPersona {
  email: string;
  inbox: string;
  consent?: 'allow' | 'deny';
  /** The e-mail page must name this client, or the sign-in fails. */
  expectedClientName?: string;
  /** Prefix of the screenshot file names. */
  label: string;
  /** Each browser run appends a JSON line here when it starts and when it ends. */
  logFile: string;
  timeoutMs?: number;
}

/** Environment for a process whose browser is open-url.ts (it is inherited by whatever the client spawns). */
export function browserEnv(persona: BrowserPersona): Record<string, string> {
  return {
    E2E_USER_EMAIL: persona.email,
    E2E_INBOX_URL: persona.inbox,
    E2E_CONSENT: persona.consent ?? 'allow',
    E2E_SCREENSHOT_LABEL: persona.label,
    E2E_BROWSER_LOG: persona.logFile,
    E2E_BROWSER_TIMEOUT_MS: String(persona.timeoutMs ?? 90_000),
    ...(persona.expectedClientName ? { E2E_EXPECT_CLIENT_NAME: persona.expectedClientName } : {}),
  };
}

/** A command line that runs open-url.ts with this Node, for clients that take a browser command. */
export function browserCommandLine(): string {
  return [process.execPath, OPEN_URL_SCRIPT].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
}

// Variables by which xdg-open recognises a desktop session; with any of them
// set it would hand the URL to that desktop instead of to BROWSER.
const DESKTOP_VARIABLES = ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'DESKTOP_SESSION', 'KDE_FULL_SESSION', 'GNOME_DESKTOP_SESSION_ID', 'MATE_DESKTOP_SESSION_ID'];

/**
 * Stands in for the desktop's browser for programs that open URLs the
 * freedesktop way (xdg-open, or the `open` package, which runs its own copy
 * of xdg-open): writes `xdg-open` and `test-browser` scripts into `dir`, both
 * running open-url.ts, and returns an environment with `dir` first on PATH,
 * BROWSER naming test-browser, and no desktop session, so that xdg-open takes
 * its generic path, which honours BROWSER.
 */
export function installBrowserShim(dir: string, base: Record<string, string | undefined> = process.env): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const script = `#!/bin/sh\nexec ${browserCommandLine()} "$@"\n`;
  const browser = join(dir, 'test-browser');
  for (const path of [browser, join(dir, 'xdg-open')]) {
    writeFileSync(path, script);
    chmodSync(path, 0o755);
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined && !DESKTOP_VARIABLES.includes(name)) env[name] = value;
  return { ...env, BROWSER: browser, PATH: `${dir}:${base.PATH ?? ''}` };
}

export interface BrowserRun {
  event: 'finished';
  at: string;
  /** The authorization URL the client asked the browser to open. */
  url: string;
  ok: boolean;
  /** Where the sign-in ended (the client's redirect URI with code or error, state and iss). */
  redirect?: string;
  error?: string;
}

type LogEntry = BrowserRun | { event: 'started'; at: string; url: string };

function logEntries(logFile: string): LogEntry[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogEntry);
}

/** The finished runs recorded in a browser log file, oldest first. */
export function browserRuns(logFile: string): BrowserRun[] {
  return logEntries(logFile).filter((entry): entry is BrowserRun => entry.event === 'finished');
}

/** How many times the browser was started, finished or not (the line is written before anything else happens). */
export function browserStarts(logFile: string): number {
  return logEntries(logFile).filter((entry) => entry.event === 'started').length;
}

/**
 * Waits until the log holds `count` finished runs. A client may finish its
 * work before the browser it launched has written its line (the browser
 * records after it has shut down), so tests wait for the line, not for the
 * client. `signal` stops the wait early.
 */
export function waitForBrowserRuns(logFile: string, count: number, timeoutMs = 30_000, signal?: AbortSignal): Promise<BrowserRun[]> {
  const enough = () => {
    const runs = browserRuns(logFile);
    return runs.length >= count ? runs : undefined;
  };
  const ready = enough();
  if (ready) return Promise.resolve(ready);
  return new Promise((resolveRuns, reject) => {
    const finish = (outcome: { runs: BrowserRun[] } | { error: Error }) => {
      clearTimeout(timer);
      watcher.close();
      signal?.removeEventListener('abort', aborted);
      if ('runs' in outcome) resolveRuns(outcome.runs);
      else reject(outcome.error);
    };
    const check = () => {
      const runs = enough();
      if (runs) finish({ runs });
    };
    const aborted = () => finish({ error: new Error('stopped waiting for the browser') });
    const watcher = watch(dirname(logFile), (_event, name) => {
      if (name === null || name === basename(logFile)) check();
    });
    const timer = setTimeout(() => finish({ error: new Error(`the browser recorded ${browserRuns(logFile).length} of ${count} expected runs within ${timeoutMs} ms`) }), timeoutMs);
    signal?.addEventListener('abort', aborted, { once: true });
    if (signal?.aborted) aborted();
    // The line may have landed between the first look and the watch starting.
    check();
  });
}

/** Rejects as soon as the browser records a failed run (and never settles otherwise), to race against a client that would wait on. */
export function failedBrowserRun(logFile: string, signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const watcher = watch(dirname(logFile), () => {
      const failed = browserRuns(logFile).find((run) => !run.ok);
      if (!failed) return;
      watcher.close();
      reject(new Error(`the browser sign-in failed: ${failed.error ?? 'no reason recorded'}`));
    });
    signal.addEventListener('abort', () => watcher.close(), { once: true });
  });
}

import { spawn } from 'node:child_process';
import type { Reporter } from '../report.ts';

/**
 * How the authorization URL reaches a browser:
 * - `system`: the desktop's default browser (open / xdg-open / start);
 * - `command`: a program of the user's choosing, run with the URL as its last
 *   argument (tests use this to drive a headless browser);
 * - `print`: nobody opens anything, the URL is only printed.
 */
export type BrowserMode = { kind: 'system' } | { kind: 'command'; command: string } | { kind: 'print' };

/**
 * Presents the authorization URL to the user. `onFailure` is called when a
 * configured command fails, so that the sign-in stops waiting for a response
 * that will never come; the system browser failing is only worth a hint,
 * because the printed URL still works.
 */
export type UrlOpener = (url: string, onFailure: (error: Error) => void) => void;

/**
 * Splits a command line into program and arguments, honouring single and
 * double quotes, without involving a shell (the URL must never be
 * interpreted by one).
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length && '"\\'.includes(command[i + 1]!)) current += command[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (c === '\\' && i + 1 < command.length) {
      current += command[++i];
      inWord = true;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`Unterminated ${quote} quote in command: ${command}`);
  if (inWord) words.push(current);
  return words;
}

function systemOpenCommand(url: string): [string, string[]] {
  switch (process.platform) {
    case 'darwin':
      return ['open', [url]];
    case 'win32':
      // `start` is a cmd built-in; the empty string is the window title it expects first.
      return ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]];
    default:
      return ['xdg-open', [url]];
  }
}

export function createUrlOpener(mode: BrowserMode, report: Reporter): UrlOpener {
  return (url, onFailure) => {
    report.info(`Open this URL to sign in:\n\n  ${url}\n`);
    if (mode.kind === 'print') return;

    if (mode.kind === 'command') {
      const [program, ...args] = splitCommand(mode.command);
      if (!program) {
        onFailure(new Error('The authorization URL command is empty'));
        return;
      }
      report.debug(`running ${program} with the authorization URL`);
      // stdout stays clean for results: the command's output goes to stderr.
      const child = spawn(program, [...args, url], { stdio: ['ignore', 2, 2] });
      child.once('error', (error) => onFailure(new Error(`Could not run the authorization URL command "${program}": ${error.message}`)));
      child.once('exit', (code, signal) => {
        if (code === 0) return;
        onFailure(new Error(`The authorization URL command "${program}" ${signal ? `was stopped by ${signal}` : `exited with status ${code}`}`));
      });
      return;
    }

    // The URL is already printed, so a desktop without a browser (a server, an
    // SSH session) only costs a hint, never the sign-in.
    const cannotOpen = () => report.info('Could not open a browser; open the URL above yourself.');
    const [program, args] = systemOpenCommand(url);
    try {
      const child = spawn(program, args, { stdio: 'ignore', detached: true });
      child.once('error', cannotOpen);
      // xdg-open exits non-zero when it finds no browser to hand the URL to.
      child.once('exit', (code) => {
        if (code !== null && code !== 0) cannotOpen();
      });
      child.unref();
      report.info('Opening your browser…');
    } catch {
      cannotOpen();
    }
  };
}

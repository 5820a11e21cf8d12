import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUrlOpener } from '../src/oauth/browser.ts';
import { createRecordingReporter } from '../src/report.ts';

const URL_TO_OPEN = 'http://127.0.0.1:3102/oauth/v2/oauth-authorize?client_id=abc&state=xyz';
const CANNOT_OPEN = 'Could not open a browser; open the URL above yourself.';

let folder: string;
let savedPath: string | undefined;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'console-browser-'));
  savedPath = process.env.PATH;
});

afterEach(() => {
  process.env.PATH = savedPath;
  rmSync(folder, { recursive: true, force: true });
});

/** An executable shell script standing in for a desktop program. */
function fakeProgram(name: string, body: string): void {
  const file = join(folder, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

/** What a fake program wrote, or '' while it has not run yet. */
function contentOf(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function openWith(mode: Parameters<typeof createUrlOpener>[0]) {
  const report = createRecordingReporter();
  const failures: Error[] = [];
  createUrlOpener(mode, report)(URL_TO_OPEN, (error) => failures.push(error));
  return { report, failures };
}

describe('presenting the sign-in URL', () => {
  it('prints the URL and nothing else with --no-browser', () => {
    fakeProgram('xdg-open', `echo opened >> "${join(folder, 'calls')}"`);
    process.env.PATH = folder;
    const { report, failures } = openWith({ kind: 'print' });

    expect(report.lines.join('\n')).toContain(URL_TO_OPEN);
    expect(report.lines).not.toContain('Opening your browser…');
    expect(failures).toEqual([]);
  });

  describe.skipIf(process.platform !== 'linux')('with the system browser (xdg-open)', () => {
    it('hands the URL to xdg-open', async () => {
      const calls = join(folder, 'calls');
      fakeProgram('xdg-open', `printf '%s\\n' "$1" > "${calls}"`);
      process.env.PATH = folder;
      const { report, failures } = openWith({ kind: 'system' });

      await expect.poll(() => contentOf(calls).trim()).toBe(URL_TO_OPEN);
      expect(report.lines).toContain('Opening your browser…');
      expect(report.lines).not.toContain(CANNOT_OPEN);
      expect(failures).toEqual([]);
    });

    it('says so, and keeps waiting for the sign-in, when xdg-open finds no browser', async () => {
      fakeProgram('xdg-open', 'exit 3');
      process.env.PATH = folder;
      const { report, failures } = openWith({ kind: 'system' });

      await expect.poll(() => report.lines).toContain(CANNOT_OPEN);
      expect(report.lines.join('\n')).toContain(URL_TO_OPEN);
      expect(failures).toEqual([]);
    });

    it('says so when there is no xdg-open at all', async () => {
      process.env.PATH = folder;
      const { report, failures } = openWith({ kind: 'system' });

      await expect.poll(() => report.lines).toContain(CANNOT_OPEN);
      expect(failures).toEqual([]);
    });
  });

  it('fails the sign-in at once when the configured command fails', async () => {
    fakeProgram('drive-browser', 'exit 4');
    const { failures } = openWith({ kind: 'command', command: `"${join(folder, 'drive-browser')}" --headless` });

    await expect.poll(() => failures.map((error) => error.message)).toEqual([expect.stringContaining('exited with status 4')]);
  });

  it('passes the URL to the configured command as its last argument, without a shell', async () => {
    const calls = join(folder, 'calls');
    fakeProgram('drive-browser', `printf '%s|' "$@" > "${calls}"`);
    const { failures } = openWith({ kind: 'command', command: `"${join(folder, 'drive-browser')}" --headless 'two words'` });

    await expect.poll(() => contentOf(calls)).toBe(`--headless|two words|${URL_TO_OPEN}|`);
    expect(failures).toEqual([]);
  });
});

/**
 * Stands in for the desktop's browser: a client that would open the system
 * browser runs this instead, with the authorization URL as its last
 * argument, and headless Chromium signs in the way a person would.
 *
 *   node test/browser/support/open-url.ts <authorization-url>
 *
 * Environment:
 *   E2E_USER_EMAIL          who signs in (required)
 *   E2E_INBOX_URL           the test inbox's base URL (required)
 *   E2E_CONSENT             allow (default) or deny
 *   E2E_EXPECT_CLIENT_NAME  fail unless the e-mail page names this client
 *   E2E_SCREENSHOT_LABEL    prefix of the screenshot file names
 *   E2E_SCREENSHOTS_DIR     where screenshots go (default test-artifacts/browser)
 *   E2E_BROWSER_LOG         file that gets a JSON line when a run starts and one
 *                           when it ends, so a test can tell whether (and how)
 *                           the browser was used; the launching client may
 *                           discard this program's output
 *   E2E_BROWSER_TIMEOUT_MS  the whole sign-in's deadline (default 90000)
 *
 * Exits 0 once the redirect URI has been loaded, 1 on any failure.
 */
import { appendFileSync } from 'node:fs';
import { signInWithBrowser } from './sign-in.ts';

type Entry = { at: string; url: string } & ({ event: 'started' } | { event: 'finished'; ok: boolean; redirect?: string; error?: string });

function record(entry: Entry): void {
  const log = process.env.E2E_BROWSER_LOG;
  if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`);
  if (entry.event === 'finished' && !entry.ok) process.stderr.write(`open-url: ${entry.error}\n`);
}

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

function authorizationUrlFrom(argv: string[]): string {
  const url = argv.findLast((argument) => URL.canParse(argument) && /^https?:$/.test(new URL(argument).protocol));
  if (!url) throw new Error('Usage: open-url.ts <authorization-url>');
  return url;
}

async function main(argv: string[]): Promise<number> {
  const at = () => new Date().toISOString();
  let url = '';
  try {
    url = authorizationUrlFrom(argv);
    // Written at once, so that a client that finished without a sign-in can
    // be told apart from one whose browser is still busy.
    record({ event: 'started', at: at(), url });
    const consent = process.env.E2E_CONSENT === 'deny' ? 'deny' : 'allow';
    const deadlineMs = Number(process.env.E2E_BROWSER_TIMEOUT_MS ?? 90_000);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the sign-in did not finish within ${deadlineMs} ms`)), deadlineMs);
    });
    const result = await Promise.race([
      signInWithBrowser(url, {
        email: required('E2E_USER_EMAIL'),
        inbox: required('E2E_INBOX_URL'),
        consent,
        redirect: 'load',
        ...(process.env.E2E_EXPECT_CLIENT_NAME ? { expectedClientName: process.env.E2E_EXPECT_CLIENT_NAME } : {}),
        ...(process.env.E2E_SCREENSHOTS_DIR ? { screenshotsDir: process.env.E2E_SCREENSHOTS_DIR } : {}),
        label: process.env.E2E_SCREENSHOT_LABEL ?? 'open-url',
      }),
      deadline,
    ]).finally(() => clearTimeout(timer));
    record({ event: 'finished', at: at(), url, ok: true, redirect: result.redirect.href });
    return 0;
  } catch (error) {
    record({ event: 'finished', at: at(), url, ok: false, error: (error as Error).message });
    return 1;
  }
}

// Exit explicitly: on a deadline the browser may still be shutting down.
main(process.argv.slice(2)).then((code) => process.exit(code));

import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * The browser is Debian's Chromium package, never one downloaded by
 * Playwright: the machines reach no download host, and a system package is
 * what CI installs (scripts/system-packages.sh). CHROMIUM_PATH points
 * elsewhere on machines that keep Chromium in another place.
 */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_INSTALL_HINT =
  'Install it with `apt-get install chromium` (scripts/system-packages.sh does this), or set CHROMIUM_PATH to a Chromium binary.';

// Quiet, deterministic, offline: no sandbox (tests run as root), no GPU, no
// QUIC, and none of the background traffic a fresh profile starts (updates,
// sync, field trials) that would reach for hosts this machine cannot see.
// Every address the tests visit is on loopback, so a proxy from the
// environment (which Chromium honours on Linux) must not get in the way.
const CHROMIUM_ARGS = [
  '--no-proxy-server',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function chromiumPath(env: Record<string, string | undefined> = process.env): string {
  const path = env.CHROMIUM_PATH?.trim() || DEFAULT_CHROMIUM_PATH;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`Chromium was not found at ${path}. ${CHROMIUM_INSTALL_HINT}`);
  }
  return path;
}

export interface RunningChromium {
  browser: Browser;
  /**
   * A new browser context: no cookies, storage or sessions from any other
   * context, like a separate profile. Each sign-in gets its own, so one
   * user's session at the authorization server never leaks into the next.
   */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium. Playwright gives it a fresh, temporary user data
 * directory of its own (and removes it on close), so nothing from a
 * developer's profile or an earlier run is ever visible.
 */
export async function launchChromium(options: { timeoutMs?: number } = {}): Promise<RunningChromium> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: options.timeoutMs ?? 30_000,
  });
  return {
    browser,
    newContext: () => browser.newContext({ viewport: { width: 1000, height: 800 } }),
    close: () => browser.close().catch(() => {}),
  };
}

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { listMessages, waitForOneTimeCode } from '@mcp-demo/testing';
import { launchChromium, type RunningChromium } from './chromium.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Screenshots land here unless told otherwise; the folder is ignored by git. */
export const DEFAULT_SCREENSHOTS_DIR = join(REPO_ROOT, 'test-artifacts', 'browser');

export interface BrowserSignInOptions {
  email: string;
  /** Base URL of the test inbox (maildev's web and REST interface), ending in a slash. */
  inbox: string;
  /** Where the flow ends; by default the authorization URL's own redirect_uri. */
  redirectUri?: string;
  consent?: 'allow' | 'deny';
  /**
   * `load` lets the browser load the redirect, as it must when a real client
   * (a console client, mcp-remote) listens there for the code. `intercept`
   * answers the request inside the browser, for a redirect URI nobody serves.
   */
  redirect?: 'load' | 'intercept';
  /** When set, the sign-in fails unless the e-mail page names this client. */
  expectedClientName?: string;
  screenshotsDir?: string;
  /** Prefix of the screenshot file names, so runs do not overwrite each other. */
  label?: string;
  /** How long any one page may take to appear. */
  stepTimeoutMs?: number;
  /** A running browser to sign in with (in a context of its own); by default one is launched and closed again. */
  browser?: RunningChromium;
}

export interface SeenPage {
  url: string;
  /** The text a person sees on the page (hidden elements excluded). */
  text: string;
  screenshot: string;
}

export interface BrowserSignInResult {
  /** The authorization response: the redirect URI with code (or error), state and iss. */
  redirect: URL;
  email: SeenPage;
  otp: SeenPage;
  /** Absent when the authorization server did not ask (consent given earlier). */
  consent: SeenPage | undefined;
  /** What the redirect target showed, when the browser loaded it. */
  landingText: string | undefined;
}

function safeLabel(label: string): string {
  return label.replace(/[^a-z0-9._-]+/gi, '-').replace(/^-+|-+$/g, '') || 'sign-in';
}

function redirectTarget(authorizationUrl: URL, redirectUri: string | undefined): URL {
  const value = redirectUri ?? authorizationUrl.searchParams.get('redirect_uri');
  if (!value) throw new Error('The authorization URL carries no redirect_uri and none was given');
  return new URL(value);
}

async function visibleText(page: Page): Promise<string> {
  return (await page.locator('body').innerText()).replace(/[ \t]+/g, ' ');
}

/**
 * Waits for what a step should lead to, and fails fast with the page's own
 * words when the authorization server shows an error instead, rather than
 * waiting out the timeout in silence.
 */
async function expectStep(page: Page, expected: Locator, step: string, timeout: number): Promise<void> {
  const problem = page.locator('[role="alert"]');
  try {
    await expected.or(problem).first().waitFor({ state: 'visible', timeout });
  } catch (error) {
    const text = await visibleText(page).catch(() => '(page unreadable)');
    throw new Error(`${step}: the expected page did not appear at ${page.url()} (${(error as Error).message.split('\n')[0]}). It shows: ${text.slice(0, 500)}`);
  }
  if (await problem.first().isVisible()) {
    throw new Error(`${step}: the page at ${page.url()} reports: ${(await problem.first().innerText()).trim()}`);
  }
}

async function capture(page: Page, dir: string, name: string): Promise<SeenPage> {
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return { url: page.url(), text: await visibleText(page), screenshot: path };
}

/** Resolves with whatever happens first, without leaving the other wait to reject unobserved. */
function first<T>(...waits: Array<Promise<T>>): Promise<T> {
  for (const wait of waits) wait.catch(() => {});
  return Promise.race(waits);
}

/**
 * Does what a person does when a client sends them to sign in: opens the
 * authorization URL, checks which client is asking, types their e-mail
 * address, fetches the one-time code from the test inbox, types it, reads
 * the consent page and answers it, and ends on the client's redirect URI.
 */
export async function signInWithBrowser(authorizationUrl: URL | string, options: BrowserSignInOptions): Promise<BrowserSignInResult> {
  const start = new URL(authorizationUrl);
  const target = redirectTarget(start, options.redirectUri);
  const timeout = options.stepTimeoutMs ?? 20_000;
  const dir = options.screenshotsDir ?? DEFAULT_SCREENSHOTS_DIR;
  const label = safeLabel(options.label ?? 'sign-in');
  mkdirSync(dir, { recursive: true });

  const isRedirect = (url: URL) => url.origin === target.origin && url.pathname === target.pathname;
  const browser = options.browser ?? (await launchChromium());
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    if (options.redirect === 'intercept') {
      // Answered inside the browser: nothing listens at this address, and the
      // authorization response is all the test needs from it.
      await page.route(isRedirect, (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          body: '<!doctype html><title>Authorization response</title><p>The authorization response reached the redirect URI.</p>',
        }),
      );
    }

    await page.goto(start.href, { timeout });
    const emailField = page.locator('#email');
    await expectStep(page, emailField, 'Opening the authorization URL', timeout);
    if (options.expectedClientName !== undefined) {
      const requesting = page.getByText(options.expectedClientName, { exact: false });
      if ((await requesting.count()) === 0) {
        throw new Error(`The e-mail page does not name the requesting client "${options.expectedClientName}"; it shows: ${(await visibleText(page)).slice(0, 500)}`);
      }
    }
    await emailField.fill(options.email);
    const email = await capture(page, dir, `${label}-1-email`);

    // Messages already in the inbox belong to earlier sign-ins; the code for
    // this one is the first new message.
    const earlier = (await listMessages(options.inbox, options.email)).map((message) => message.id);
    await page.getByRole('button', { name: 'Continue' }).click();
    const otpField = page.locator('#otp');
    await expectStep(page, otpField, 'Submitting the e-mail address', timeout);
    const code = await waitForOneTimeCode(options.inbox, options.email, { excluding: earlier, timeoutMs: timeout });
    await otpField.fill(code);
    const otp = await capture(page, dir, `${label}-2-code`);

    await page.getByRole('button', { name: 'Sign in' }).click();
    const allow = page.getByRole('button', { name: 'Allow' });
    const next = await first(
      expectStep(page, allow, 'Submitting the one-time code', timeout).then(() => 'consent' as const),
      page.waitForURL(isRedirect, { timeout, waitUntil: 'commit' }).then(() => 'redirect' as const),
    );

    let consent: SeenPage | undefined;
    if (next === 'consent') {
      consent = await capture(page, dir, `${label}-3-consent`);
      const answer = options.consent === 'deny' ? page.getByRole('button', { name: 'Deny' }) : allow;
      await answer.click();
    }
    await page.waitForURL(isRedirect, { timeout, waitUntil: 'load' });
    const landingText = await visibleText(page).catch(() => undefined);
    return { redirect: new URL(page.url()), email, otp, consent, landingText };
  } finally {
    await context.close().catch(() => {});
    if (!options.browser) await browser.close();
  }
}

import { randomInt } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser, type Browser } from './support/browser.ts';
import { JANE, JOHN, authorizeUrl, csrfOf, pkcePair, registerMcpClient, startLogin, type PageState } from './support/oauth.ts';
import { mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

/**
 * The per-address limits on one-time codes: wrong codes counted across codes
 * and sign-in requests, growing delays, a lockout that looks the same for
 * unknown addresses, and caps on the codes mailed.
 */
let inbox: TestInbox;
let server: RunningAuthorizationServer | undefined;

afterEach(async () => {
  await server?.destroy();
  await inbox?.close();
  server = undefined;
});

/** A server and an inbox of its own, so that no test reads another's codes. */
async function serverWith(env: Record<string, string> = {}): Promise<RunningAuthorizationServer> {
  inbox = await startTestInbox();
  server = await startAuthorizationServer({ env: { ...mailSettings(inbox), ...env } });
  return server;
}

/** A page of a sign-in request, with the browser that holds its interaction cookie. */
type SignInPage = PageState & { browser: Browser };

async function newSignIn(server: RunningAuthorizationServer, email: string): Promise<SignInPage> {
  const client = await registerMcpClient(server.baseUrl);
  const start = authorizeUrl(server.baseUrl, { clientId: client.client_id, challenge: pkcePair().challenge });
  const browser = createBrowser();
  return { ...(await startLogin(browser, server.baseUrl, start, email)), browser };
}

async function post(page: SignInPage, action: 'otp' | 'email', fields: Record<string, string>): Promise<SignInPage> {
  const response = await page.browser.post(`${page.url}/${action}`, { csrf: csrfOf(page.html), ...fields });
  const location = response.headers.get('location');
  if (response.status === 303 && location?.startsWith('/authn/')) {
    await response.body?.cancel();
    const next = await page.browser.get(new URL(location, page.url));
    return { url: page.url, status: next.status, html: await next.text(), browser: page.browser };
  }
  return { url: page.url, status: response.status, html: await response.text(), browser: page.browser };
}

const guess = (page: SignInPage, otp: string) => post(page, 'otp', { otp });
const askAgain = (page: SignInPage, email: string) => post(page, 'email', { email });

const randomCode = () => randomInt(0, 1_000_000).toString().padStart(6, '0');

/** The page without what differs per interaction or address. */
function shape(page: PageState, email: string): string {
  return page.html.replaceAll(email, '<email>').replace(/\/authn\/interaction\/[^/"]+/g, '<uid>').replace(/value="[^"]*"/g, 'value=""');
}

describe('one-time code limits per address', () => {
  it('bounds a parallel guessing attack across codes and sign-in requests (prints the figures)', async () => {
    const server = await serverWith();
    const { settings } = server;
    const attackMs = 3_000;
    const workers = 6;
    const deadline = Date.now() + attackMs;
    const counts = { requests: 0, checked: 0, throttled: 0, accepted: 0, codeRequests: 0, codeRequestsRefused: 0 };

    // Each worker: its own sign-in request for the victim; guess as fast as the
    // server answers; when a code locks, ask for a new one; when no more codes
    // are given for this request, open another.
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (Date.now() < deadline) {
          let page = await newSignIn(server, JANE);
          counts.codeRequests += 1;
          if (page.status === 429) {
            counts.codeRequestsRefused += 1;
            continue;
          }
          while (Date.now() < deadline) {
            const answer = await guess(page, randomCode());
            counts.requests += 1;
            if (answer.status === 429) {
              counts.throttled += 1;
              continue;
            }
            if (answer.html.includes('That code is not correct')) {
              counts.checked += 1;
              continue;
            }
            if (answer.html.includes('Too many incorrect codes. Enter your e-mail')) {
              counts.checked += 1;
              const again = await askAgain(page, JANE);
              counts.codeRequests += 1;
              if (again.status === 429) {
                counts.codeRequestsRefused += 1;
                break;
              }
              page = again;
              continue;
            }
            if (answer.status === 303) counts.accepted += 1;
            else throw new Error(`unexpected answer ${answer.status}: ${answer.html.slice(0, 400)}`);
            break;
          }
        }
      }),
    );

    const mailed = (await inbox.messagesTo(JANE)).length;
    const probability = counts.checked / 1e6;
    const perDay = settings.OTP_MAX_FAILURES * Math.ceil(86_400 / settings.OTP_FAILURE_WINDOW_SECONDS);
    console.log(
      [
        `one-time code attack, ${workers} parallel sign-in requests for ${attackMs / 1000} s against defaults:`,
        `  ${counts.requests} guesses sent, ${counts.checked} checked, ${counts.throttled} refused before checking, ${counts.accepted} accepted`,
        `  ${counts.codeRequests} code requests, ${counts.codeRequestsRefused} refused, ${mailed} mails to the victim`,
        `  success probability of this run <= ${counts.checked} / 10^6 = ${probability.toExponential(2)}`,
        `  upper bound per address: ${settings.OTP_MAX_FAILURES} wrong codes per ${settings.OTP_FAILURE_WINDOW_SECONDS} s = ${perDay} guesses a day,` +
          ` success <= ${(perDay / 1e6).toExponential(2)} a day, ${((1 - (1 - 1e-6) ** (perDay * 365)) * 100).toFixed(2)} % a year`,
      ].join('\n'),
    );

    expect(counts.requests).toBeGreaterThan(counts.checked);
    expect(counts.checked).toBeLessThanOrEqual(settings.OTP_MAX_FAILURES);
    expect(counts.accepted).toBe(0);
    expect(mailed).toBeLessThanOrEqual(settings.OTP_MAX_CODES_PER_ADDRESS);
    expect(perDay / 1e6).toBeLessThan(1e-4);
  });

  it('locks an address after the maximum of wrong codes, with the same answer for an unknown address', async () => {
    const server = await serverWith({ OTP_MAX_FAILURES: '3', OTP_FAILURE_DELAY_SECONDS: '0' });
    const unknown = 'mallory@demo.example';
    const locked: Record<string, SignInPage> = {};
    for (const email of [JOHN, unknown]) {
      // The wrong codes go to three different sign-in requests (three different codes).
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const page = await newSignIn(server, email);
        expect((await guess(page, randomCode())).html).toContain('That code is not correct');
      }
      locked[email] = await guess(await newSignIn(server, email), randomCode());
    }
    const john = locked[JOHN] as SignInPage;
    const mallory = locked[unknown] as SignInPage;
    expect(john.status).toBe(429);
    expect(john.html).toContain('Too many incorrect codes for this address');
    expect(mallory.status).toBe(john.status);
    expect(shape(mallory, unknown)).toBe(shape(john, JOHN));
    expect(await inbox.messagesTo(unknown)).toHaveLength(0);

    // While locked, even the right code is not taken.
    const since = Date.now();
    const page = await newSignIn(server, JOHN);
    const code = await inbox.waitForCode(JOHN, { since });
    const refused = await guess(page, code);
    expect(refused.status).toBe(429);
    expect(refused.html).not.toContain('id="allow"');
  });

  it('delays guesses after the free ones, and a correct code resets the count', async () => {
    const server = await serverWith({ OTP_FREE_FAILURES: '2', OTP_FAILURE_DELAY_SECONDS: '60' });
    const since = Date.now();
    const page = await newSignIn(server, JOHN);
    const code = await inbox.waitForCode(JOHN, { since });
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await guess(page, wrong)).status).toBe(400);
    expect((await guess(page, wrong)).status).toBe(400);
    // The third guess is checked (and is right); the count starts again.
    // Accepted: oidc-provider takes over (303 to the authorization endpoint's resume URL).
    const signedIn = await guess(page, code);
    expect(signedIn.status).toBe(303);

    const next = await newSignIn(server, JOHN);
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await guess(next, randomCode())).status).toBe(400);
    // Past the free failures, the next guess waits: refused without being checked.
    const waiting = await guess(next, randomCode());
    expect(waiting.status).toBe(429);
    expect(waiting.html).toContain('Wait 60 seconds before trying again');
  });

  it('caps the codes mailed per sign-in request and per address', async () => {
    const server = await serverWith({ OTP_MAX_CODES_PER_INTERACTION: '2', OTP_MAX_CODES_PER_ADDRESS: '3' });
    const first = await newSignIn(server, JANE);
    expect(first.status).toBe(200);
    const second = await askAgain(first, JANE);
    expect(second.status).toBe(200);
    const third = await askAgain(first, JANE);
    expect(third.status).toBe(429);
    expect(third.html).toContain('Too many codes have been requested');

    expect((await newSignIn(server, JANE)).status).toBe(200);
    const overAddress = await newSignIn(server, JANE);
    expect(overAddress.status).toBe(429);
    // An unknown address meets the same cap with the same page.
    const unknown = 'eve@demo.example';
    for (let sent = 0; sent < 3; sent += 1) expect((await newSignIn(server, unknown)).status).toBe(200);
    const unknownOver = await newSignIn(server, unknown);
    expect(unknownOver.status).toBe(429);
    expect(shape(unknownOver, unknown)).toBe(shape(overAddress, JANE));

    await new Promise((resolve) => setTimeout(resolve, 300));
    const mailed = await inbox.messagesTo(JANE);
    expect(mailed).toHaveLength(3);
  });
});

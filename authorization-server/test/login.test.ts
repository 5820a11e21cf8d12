import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser, type Browser } from './support/browser.ts';
import {
  JANE,
  JOHN,
  authorizeUrl,
  csrfOf,
  follow,
  openPage,
  pageAfter,
  pkcePair,
  registerMcpClient,
  startLogin,
  submit,
  type PageState,
} from './support/oauth.ts';
import { mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let as: RunningAuthorizationServer;
let inbox: TestInbox;

beforeAll(async () => {
  inbox = await startTestInbox();
  // Per-address delays off: this file is about one code's page flow; otp-limits.test.ts covers the per-address limits.
  as = await startAuthorizationServer({ env: { ...mailSettings(inbox), OTP_FAILURE_DELAY_SECONDS: '0' } });
});

afterAll(async () => {
  await as?.destroy();
  await inbox?.close();
});

async function newAuthorization(clientName = 'Stock Agent'): Promise<{ browser: Browser; start: string }> {
  const client = await registerMcpClient(as.baseUrl, { client_name: clientName });
  return { browser: createBrowser(), start: authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge: pkcePair().challenge }) };
}

/** The page's text without markup that differs per interaction (ids, CSRF tokens) or per address. */
function shape(page: PageState, email: string): string {
  return page.html.replaceAll(email, '<email>').replace(/\/authn\/interaction\/[^/"]+/g, '<uid>').replace(/value="[^"]*"/g, 'value=""');
}

describe('e-mail one-time password login', () => {
  it('names the requesting client on the login page, escaped', async () => {
    const { browser, start } = await newAuthorization('Agent <b>Smith</b>');
    const page = await openPage(browser, as.baseUrl, start);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Agent &lt;b&gt;Smith&lt;/b&gt;');
    expect(page.html).toMatch(/<input type="email" id="email" name="email"/);
    expect(page.html).toMatch(/<button[^>]*>Continue<\/button>/);
  });

  it('shows an unknown address the same page as an approved one and sends it nothing', async () => {
    const unknown = 'mallory@demo.example';
    const first = await newAuthorization();
    const unknownPage = await startLogin(first.browser, as.baseUrl, first.start, unknown);
    const second = await newAuthorization();
    const since = Date.now();
    const knownPage = await startLogin(second.browser, as.baseUrl, second.start, JOHN);
    await inbox.waitForCode(JOHN, { since });

    expect(unknownPage.status).toBe(knownPage.status);
    expect(shape(unknownPage, unknown)).toBe(shape(knownPage, JOHN));
    expect(unknownPage.html).toMatch(/<button[^>]*>Sign in<\/button>/);
    expect(await inbox.messagesTo(unknown)).toHaveLength(0);

    // Guesses fail the same way as wrong codes for a real user.
    const guess = await pageAfter(await submit(first.browser, as.baseUrl, unknownPage, 'otp', { otp: '123456' }));
    expect(guess.status).toBe(400);
    expect(guess.html).toContain('That code is not correct. 4 attempts left.');
  });

  it('locks the attempt after five wrong codes, even for the right code afterwards', async () => {
    const { browser, start } = await newAuthorization();
    const since = Date.now();
    let page = await startLogin(browser, as.baseUrl, start, JANE);
    const code = await inbox.waitForCode(JANE, { since });
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      page = await pageAfter(await submit(browser, as.baseUrl, page, 'otp', { otp: wrong }));
      expect(page.html).toContain(`${5 - attempt} attempt`);
      expect(page.html).toContain('id="otp"');
    }
    page = await pageAfter(await submit(browser, as.baseUrl, page, 'otp', { otp: wrong }));
    expect(page.html).toContain('Too many incorrect codes');
    expect(page.html).toContain('id="email"');

    // The code that was sent no longer works: the user must start again.
    const late = await browser.post(`${page.url}/otp`, { csrf: csrfOf(page.html), otp: code });
    expect(late.status).toBe(400);
    const latePage = await late.text();
    expect(latePage).toContain('id="email"');
    expect(latePage).not.toContain('Allow');

    // Starting again sends a new code that works.
    const again = Date.now();
    const otpPage = await pageAfter(await submit(browser, as.baseUrl, page, 'email', { email: JANE }));
    const fresh = await inbox.waitForCode(JANE, { since: again });
    const consent = await pageAfter(await submit(browser, as.baseUrl, otpPage, 'otp', { otp: fresh }));
    expect(consent.html).toContain('id="allow"');
  });

  it('refuses a form post without the interaction CSRF token', async () => {
    const { browser, start } = await newAuthorization();
    const page = await openPage(browser, as.baseUrl, start);
    const missing = await browser.post(`${page.url}/email`, { email: JOHN });
    expect(missing.status).toBe(403);
    const forged = await browser.post(`${page.url}/email`, { email: JOHN, csrf: 'x'.repeat(43) });
    expect(forged.status).toBe(403);

    // A token from another interaction does not fit either.
    const other = await newAuthorization();
    const otherPage = await openPage(other.browser, as.baseUrl, other.start);
    const crossed = await browser.post(`${page.url}/email`, { email: JOHN, csrf: csrfOf(otherPage.html) });
    expect(crossed.status).toBe(403);
  });

  it('refuses the code, restart and consent forms without the interaction CSRF token', async () => {
    const other = await newAuthorization();
    const foreignToken = csrfOf((await openPage(other.browser, as.baseUrl, other.start)).html);
    const refuses = async (browser: Browser, page: PageState, action: string, fields: Record<string, string>) => {
      for (const csrf of [undefined, foreignToken]) {
        const response = await browser.post(`${page.url}/${action}`, { ...fields, ...(csrf ? { csrf } : {}) });
        expect(response.status, `${action} with ${csrf ? 'a foreign' : 'no'} token`).toBe(403);
        expect(await response.text()).toContain('The form could not be verified');
      }
    };

    const { browser, start } = await newAuthorization();
    const since = Date.now();
    const otpPage = await startLogin(browser, as.baseUrl, start, JANE);
    const code = await inbox.waitForCode(JANE, { since });
    await refuses(browser, otpPage, 'otp', { otp: code });
    await refuses(browser, otpPage, 'restart', {});

    // The refused posts changed nothing: the code still works, once.
    const consent = await pageAfter(await submit(browser, as.baseUrl, otpPage, 'otp', { otp: code }));
    expect(consent.html).toContain('id="allow"');
    await refuses(browser, consent, 'consent', { decision: 'allow' });
    const decided = await submit(browser, as.baseUrl, consent, 'consent', { decision: 'allow' });
    expect(decided.response).toBeUndefined();
    expect(new URL(decided.url).searchParams.get('code')).toBeTruthy();
  });

  it('puts the client name into the code mail as one short quoted line, marked as unverified', async () => {
    const crafted = `IT Support\r\nYour account is locked.\u202eReply with this code to helpdesk@evil.example ${'!'.repeat(10)}`;
    const { browser, start } = await newAuthorization(crafted);
    const since = Date.now();
    await startLogin(browser, as.baseUrl, start, JOHN);
    await inbox.waitForCode(JOHN, { since });
    const [message] = (await inbox.messagesTo(JOHN)).sort((a, b) => b.time.getTime() - a.time.getTime());
    const lines = (message?.text ?? '').split(/\r?\n/);
    // The crafted text never starts a line of its own and carries no control or bidi characters.
    expect(lines.some((line) => line.startsWith('Your account is locked'))).toBe(false);
    const named = lines.filter((line) => line.includes('IT Support'));
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(/^Name the application gave itself \(not verified\): "IT Support Your account is locked\. ?Reply with/);
    expect(named[0]).not.toMatch(/[\u0000-\u001f\u007f\u202e]/u);
    expect((named[0] as string).length).toBeLessThan(120);
    expect(message?.text).toContain('An application asked you to sign in.');
  });

  it('answers malformed and oversized forms with a 4xx page', async () => {
    const { browser, start } = await newAuthorization();
    const page = await openPage(browser, as.baseUrl, start);
    const invalid = await pageAfter(await submit(browser, as.baseUrl, page, 'email', { email: 'not-an-address' }));
    expect(invalid.status).toBe(400);
    expect(invalid.html).toContain('Enter a valid e-mail address.');
    const huge = await browser.post(`${page.url}/email`, { email: 'x'.repeat(20_000), csrf: csrfOf(page.html) });
    expect(huge.status).toBe(413);
    expect(await huge.text()).not.toMatch(/at .*\.ts:\d+/);
    const lost = await createBrowser().get(page.url);
    expect(lost.status).toBe(400);
    expect(await lost.text()).toContain('expired');
  });

  it('shows the consent page in plain words with the region, without technical claims', async () => {
    const { browser, start } = await newAuthorization('Claude Desktop');
    const since = Date.now();
    const otpPage = await startLogin(browser, as.baseUrl, start, JANE);
    const code = await inbox.waitForCode(JANE, { since });
    const consent = await pageAfter(await submit(browser, as.baseUrl, otpPage, 'otp', { otp: code }));
    expect(consent.html).toContain('Claude Desktop');
    expect(consent.html).toContain('Read stock prices');
    expect(consent.html).toContain('Europe');
    expect(consent.html).not.toContain('client_type');
    expect(consent.html).not.toContain('client_assurance_level');
    expect(consent.html).toMatch(/<button[^>]*>Allow<\/button>/);
    expect(consent.html).toMatch(/<button[^>]*>Deny<\/button>/);
    expect(consent.status).toBe(200);
  });

  it('sends login pages with anti-framing and a form-action limited to this server and the client', async () => {
    const { browser, start } = await newAuthorization();
    const { url, response } = await follow(browser, as.baseUrl, start);
    const csp = response?.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self';");
    expect(response?.headers.get('x-frame-options')).toBe('DENY');
    expect(response?.headers.get('cache-control')).toBe('no-store');
    const emailPage = { url, html: (await response?.text()) ?? '', status: response?.status ?? 0 };

    // The code and consent forms end in a redirect to the client, so its origin is allowed there.
    const since = Date.now();
    const otpPost = await browser.post(`${url}/email`, { csrf: csrfOf(emailPage.html), email: JOHN });
    expect(otpPost.status).toBe(303);
    await inbox.waitForCode(JOHN, { since });
    const otpPage = await browser.get(url);
    expect(otpPage.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:8765;");
    await otpPage.body?.cancel();
  });
});

describe('one-time password expiry', () => {
  let shortLived: RunningAuthorizationServer;

  beforeAll(async () => {
    shortLived = await startAuthorizationServer({ env: { ...mailSettings(inbox), OTP_TTL_SECONDS: '1' } });
  });

  afterAll(async () => {
    await shortLived?.destroy();
  });

  it('refuses a code after OTP_TTL_SECONDS', async () => {
    const client = await registerMcpClient(shortLived.baseUrl);
    const browser = createBrowser();
    const since = Date.now();
    const otpPage = await startLogin(browser, shortLived.baseUrl, authorizeUrl(shortLived.baseUrl, { clientId: client.client_id, challenge: pkcePair().challenge }), JOHN);
    const code = await inbox.waitForCode(JOHN, { since });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const page = await pageAfter(await submit(browser, shortLived.baseUrl, otpPage, 'otp', { otp: code }));
    expect(page.status).toBe(400);
    expect(page.html).toContain('The code has expired');
    expect(page.html).toContain('id="email"');
  });
});

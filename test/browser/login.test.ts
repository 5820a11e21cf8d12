import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport, UnauthorizedError, type CallToolResult } from '@modelcontextprotocol/client';
import { createRecordingProvider, type RecordingProvider } from '../e2e/support/oauth-provider.ts';
import { startStack } from '../e2e/support/stack.ts';
import { launchChromium, type RunningChromium } from './support/chromium.ts';
import { REPO_ROOT, signInWithBrowser } from './support/sign-in.ts';

/**
 * A person at a real browser: the MCP SDK's client (v2, speaking MCP
 * 2026-07-28) starts the flow against
 * the whole local profile, headless Chromium opens the authorization URL,
 * reads and fills the authorization server's pages, and the client finishes
 * with the code the browser was redirected with.
 */
type Stack = Awaited<ReturnType<typeof startStack>>;
let stack: Stack;
let browser: RunningChromium;

// Nothing listens here: the browser answers the redirect itself (page.route),
// the way a client's callback would receive it.
const REDIRECT_URI = 'http://127.0.0.1:53682/callback';
const SCREENSHOTS = join(REPO_ROOT, 'test-artifacts', 'browser');

const catalogue = JSON.parse(readFileSync(join(REPO_ROOT, 'stocks-api/data/stocks.json'), 'utf8')) as {
  stocks: Array<{ id: string; region: string }>;
};
const idsIn = (region: string) => catalogue.stocks.filter((stock) => stock.region === region).map((stock) => stock.id).sort();

function user(email: string): { email: string; region: string } {
  const found = stack.endpoints.users.find((candidate) => candidate.email === email);
  if (!found) throw new Error(`${email} is not a user of this deployment`);
  return found;
}

const newClient = () => new Client({ name: 'browser-test-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });

/** Asks for the tools without a token, as every client first does, and returns the authorization URL the SDK produced. */
async function startAuthorization(provider: RecordingProvider): Promise<{ transport: StreamableHTTPClientTransport; authorizationUrl: URL }> {
  const transport = new StreamableHTTPClientTransport(new URL(stack.endpoints.external.mcp), { authProvider: provider });
  const client = newClient();
  const refusal = await client
    .connect(transport)
    .then(() => client.listTools())
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(refusal).toBeInstanceOf(UnauthorizedError);
  const authorizationUrl = provider.lastAuthorizationUrl;
  if (!authorizationUrl) throw new Error('the SDK did not produce an authorization URL');
  return { transport, authorizationUrl };
}

function expectPng(path: string): void {
  const header = readFileSync(path).subarray(0, 8);
  expect(header.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${path} is a PNG`).toBe(true);
  expect(statSync(path).size).toBeGreaterThan(1_000);
}

beforeAll(async () => {
  // The browser first: when Chromium is missing, fail with the install hint before starting anything else.
  browser = await launchChromium();
  stack = await startStack();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('signing in with a real browser', () => {
  it('shows the client, asks for consent in plain words, and the client reads only the user\'s region', async () => {
    const john = user('john.doe@demo.example');
    const clientName = `Browser test agent ${randomUUID().slice(0, 8)}`;
    const provider = createRecordingProvider({ redirectUrl: REDIRECT_URI, clientName });
    const { transport, authorizationUrl } = await startAuthorization(provider);
    expect(provider.savedClient?.client_id).toEqual(expect.any(String));

    const signIn = await signInWithBrowser(authorizationUrl, {
      email: john.email,
      inbox: stack.endpoints.external.inbox,
      redirect: 'intercept',
      consent: 'allow',
      screenshotsDir: SCREENSHOTS,
      label: 'login-allow',
      browser,
    });

    // The e-mail page names the client by the name it registered with.
    const registeredName = (provider.savedClient as { client_name?: string } | undefined)?.client_name;
    expect(registeredName).toBe(clientName);
    expect(signIn.email.text).toContain(clientName);
    expect(signIn.otp.text).toContain(john.email);

    // Consent: the scope in plain words with the user's region; the technical claims stay out of sight.
    const consent = signIn.consent;
    if (!consent) throw new Error('the authorization server did not ask for consent');
    expect(consent.text).toContain(clientName);
    expect(consent.text).toMatch(/read stock prices/i);
    expect(consent.text).toContain(john.region);
    for (const hidden of ['client_type', 'client_assurance_level', 'assurance']) expect(consent.text).not.toContain(hidden);

    // The authorization response (RFC 9207: iss names the issuer).
    const { redirect } = signIn;
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('iss')).toBe(stack.endpoints.external.issuer);
    expect(redirect.searchParams.get('state')).toBe(authorizationUrl.searchParams.get('state'));
    expect(redirect.searchParams.get('error')).toBeNull();
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error(`no code in ${redirect.href}`);

    await transport.finishAuth(code, redirect.searchParams.get('iss') ?? undefined);
    expect(provider.savedTokens).toMatchObject({ token_type: expect.stringMatching(/^bearer$/i), scope: 'stocks/read', expires_in: 900 });

    const client = newClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.endpoints.external.mcp), { authProvider: provider }));
    try {
      const result = (await client.callTool({ name: 'fetch-stock-prices', arguments: {} })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
      const text = result.content.find((item) => item.type === 'text');
      const listed = JSON.parse(text?.type === 'text' ? text.text : '{}') as { region?: string; stocks?: Array<{ id: string; region: string }> };
      expect(listed.region).toBe(john.region);
      expect((listed.stocks ?? []).map((stock) => stock.id).sort()).toEqual(idsIn(john.region));
      expect(new Set((listed.stocks ?? []).map((stock) => stock.region))).toEqual(new Set([john.region]));
    } finally {
      await client.close();
    }

    for (const page of [signIn.email, signIn.otp, consent]) expectPng(page.screenshot);
  });

  it('sends the user back with access_denied when they deny consent, and the client gets no token', async () => {
    const jane = user('jane.test@demo.example');
    const provider = createRecordingProvider({ redirectUrl: REDIRECT_URI, clientName: `Browser test agent ${randomUUID().slice(0, 8)}` });
    const { authorizationUrl } = await startAuthorization(provider);

    const signIn = await signInWithBrowser(authorizationUrl, {
      email: jane.email,
      inbox: stack.endpoints.external.inbox,
      redirect: 'intercept',
      consent: 'deny',
      screenshotsDir: SCREENSHOTS,
      label: 'login-deny',
      browser,
    });

    expect(signIn.consent?.text).toContain(jane.region);
    const { redirect } = signIn;
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('code')).toBeNull();
    expect(redirect.searchParams.get('iss')).toBe(stack.endpoints.external.issuer);
    expect(redirect.searchParams.get('state')).toBe(authorizationUrl.searchParams.get('state'));
    expect(provider.savedTokens).toBeUndefined();
  });
});

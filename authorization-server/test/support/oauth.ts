import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestInbox } from '@mcp-demo/testing';
import type { Browser } from './browser.ts';
import { MCP_AUDIENCE } from './server.ts';

export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
export const JOHN = 'john.doe@demo.example';
export const JANE = 'jane.test@demo.example';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface Registered {
  client_id: string;
  client_secret?: string;
  [key: string]: unknown;
}

export async function register(baseUrl: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/token-service/oauth-registration`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export function inspectorRegistration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: 'MCP Inspector',
    grant_types: ['authorization_code'],
    redirect_uris: [REDIRECT_URI],
    response_types: ['code'],
    scope: 'stocks/read',
    token_endpoint_auth_method: 'client_secret_post',
    ...overrides,
  };
}

export async function registerMcpClient(baseUrl: string, overrides: Record<string, unknown> = {}): Promise<Registered> {
  const { status, json } = await register(baseUrl, inspectorRegistration(overrides));
  expect(status, JSON.stringify(json)).toBe(201);
  return json as Registered;
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri?: string;
  challenge?: string;
  challengeMethod?: string;
  resource?: string | null;
  /** null: no scope parameter. */
  scope?: string | null;
  state?: string;
}

export function authorizeUrl(baseUrl: string, options: AuthorizeOptions): string {
  const url = new URL('/oauth/v2/oauth-authorize', baseUrl);
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', options.redirectUri ?? REDIRECT_URI);
  if (options.scope !== null) url.searchParams.set('scope', options.scope ?? 'stocks/read');
  if (options.challenge) url.searchParams.set('code_challenge', options.challenge);
  if (options.challengeMethod ?? options.challenge) url.searchParams.set('code_challenge_method', options.challengeMethod ?? 'S256');
  if (options.resource !== null) url.searchParams.set('resource', options.resource ?? MCP_AUDIENCE);
  url.searchParams.set('state', options.state ?? randomBytes(8).toString('hex'));
  return url.href;
}

/** Follows redirects on the authorization server; returns the page it lands on, or the first URL elsewhere. */
export async function follow(browser: Browser, baseUrl: string, start: string): Promise<{ url: string; response?: Response }> {
  let url = start;
  for (let hops = 0; hops < 10; hops += 1) {
    if (!url.startsWith(baseUrl)) return { url };
    const response = await browser.get(url);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { url, response };
    await response.body?.cancel();
    url = new URL(location, url).href;
  }
  throw new Error('too many redirects');
}

export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match?.[1]) throw new Error('page has no CSRF token');
  return match[1];
}

export interface PageState {
  url: string;
  html: string;
  status: number;
}

export async function openPage(browser: Browser, baseUrl: string, start: string): Promise<PageState> {
  const { url, response } = await follow(browser, baseUrl, start);
  if (!response) throw new Error(`expected a page on the authorization server, got a redirect to ${url}`);
  return { url, html: await response.text(), status: response.status };
}

/** Posts a form of the page at `pageUrl` and follows where it leads. */
export async function submit(
  browser: Browser,
  baseUrl: string,
  page: PageState,
  action: string,
  fields: Record<string, string>,
): Promise<{ url: string; response?: Response }> {
  const response = await browser.post(`${page.url}/${action}`, { csrf: csrfOf(page.html), ...fields });
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location) {
    await response.body?.cancel();
    return follow(browser, baseUrl, new URL(location, page.url).href);
  }
  return { url: page.url, response };
}

export async function pageAfter(result: { url: string; response?: Response }): Promise<PageState> {
  if (!result.response) throw new Error(`expected a page, got a redirect to ${result.url}`);
  return { url: result.url, html: await result.response.text(), status: result.response.status };
}

/** Enters the e-mail address and returns the one-time code page (and the code, for approved users). */
export async function startLogin(browser: Browser, baseUrl: string, start: string, email: string): Promise<PageState> {
  const emailPage = await openPage(browser, baseUrl, start);
  expect(emailPage.html).toContain('id="email"');
  return pageAfter(await submit(browser, baseUrl, emailPage, 'email', { email }));
}

export interface SignInOptions {
  email?: string;
  inbox: TestInbox;
  decision?: 'allow' | 'deny';
}

/**
 * A whole sign-in: e-mail, code from the inbox, consent. Returns the URL the
 * browser is finally sent to (the client's redirect URI with code or error).
 */
export async function signIn(browser: Browser, baseUrl: string, start: string, options: SignInOptions): Promise<URL> {
  const email = options.email ?? JOHN;
  const since = Date.now();
  const otpPage = await startLogin(browser, baseUrl, start, email);
  expect(otpPage.html).toContain('id="otp"');
  const code = await options.inbox.waitForCode(email, { since });
  let result = await submit(browser, baseUrl, otpPage, 'otp', { otp: code });
  if (result.response) {
    const consent = await pageAfter(result);
    expect(consent.html, consent.html).toContain('id="allow"');
    result = await submit(browser, baseUrl, consent, 'consent', { decision: options.decision ?? 'allow' });
  }
  if (result.response) throw new Error(`sign-in ended on a page of the authorization server: ${result.url} (${result.response.status})`);
  return new URL(result.url);
}

export interface TokenRequest {
  clientId: string;
  clientSecret?: string;
  code: string;
  verifier?: string;
  redirectUri?: string;
  resource?: string;
}

export async function redeemCode(baseUrl: string, request: TokenRequest): Promise<{ status: number; json: Record<string, unknown> }> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: request.clientId,
    code: request.code,
    redirect_uri: request.redirectUri ?? REDIRECT_URI,
    resource: request.resource ?? MCP_AUDIENCE,
  });
  if (request.clientSecret) form.set('client_secret', request.clientSecret);
  if (request.verifier) form.set('code_verifier', request.verifier);
  const response = await fetch(`${baseUrl}/oauth/v2/oauth-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function introspect(
  baseUrl: string,
  token: string,
  credentials: { id: string; secret: string },
  accept = 'application/json',
): Promise<Response> {
  return fetch(`${baseUrl}/oauth/v2/oauth-introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(credentials.id, credentials.secret),
      accept,
    },
    body: new URLSearchParams({ token }).toString(),
  });
}

export async function exchange(
  baseUrl: string,
  fields: Record<string, string>,
  credentials: { id: string; secret: string },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/oauth/v2/oauth-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(credentials.id, credentials.secret) },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      ...fields,
    }).toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Signs in for a registered client (scope as authorizeUrl takes it) and redeems the code; returns the token response. */
export async function tokenFor(
  baseUrl: string,
  inbox: TestInbox,
  browser: Browser,
  client: Registered,
  options: { email?: string; scope?: string | null } = {},
): Promise<Record<string, unknown>> {
  const { verifier, challenge } = pkcePair();
  const callback = await signIn(browser, baseUrl, authorizeUrl(baseUrl, { clientId: client.client_id, challenge, scope: options.scope }), {
    inbox,
    ...(options.email ? { email: options.email } : {}),
  });
  const code = callback.searchParams.get('code');
  expect(code, callback.href).toBeTruthy();
  const { status, json } = await redeemCode(baseUrl, {
    clientId: client.client_id,
    clientSecret: client.client_secret as string,
    code: code as string,
    verifier,
  });
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

/** Registers a client, signs John in and redeems the code: an MCP client's opaque token. */
export async function obtainAccessToken(
  baseUrl: string,
  inbox: TestInbox,
  browser: Browser,
  options: { email?: string } = {},
): Promise<{ client: Registered; token: Record<string, unknown> }> {
  const client = await registerMcpClient(baseUrl);
  return { client, token: await tokenFor(baseUrl, inbox, browser, client, options) };
}

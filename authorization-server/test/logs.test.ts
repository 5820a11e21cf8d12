import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mcp-demo/service-kit';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser } from './support/browser.ts';
import {
  JOHN,
  authorizeUrl,
  csrfOf,
  exchange,
  introspect,
  pageAfter,
  pkcePair,
  redeemCode,
  registerMcpClient,
  startLogin,
  submit,
} from './support/oauth.ts';
import { API_AUDIENCE, GATEWAY_SECRET, MCP_SERVER_SECRET, mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let as: RunningAuthorizationServer;
let inbox: TestInbox;
const lines: string[] = [];

beforeAll(async () => {
  inbox = await startTestInbox();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  as = await startAuthorizationServer({
    env: mailSettings(inbox),
    logger: createLogger('authorization-server', 'trace', sink),
  });
});

afterAll(async () => {
  await as?.destroy();
  await inbox?.close();
});

describe('logs', () => {
  it('record every request of a whole flow without a token, code, one-time password or secret', async () => {
    const secrets: Record<string, string> = { GATEWAY_SECRET, MCP_SERVER_SECRET };
    const gateway = { id: 'api-gateway-client', secret: GATEWAY_SECRET };
    const mcpServer = { id: 'mcp-server', secret: MCP_SERVER_SECRET };

    const client = await registerMcpClient(as.baseUrl);
    secrets.client_secret = client.client_secret as string;
    const { verifier, challenge } = pkcePair();
    secrets.code_verifier = verifier;

    const browser = createBrowser();
    const since = Date.now();
    const otpPage = await startLogin(browser, as.baseUrl, authorizeUrl(as.baseUrl, { clientId: client.client_id, challenge }), JOHN);
    secrets.csrf = csrfOf(otpPage.html);
    secrets.otp = await inbox.waitForCode(JOHN, { since });
    const wrong = secrets.otp === '000000' ? '111111' : '000000';
    await pageAfter(await submit(browser, as.baseUrl, otpPage, 'otp', { otp: wrong }));
    const consent = await pageAfter(await submit(browser, as.baseUrl, otpPage, 'otp', { otp: secrets.otp }));
    const callback = new URL((await submit(browser, as.baseUrl, consent, 'consent', { decision: 'allow' })).url);
    secrets.code = callback.searchParams.get('code') as string;

    const token = await redeemCode(as.baseUrl, { clientId: client.client_id, clientSecret: secrets.client_secret, code: secrets.code, verifier });
    expect(token.status).toBe(200);
    secrets.access_token = token.json.access_token as string;
    // A reused code is refused (and logged as a refusal).
    expect((await redeemCode(as.baseUrl, { clientId: client.client_id, clientSecret: secrets.client_secret, code: secrets.code, verifier })).status).toBe(400);

    const fresh = await redeemCodeForNewToken(client.client_id, secrets.client_secret);
    secrets.second_access_token = fresh;
    secrets.phantom_token = await (await introspect(as.baseUrl, fresh, gateway, 'application/jwt')).text();
    await (await introspect(as.baseUrl, fresh, { id: 'api-gateway-client', secret: 'wrong-secret' })).body?.cancel();
    const exchanged = await exchange(as.baseUrl, { subject_token: secrets.phantom_token, audience: API_AUDIENCE }, mcpServer);
    expect(exchanged.status).toBe(200);
    secrets.exchanged_token = exchanged.json.access_token as string;
    expect((await exchange(as.baseUrl, { subject_token: secrets.phantom_token, audience: 'https://elsewhere.example' }, mcpServer)).status).toBe(400);

    const log = lines.join('');
    // The capture works: the requests, the mail and the refusals are all there.
    expect(log).toContain('"msg":"request completed"');
    expect(log).toContain('"path":"/oauth/v2/oauth-token"');
    expect(log).toContain('"path":"/oauth/v2/oauth-introspect"');
    expect(log).toContain('"msg":"one-time code sent"');
    expect(log).toContain('"msg":"client registered"');
    expect(log).toContain('"oauthError":"invalid_grant"');
    expect(log).toContain('"oauthError":"invalid_target"');
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThanOrEqual(6);
      expect(log.includes(value), `${name} appears in the log`).toBe(false);
    }
    // OAuth events are logged in the context of their request.
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'oauth request refused' || entry.msg === 'client registered');
    expect(events.length).toBeGreaterThanOrEqual(4);
    for (const entry of events) expect(entry.requestId, JSON.stringify(entry)).toEqual(expect.any(String));
    // Nothing from a stack trace either.
    expect(log).not.toMatch(/\bat .+\.(ts|js):\d+/);
  });
});

describe('logs of failures', () => {
  it('carry the error name and a redacted message, never a stack trace', async () => {
    const failures: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        failures.push(chunk.toString('utf8'));
        done();
      },
    });
    const broken = await startAuthorizationServer({
      env: mailSettings(inbox),
      logger: createLogger('authorization-server', 'info', sink),
    });
    try {
      const client = await registerMcpClient(broken.baseUrl);
      const browser = createBrowser();
      const started = await browser.get(authorizeUrl(broken.baseUrl, { clientId: client.client_id, challenge: pkcePair().challenge }));
      const interaction = new URL(started.headers.get('location') as string, broken.baseUrl);
      await started.body?.cancel();
      // The store goes away under running requests: the interaction page and the token endpoint fail inside.
      await broken.server.close();
      expect((await browser.get(interaction)).status).toBe(500);
      const token = await redeemCode(broken.baseUrl, { clientId: client.client_id, clientSecret: client.client_secret as string, code: 'x'.repeat(43) });
      expect(token.status).toBe(500);
    } finally {
      await broken.destroy();
    }

    const errors = failures.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.level === 50);
    expect(errors.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['interaction failed', 'authorization server error']));
    for (const entry of errors) {
      expect(entry, JSON.stringify(entry)).toMatchObject({ errorName: expect.any(String), errorMessage: expect.any(String) });
      expect(JSON.stringify(entry)).not.toMatch(/stack|\bat .+\.(ts|js):\d+/);
    }
  });
});

/** A second token of the same client, so that the first one's revocation by code reuse does not matter. */
async function redeemCodeForNewToken(clientId: string, clientSecret: string): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const browser = createBrowser();
  const since = Date.now();
  const otpPage = await startLogin(browser, as.baseUrl, authorizeUrl(as.baseUrl, { clientId, challenge }), JOHN);
  const consent = await pageAfter(await submit(browser, as.baseUrl, otpPage, 'otp', { otp: await inbox.waitForCode(JOHN, { since }) }));
  const code = new URL((await submit(browser, as.baseUrl, consent, 'consent', { decision: 'allow' })).url).searchParams.get('code') as string;
  const { status, json } = await redeemCode(as.baseUrl, { clientId, clientSecret, code, verifier });
  expect(status).toBe(200);
  return json.access_token as string;
}

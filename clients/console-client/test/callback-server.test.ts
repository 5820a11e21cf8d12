import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizationError, startCallbackServer, type CallbackServer } from '../src/oauth/callback-server.ts';

const ISSUER = 'https://login.demo.example/oauth/v2/oauth-anonymous';
let callback: CallbackServer;

beforeEach(async () => {
  callback = await startCallbackServer();
});
afterEach(() => callback.close());

async function respond(params: Record<string, string>, path = '/callback'): Promise<{ status: number; body: string }> {
  const url = new URL(path, callback.redirectUrl);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

function settled<T>(promise: Promise<T>) {
  const outcome: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(outcome, { value, done: true }),
    (error: unknown) => Object.assign(outcome, { error, done: true }),
  );
  return outcome;
}

describe('loopback callback server', () => {
  it('listens on a loopback address with the /callback path', () => {
    expect(callback.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(callback.port).toBeGreaterThan(0);
  });

  it('hands over the code when state and iss match', async () => {
    const code = callback.expect({ state: 'state-1', issuer: ISSUER, issuerRequired: true });
    const page = await respond({ code: 'the-code', state: 'state-1', iss: ISSUER });

    expect(await code).toEqual({ code: 'the-code', iss: ISSUER });
    expect(page.status).toBe(200);
    expect(page.body).toContain('You can close this window');
  });

  it('ignores a response with another state and keeps waiting for the right one', async () => {
    const code = settled(callback.expect({ state: 'state-1', issuer: ISSUER, issuerRequired: true }));
    const wrong = await respond({ code: 'injected', state: 'state-2', iss: ISSUER });
    const missing = await respond({ code: 'injected', iss: ISSUER });

    expect(wrong.status).toBe(400);
    expect(missing.status).toBe(400);
    expect(code.done).toBe(false);
    await respond({ code: 'the-code', state: 'state-1', iss: ISSUER });
    await expect.poll(() => code.value).toEqual({ code: 'the-code', iss: ISSUER });
  });

  it('refuses a response whose iss names another authorization server', async () => {
    const code = callback.expect({ state: 's', issuer: ISSUER, issuerRequired: true });
    code.catch(() => undefined);
    const page = await respond({ code: 'c', state: 's', iss: 'https://login.attacker.example' });

    expect(page.status).toBe(400);
    const error = await code.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).error).toBe('issuer_mismatch');
    expect((error as Error).message).toContain('https://login.attacker.example');
  });

  it('refuses a response without iss when the server promised one, accepts it when not', async () => {
    const required = callback.expect({ state: 's', issuer: ISSUER, issuerRequired: true });
    required.catch(() => undefined);
    await respond({ code: 'c', state: 's' });
    await expect(required).rejects.toThrow(/no iss parameter/);

    const optional = callback.expect({ state: 't', issuer: ISSUER, issuerRequired: false });
    await respond({ code: 'c2', state: 't' });
    expect(await optional).toEqual({ code: 'c2', iss: undefined });
  });

  it('surfaces error=access_denied with its description', async () => {
    const code = callback.expect({ state: 's', issuer: ISSUER, issuerRequired: true });
    code.catch(() => undefined);
    const page = await respond({ error: 'access_denied', error_description: 'The user declined consent', state: 's', iss: ISSUER });

    expect(page.status).toBe(400);
    expect(page.body).toContain('The user declined consent');
    const error = (await code.catch((e: unknown) => e)) as AuthorizationError;
    expect(error.error).toBe('access_denied');
    expect(error.description).toBe('The user declined consent');
  });

  it('escapes what the authorization server sends before showing it', async () => {
    const code = callback.expect({ state: 's', issuerRequired: false });
    code.catch(() => undefined);
    const page = await respond({ error: 'access_denied', error_description: '<script>alert(1)</script>', state: 's' });

    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('&#60;script&#62;');
  });

  it('answers 400 when no sign-in is waiting and 404 off the callback path', async () => {
    expect((await respond({ code: 'c', state: 's' })).status).toBe(400);
    expect((await respond({}, '/other')).status).toBe(404);
  });

  it('gives up after the timeout and when cancelled', async () => {
    await expect(callback.expect({ state: 's', issuerRequired: false, timeoutMs: 50 })).rejects.toThrow(/No sign-in response arrived/);
    const pending = callback.expect({ state: 't', issuerRequired: false });
    callback.cancel(new Error('The browser command failed'));
    await expect(pending).rejects.toThrow('The browser command failed');
  });

  it('reports a taken port clearly', async () => {
    await expect(startCallbackServer({ port: callback.port })).rejects.toThrow(`The callback port ${callback.port} on 127.0.0.1 is already in use`);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser } from './support/browser.ts';
import { authorizeUrl, introspect, obtainAccessToken, pkcePair, redeemCode, signIn, type Registered } from './support/oauth.ts';
import { GATEWAY_SECRET, mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

let inbox: TestInbox;
let current: RunningAuthorizationServer | undefined;

beforeAll(async () => {
  inbox = await startTestInbox();
});

afterAll(async () => {
  await current?.destroy();
  await inbox?.close();
});

describe('restart on the same DATA_DIR', () => {
  it('keeps registered clients, unexpired tokens and the signing key', async () => {
    const mail = mailSettings(inbox);
    const first = await startAuthorizationServer({ env: mail });
    current = first;
    const gateway = { id: 'api-gateway-client', secret: GATEWAY_SECRET };
    const { client, token } = await obtainAccessToken(first.baseUrl, inbox, createBrowser());
    const jwksBefore = await (await fetch(`${first.baseUrl}/oauth/v2/oauth-anonymous/jwks`)).json();

    await first.stop();
    current = undefined;
    const second = await first.restart();
    current = second;
    expect(second.baseUrl).toBe(first.baseUrl);

    // The opaque token issued before the restart still introspects, in both forms.
    const json = (await (await introspect(second.baseUrl, token.access_token as string, gateway)).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ active: true, client_id: client.client_id, scope: 'stocks/read' });
    const jwt = await introspect(second.baseUrl, token.access_token as string, gateway, 'application/jwt');
    expect(jwt.status).toBe(200);
    expect(await (await fetch(`${second.baseUrl}/oauth/v2/oauth-anonymous/jwks`)).json()).toEqual(jwksBefore);

    // The client registered before the restart still runs the whole flow.
    const registered = client as Registered;
    const { verifier, challenge } = pkcePair();
    const callback = await signIn(createBrowser(), second.baseUrl, authorizeUrl(second.baseUrl, { clientId: registered.client_id, challenge }), {
      inbox,
    });
    const redeemed = await redeemCode(second.baseUrl, {
      clientId: registered.client_id,
      clientSecret: registered.client_secret as string,
      code: callback.searchParams.get('code') as string,
      verifier,
    });
    expect(redeemed.status).toBe(200);
  });
});

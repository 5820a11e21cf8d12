import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '@mcp-demo/testing';
import { createBrowser } from './support/browser.ts';
import { registerMcpClient, tokenFor, type Registered } from './support/oauth.ts';
import { mailSettings, startAuthorizationServer, type RunningAuthorizationServer } from './support/server.ts';

/**
 * stocks/trade, the step-up scope the gateway asks for on the place-order
 * tool: declared, open to a client registered with stocks/read only, and
 * never granted by default.
 */

let as: RunningAuthorizationServer;
let inbox: TestInbox;

beforeAll(async () => {
  inbox = await startTestInbox();
  as = await startAuthorizationServer({ env: mailSettings(inbox) });
});

afterAll(async () => {
  await as?.destroy();
  await inbox?.close();
});

async function tokenScope(client: Registered, scope: string | null): Promise<unknown> {
  return (await tokenFor(as.baseUrl, inbox, createBrowser(), client, { scope })).scope;
}

describe('the stocks/trade step-up scope', () => {
  it('is advertised next to stocks/read', async () => {
    const metadata = (await (await fetch(new URL('/.well-known/oauth-authorization-server', as.baseUrl))).json()) as { scopes_supported?: string[] };
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['stocks/read', 'stocks/trade']));
  });

  it('may be asked for by a client registered with stocks/read only, and is issued after consent', async () => {
    const client = await registerMcpClient(as.baseUrl, { scope: 'stocks/read' });
    expect(client.scope).toBe('stocks/read stocks/trade');
    expect(await tokenScope(client, 'stocks/read stocks/trade')).toBe('stocks/read stocks/trade');
  });

  it('is not part of the default for a request without scope', async () => {
    const client = await registerMcpClient(as.baseUrl, { scope: 'stocks/read' });
    expect(await tokenScope(client, null)).toBe('stocks/read');
  });
});

import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../../../authorization-server/test/support/browser.ts';
import {
  authorizeUrl,
  exchange,
  introspect,
  obtainAccessToken,
  openPage,
  pageAfter,
  pkcePair,
  redeemCode,
  registerMcpClient,
  startLogin,
  submit,
  type PageState,
} from '../../../authorization-server/test/support/oauth.ts';
import { API_AUDIENCE, GATEWAY_SECRET, MCP_SERVER_SECRET, startCluster, type Cluster } from '../src/cluster.ts';

const gateway = { id: 'api-gateway-client', secret: GATEWAY_SECRET };
const mcpServer = { id: 'mcp-server', secret: MCP_SERVER_SECRET };
/** Wrong codes per address before the address is locked; no delays, so the count alone decides. */
const MAX_FAILURES = 7;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 2,
    env: { OTP_MAX_FAILURES: String(MAX_FAILURES), OTP_FREE_FAILURES: '1000', OTP_FAILURE_DELAY_SECONDS: '0' },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

/** The nodes that served requests from `since` on (an index into front.served). */
const nodesSince = (since: number) => cluster.front.served.slice(since).map((entry) => entry.node);

/** What a wrong code's page says, reduced to the outcome. */
function outcomeOf(page: PageState): string {
  const left = /(\d) attempts? left/.exec(page.html);
  if (left) return `wrong, ${left[1]} left`;
  if (page.html.includes('Too many incorrect codes for this address')) return `address locked (${page.status})`;
  if (page.html.includes('Enter your e-mail address to get a new code')) return 'code locked';
  return `unexpected ${page.status}`;
}

/** Signs `email` in up to the code page and sends `count` wrong codes; the outcome of each. */
async function guessWrong(email: string, count: number): Promise<string[]> {
  const base = cluster.front.url;
  const client = await registerMcpClient(base);
  const browser = createBrowser();
  let page = await startLogin(browser, base, authorizeUrl(base, { clientId: client.client_id, challenge: pkcePair().challenge }), email);
  const outcomes: string[] = [];
  for (let guess = 0; guess < count; guess += 1) {
    // Unknown addresses get a challenge too, and every code is wrong for them.
    page = await pageAfter(await submit(browser, base, page, 'otp', { otp: '000000' }));
    outcomes.push(outcomeOf(page));
    if (!page.html.includes('id="otp"') || page.status === 429) break;
  }
  return outcomes;
}

describe('two authorization server nodes on one PostgreSQL', () => {
  it('completes a sign-in whose steps land on alternate nodes', async () => {
    cluster.front.roundRobin();
    const since = cluster.front.served.length;
    const { token } = await obtainAccessToken(cluster.front.url, cluster.inbox, createBrowser());
    expect(token).toMatchObject({ token_type: 'Bearer', scope: 'stocks/read' });
    const nodes = nodesSince(since);
    // Registration, authorize, interaction pages, code, consent and token: each request went to the other node than the one before.
    expect(nodes.length).toBeGreaterThanOrEqual(8);
    for (let index = 1; index < nodes.length; index += 1) expect(nodes[index]).not.toBe(nodes[index - 1]);
    const served = cluster.front.served.slice(since);
    expect(new Set(served.filter((entry) => entry.path.startsWith('/authn/interaction/')).map((entry) => entry.node))).toEqual(new Set(['node-a', 'node-b']));
  }, 60_000);

  it('locks a code and an address at the same count whether wrong codes alternate between nodes or stay on one', async () => {
    cluster.front.roundRobin();
    const alternating = [...(await guessWrong('alternating@demo.example', 5)), ...(await guessWrong('alternating@demo.example', 5))];
    cluster.front.pin('node-a');
    const oneNode = [...(await guessWrong('one-node@demo.example', 5)), ...(await guessWrong('one-node@demo.example', 5))];
    cluster.front.roundRobin();

    expect(oneNode).toEqual([
      'wrong, 4 left',
      'wrong, 3 left',
      'wrong, 2 left',
      'wrong, 1 left',
      'code locked',
      // The same address, a new sign-in: wrong codes 6 and 7 of MAX_FAILURES, then the address is locked.
      'wrong, 4 left',
      'wrong, 3 left',
      'address locked (429)',
    ]);
    expect(alternating).toEqual(oneNode);
  }, 60_000);

  it('loses nothing when a node stops mid-sign-in: the other carries on from the same step', async () => {
    cluster.front.roundRobin();
    const base = cluster.front.url;
    const client = await registerMcpClient(base);
    const { verifier, challenge } = pkcePair();
    const browser = createBrowser();
    const since = Date.now();
    const codePage = await startLogin(browser, base, authorizeUrl(base, { clientId: client.client_id, challenge }), 'john.doe@demo.example');
    expect(codePage.html).toContain('id="otp"');
    const code = await cluster.inbox.waitForCode('john.doe@demo.example', { since });

    // The node that served the code page goes away; the rest runs on the other.
    const lastNode = cluster.front.served.at(-1)?.node as string;
    const survivor = lastNode === 'node-a' ? 'node-b' : 'node-a';
    await cluster.stopNode(lastNode);
    try {
      const served = cluster.front.served.length;
      const consent = await pageAfter(await submit(browser, base, codePage, 'otp', { otp: code }));
      expect(consent.html).toContain('id="allow"');
      const callback = await submit(browser, base, consent, 'consent', { decision: 'allow' });
      const redirect = new URL(callback.url);
      const redeemed = await redeemCode(base, {
        clientId: client.client_id,
        clientSecret: client.client_secret as string,
        code: redirect.searchParams.get('code') as string,
        verifier,
      });
      expect(redeemed.status, JSON.stringify(redeemed.json)).toBe(200);
      expect(new Set(nodesSince(served))).toEqual(new Set([survivor]));
      // The client registered before the stop is still there, too.
      const page = await openPage(createBrowser(), base, authorizeUrl(base, { clientId: client.client_id, challenge: pkcePair().challenge }));
      expect(page.html).toContain('id="email"');
    } finally {
      await cluster.startNode(lastNode);
    }
  }, 60_000);

  it('introspects and exchanges on one node a token issued by the other, in both introspection forms', async () => {
    cluster.front.pin('node-a');
    const { client, token } = await obtainAccessToken(cluster.front.url, cluster.inbox, createBrowser());
    const opaque = token.access_token as string;

    cluster.front.pin('node-b');
    const base = cluster.front.url;
    try {
      const active = (await (await introspect(base, opaque, gateway)).json()) as Record<string, unknown>;
      expect(active).toMatchObject({ active: true, client_id: client.client_id, scope: 'stocks/read', sub: 'john.doe@demo.example' });
      const phantom = await introspect(base, opaque, gateway, 'application/jwt');
      expect(phantom.status).toBe(200);
      const subjectToken = await phantom.text();

      // Both nodes publish the same keys, so the JWT verifies against either node's JWKS.
      const jwksA = await (await fetch(`${cluster.nodes.get('node-a')?.url}/oauth/v2/oauth-anonymous/jwks`)).json();
      const jwksB = await (await fetch(`${cluster.nodes.get('node-b')?.url}/oauth/v2/oauth-anonymous/jwks`)).json();
      expect(jwksB).toEqual(jwksA);

      const exchanged = await exchange(base, { subject_token: subjectToken, audience: API_AUDIENCE }, mcpServer);
      expect(exchanged.status, JSON.stringify(exchanged.json)).toBe(200);
      const { payload } = await jwtVerify(exchanged.json.access_token as string, createLocalJWKSet(jwksA as JSONWebKeySet), { audience: API_AUDIENCE });
      expect(payload).toMatchObject({ sub: 'john.doe@demo.example', act: { sub: 'mcp-server' } });

      // And the other way round: a JWT introspected by node B is exchanged by node A.
      cluster.front.pin('node-a');
      const again = await exchange(base, { subject_token: subjectToken, audience: API_AUDIENCE }, mcpServer);
      expect(again.status, JSON.stringify(again.json)).toBe(200);
    } finally {
      cluster.front.roundRobin();
    }
  }, 60_000);
});

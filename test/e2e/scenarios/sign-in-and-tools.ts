import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { connectWithSignIn, textOf, type SignedInClient, type ToolResult } from '../support/mcp-session.ts';
import type { Deployment, Scenario, ScenarioSource } from './deployment.ts';
import { expectRevisionOnTheWire } from './revision.ts';

const repoPath = (path: string) => resolve(import.meta.dirname, '../../..', path);

/**
 * The whole flow after discovery, as an MCP client and its user go through
 * it: dynamic registration under the MCP policy, the code flow with PKCE and
 * the resource indicator, sign-in with an e-mail one-time code and consent,
 * an opaque token, tools/call through the phantom token and the token
 * exchange, and stocks of the user's region only.
 *
 * The client side is connectWithSignIn (the MCP SDK client of the era under
 * test, signing in over HTTP and reading the code from the inbox); the last
 * scenario checks on the wire that every MCP request of the suite was made
 * in that era's revision. It uses the global fetch, so
 * against the Docker profiles test/compose routes the global fetch through
 * Kong; against the local profile nothing needs routing.
 */

interface User {
  email: string;
  region: string;
}

interface StockList {
  region?: string;
  stocks?: Array<{ id: string; region: string }>;
}

const users = (JSON.parse(readFileSync(repoPath('data/users.json'), 'utf8')) as { users: User[] }).users;
const catalogue = (JSON.parse(readFileSync(repoPath('stocks-api/data/stocks.json'), 'utf8')) as { stocks: Array<{ id: string; region: string }> }).stocks;

function user(email: string): User {
  const found = users.find((candidate) => candidate.email === email);
  if (!found) throw new Error(`${email} is not in data/users.json`);
  return found;
}

const idsIn = (region: string) => catalogue.filter((stock) => stock.region === region).map((stock) => stock.id).sort();

/** The tool's answer: the user's region and exactly that region's stocks. */
function expectOnlyRegion(result: ToolResult, region: string): void {
  expect(result.isError ?? false, textOf(result)).toBe(false);
  const list = (result.structuredContent as StockList | undefined) ?? (JSON.parse(textOf(result)) as StockList);
  expect(list.region).toBe(region);
  const stocks = list.stocks ?? [];
  expect(stocks.map((stock) => stock.id).sort()).toEqual(idsIn(region));
  expect(new Set(stocks.map((stock) => stock.region))).toEqual(new Set([region]));
}

const JOHN = user('john.doe@demo.example');
const JANE = user('jane.test@demo.example');

export const flowScenarios: ScenarioSource = (era) => {
  const sessions: SignedInClient[] = [];
  let john: Promise<SignedInClient> | undefined;

  const signIn = async (who: User, { endpoints }: Deployment) => {
    const session = await connectWithSignIn(endpoints.mcp, { email: who.email, inbox: endpoints.inbox, era });
    sessions.push(session);
    return session;
  };
  // Each scenario stands on its own: the first that needs John signs him in, the others reuse that session.
  const signedInJohn = (deployment: Deployment) => (john ??= signIn(JOHN, deployment));

  const scenarios: Scenario[] = [
    {
      name: `${JOHN.email} signs in: dynamic registration under the MCP policy, PKCE S256 with the resource, e-mail code and consent, iss in the response`,
      async run(deployment) {
        const { endpoints } = deployment;
        const john = await signedInJohn(deployment);
        const registration = john.wire.find((exchange) => exchange.method === 'POST' && exchange.url.endsWith('/token-service/oauth-registration'));
        expect(registration?.status).toBe(201);
        expect(JSON.parse(registration?.body ?? '{}')).toMatchObject({
          client_id: expect.any(String),
          client_secret: expect.any(String),
          // The registration may allow more (a scope a tool steps up to); the sign-in below asks for stocks/read only.
          scope: expect.stringMatching(/(^| )stocks\/read( |$)/),
          access_token_ttl: 900,
          require_proof_key: true,
          audiences: [endpoints.mcp],
        });
        const authorize = john.provider.lastAuthorizationUrl;
        expect(authorize?.searchParams.get('code_challenge_method')).toBe('S256');
        expect(authorize?.searchParams.get('resource')).toBe(endpoints.mcp);
        expect(authorize?.searchParams.get('scope')).toBe('stocks/read');
        expect(john.redirect.searchParams.get('iss')).toBe(endpoints.issuer);
      },
    },
    {
      name: 'the access token is opaque, lives 900 seconds, carries stocks/read and comes without a refresh token',
      async run(deployment) {
        const tokens = (await signedInJohn(deployment)).provider.savedTokens;
        expect(tokens?.token_type.toLowerCase()).toBe('bearer');
        expect(tokens?.expires_in).toBe(900);
        expect(tokens?.scope).toBe('stocks/read');
        expect(tokens?.refresh_token).toBeUndefined();
        expect(tokens?.access_token.split('.')).toHaveLength(1);
      },
    },
    {
      name: 'tools/list offers fetch-stock-prices',
      async run(deployment) {
        const { tools } = await (await signedInJohn(deployment)).client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('fetch-stock-prices');
      },
    },
    {
      name: `fetch-stock-prices answers ${JOHN.email} with the stocks of ${JOHN.region} only`,
      async run(deployment) {
        expectOnlyRegion(await (await signedInJohn(deployment)).client.callTool({ name: 'fetch-stock-prices', arguments: {} }), JOHN.region);
      },
    },
    {
      name: `fetch-stock-prices answers ${JANE.email} with the stocks of ${JANE.region} only`,
      async run(deployment) {
        const jane = await signIn(JANE, deployment);
        expectOnlyRegion((await jane.client.callTool({ name: 'fetch-stock-prices', arguments: {} })), JANE.region);
      },
    },
    {
      name: "the MCP client's opaque token is refused at the stocks API route: its audience is the MCP server",
      async run(deployment) {
        const { endpoints, fetch } = deployment;
        const token = (await signedInJohn(deployment)).provider.savedTokens?.access_token ?? '';
        const response = await fetch(endpoints.stocksApi, { headers: { authorization: `Bearer ${token}` } });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate') ?? '').toContain('error="invalid_token"');
      },
    },
    {
      name: `every MCP request of these scenarios was made in revision ${era}`,
      async run(deployment) {
        // Whatever ran before, at least one session lists and calls a tool.
        const session = await signedInJohn(deployment);
        await session.client.listTools();
        await session.client.callTool({ name: 'fetch-stock-prices', arguments: {} });
        expectRevisionOnTheWire(sessions.flatMap((each) => each.wire), deployment.endpoints.mcp, era);
      },
    },
  ];

  return {
    name: 'sign-in, tokens and tools',
    scenarios,
    close: async () => {
      await Promise.all(sessions.splice(0).map((session) => session.close().catch(() => undefined)));
    },
  };
};

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, unusedPort, type MintOptions, type TestIssuer } from '@mcp-demo/testing';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../src/oauth/token-exchange.ts';
import { API_AUDIENCE, STOCKS, startStocksApi, type StocksApiUnderTest } from './support/stocks-api.ts';
import {
  callTool,
  connectClient,
  MCP_AUDIENCE,
  startMcpServer,
  testEnvironment,
  textOf,
  type RunningMcpServer,
} from './support/mcp-server.ts';

const john = { sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA', client_type: 'mcp', client_assurance_level: 1, client_id: 'inspector-1' };
const jane = { ...john, sub: 'jane.test@demo.example', region: 'Europe' };

let issuer: TestIssuer;
let api: StocksApiUnderTest;
let server: RunningMcpServer;
/** Every server started here, to close them all at the end. */
const servers: RunningMcpServer[] = [];

async function mint(claims: Record<string, unknown> = john, options: MintOptions = {}): Promise<string> {
  return issuer.mint(claims, { audience: MCP_AUDIENCE, ...options });
}

async function start(overrides: Record<string, string> = {}): Promise<RunningMcpServer> {
  const started = await startMcpServer(testEnvironment(issuer, api.url, overrides));
  servers.push(started);
  return started;
}

/** Connects, runs the body, disconnects. */
async function withClient<T>(url: string, token: string, body: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient(url, token);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  api = await startStocksApi(issuer);
  server = await start();
});
afterAll(async () => {
  for (const started of servers) await started.close();
  await api?.stop();
  await issuer?.close();
});

describe('MCP over Streamable HTTP with the SDK client', () => {
  it('initializes and lists the tools', async () => {
    await withClient(server.url, await mint(), async (client) => {
      expect(client.getServerVersion()).toMatchObject({ name: 'utility-mcp-server' });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['fetch-stock-price', 'fetch-stock-prices', 'place-order']);
      for (const tool of tools) expect(tool.annotations?.readOnlyHint, tool.name).toBe(tool.name !== 'place-order');
      const list = tools.find((tool) => tool.name === 'fetch-stock-prices');
      expect(list?.description).toMatch(/secured information about financial stock prices/);
      const one = tools.find((tool) => tool.name === 'fetch-stock-price');
      expect(one?.inputSchema).toMatchObject({ type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } });
    });
  });

  it('fetch-stock-prices returns the stocks of the user region, fetched with an exchanged token', async () => {
    const token = await mint();
    const result = await withClient(server.url, token, (client) => callTool(client, 'fetch-stock-prices'));
    expect(result.isError).toBeFalsy();
    const expected = { region: 'USA', stocks: STOCKS.filter((stock) => stock.region === 'USA') };
    expect(JSON.parse(textOf(result))).toEqual(expected);
    expect(result.structuredContent).toEqual(expected);

    // The API saw a token of its own audience, not the one the MCP client sent.
    const received = api.receivedTokens.at(-1);
    expect(received).toBeDefined();
    expect(received).not.toBe(token);
    expect(api.acceptedClaims.at(-1)).toMatchObject({ sub: john.sub, region: 'USA', client_type: 'mcp', aud: API_AUDIENCE });
  });

  it('answers each user with their own region', async () => {
    const result = await withClient(server.url, await mint(jane), (client) => callTool(client, 'fetch-stock-prices'));
    expect(JSON.parse(textOf(result))).toEqual({ region: 'Europe', stocks: STOCKS.filter((stock) => stock.region === 'Europe') });
  });

  it('fetch-stock-price trims the id and returns one stock', async () => {
    const result = await withClient(server.url, await mint(), (client) => callTool(client, 'fetch-stock-price', { id: '  acme-robotics ' }));
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toEqual(STOCKS[0]);
  });

  it('fetch-stock-price reports a stock outside the user region as not found', async () => {
    const result = await withClient(server.url, await mint(), (client) => callTool(client, 'fetch-stock-price', { id: 'nordlicht-optics' }));
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('No stock with id "nordlicht-optics" is available to you.');
  });

  it.each([['../admin'], ['a b'], [''], ['x'.repeat(65)]])('fetch-stock-price refuses the id %j before any exchange', async (id) => {
    const token = await mint();
    const before = issuer.exchangeCount;
    const result = await withClient(server.url, token, (client) => callTool(client, 'fetch-stock-price', { id }));
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Invalid arguments for tool fetch-stock-price/);
    expect(issuer.exchangeCount).toBe(before);
  });
});

describe('token exchange', () => {
  it('sends exactly the RFC 8693 fields, with client_secret_basic by default', async () => {
    const token = await mint();
    await withClient(server.url, token, (client) => callTool(client, 'fetch-stock-prices'));
    const exchange = issuer.lastExchange;
    expect(exchange).toBeDefined();
    expect(Object.fromEntries(exchange?.form ?? [])).toEqual({
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: token,
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      audience: 'https://api.demo.example',
    });
    expect(exchange?.authorization).toBe(`Basic ${Buffer.from('mcp-server:Password1').toString('base64')}`);
  });

  it('sends the client credentials in the form with client_secret_post', async () => {
    const postServer = await start({ CLIENT_AUTH_METHOD: 'client_secret_post' });
    const token = await mint();
    const result = await withClient(postServer.url, token, (client) => callTool(client, 'fetch-stock-prices'));
    expect(result.isError).toBeFalsy();
    const exchange = issuer.lastExchange;
    expect(exchange?.authorization).toBeUndefined();
    expect(Object.fromEntries(exchange?.form ?? [])).toEqual({
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: token,
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      audience: 'https://api.demo.example',
      client_id: 'mcp-server',
      client_secret: 'Password1',
    });
  });

  it('form-encodes client credentials before base64 in client_secret_basic', async () => {
    const secret = 'Pass:word/1%';
    const strictIssuer = await startTestIssuer({ clientSecret: secret });
    const strictApi = await startStocksApi(strictIssuer);
    const strictServer = await startMcpServer(testEnvironment(strictIssuer, strictApi.url, { CLIENT_SECRET: secret }));
    servers.push(strictServer);
    try {
      const token = await strictIssuer.mint(john, { audience: MCP_AUDIENCE });
      const result = await withClient(strictServer.url, token, (client) => callTool(client, 'fetch-stock-prices'));
      expect(result.isError).toBeFalsy();
      const encoded = strictIssuer.lastExchange?.authorization?.slice('Basic '.length) ?? '';
      expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('mcp-server:Pass%3Aword%2F1%25');
    } finally {
      await strictApi.stop();
      await strictIssuer.close();
    }
  });
});

describe('exchange cache', () => {
  it('exchanges once for many tool calls with the same token', async () => {
    const token = await mint();
    const before = issuer.exchangeCount;
    await withClient(server.url, token, async (client) => {
      for (let call = 0; call < 5; call += 1) {
        const result = await callTool(client, 'fetch-stock-prices');
        expect(result.isError).toBeFalsy();
      }
    });
    expect(issuer.exchangeCount - before).toBe(1);
  });

  it('shares one exchange between concurrent calls with the same token', async () => {
    const token = await mint();
    const before = issuer.exchangeCount;
    const results = await withClient(server.url, token, (client) =>
      Promise.all(Array.from({ length: 6 }, () => callTool(client, 'fetch-stock-price', { id: 'prairie-grain' }))),
    );
    for (const result of results) expect(result.isError).toBeFalsy();
    expect(issuer.exchangeCount - before).toBe(1);
  });

  it('exchanges separately for different tokens', async () => {
    const before = issuer.exchangeCount;
    for (const claims of [john, jane, john]) {
      await withClient(server.url, await mint(claims), (client) => callTool(client, 'fetch-stock-prices'));
    }
    expect(issuer.exchangeCount - before).toBe(3);
  });

  it('exchanges again when the exchanged token is about to expire', async () => {
    // The issuer caps the exchanged lifetime at the subject's: 20 s is inside the 30 s margin.
    const token = await mint(john, { expiresIn: 20 });
    const before = issuer.exchangeCount;
    await withClient(server.url, token, async (client) => {
      await callTool(client, 'fetch-stock-prices');
      await callTool(client, 'fetch-stock-prices');
    });
    expect(issuer.exchangeCount - before).toBe(2);
  });
});

describe('failures become tool errors', () => {
  it('names the authorization server when the exchange fails with 500, and recovers', async () => {
    const token = await mint();
    await withClient(server.url, token, async (client) => {
      issuer.exchangeMode = 500;
      try {
        const failed = await callTool(client, 'fetch-stock-prices');
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toMatch(/^The authorization server is unavailable right now.*temporary/);
      } finally {
        issuer.exchangeMode = 'ok';
      }
      // The failure was not cached: the next call exchanges and succeeds.
      const before = issuer.exchangeCount;
      const recovered = await callTool(client, 'fetch-stock-prices');
      expect(recovered.isError).toBeFalsy();
      expect(issuer.exchangeCount - before).toBe(1);
    });
  });

  it.each([400, 401])('asks for re-authorization when the exchange is rejected with %i', async (status) => {
    const token = await mint();
    await withClient(server.url, token, async (client) => {
      issuer.exchangeMode = status;
      try {
        const failed = await callTool(client, 'fetch-stock-prices');
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toBe(
          'The access token could not be exchanged for an API access token (server_error). Re-authorize the MCP client and try again.',
        );
      } finally {
        issuer.exchangeMode = 'ok';
      }
    });
  });

  it('reports an unreachable token endpoint as a temporary authorization server outage', async () => {
    const orphan = await start({ TOKEN_ENDPOINT: `http://127.0.0.1:${await unusedPort()}/oauth/v2/oauth-token` });
    const result = await withClient(orphan.url, await mint(), (client) => callTool(client, 'fetch-stock-prices'));
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^The authorization server is unavailable right now/);
  });

  it('reports a stocks API that is down, and works again once it is back', async () => {
    const token = await mint();
    await withClient(server.url, token, async (client) => {
      await api.stop();
      try {
        const failed = await callTool(client, 'fetch-stock-prices');
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toBe('The stocks API is unavailable right now. This is temporary; try again later.');
      } finally {
        await api.start();
      }
      const recovered = await callTool(client, 'fetch-stock-prices');
      expect(recovered.isError).toBeFalsy();
    });
  });

  it('gives up on a stocks API that does not answer within UPSTREAM_TIMEOUT_MS', async () => {
    const impatient = await start({ UPSTREAM_TIMEOUT_MS: '300' });
    const token = await mint();
    await withClient(impatient.url, token, async (client) => {
      api.mode = 'hang';
      try {
        const failed = await callTool(client, 'fetch-stock-prices');
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toBe('The stocks API is unavailable right now. This is temporary; try again later.');
      } finally {
        api.mode = 'ok';
      }
    });
  });

  it('answers AI agents with the stock list, as the stocks API does', async () => {
    // The API refuses agents only operations with consequences (orders, see
    // place-order.test.ts); reading prices is what the MCP server is for.
    const result = await withClient(server.url, await mint(), (client) => callTool(client, 'fetch-stock-prices'));
    expect(result.isError).toBeFalsy();
    expect(api.acceptedClaims.at(-1)).toMatchObject({ client_type: 'mcp', client_assurance_level: 1 });
  });

  it('passes on the stocks API finding the token insufficient, without blaming AI agents', async () => {
    // Region is the API's business: the MCP server accepts the token, and the tool explains the API's answer.
    const { region: _region, ...regionless } = john;
    const result = await withClient(server.url, await mint(regionless), (client) => callTool(client, 'fetch-stock-prices'));
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'The stocks API refused the request for what the access token grants: The access token carries no region claim, so no stock data can be selected for it',
    );
  });

  it('exchanges afresh after the stocks API rejected the exchanged token', async () => {
    const token = await mint();
    await withClient(server.url, token, async (client) => {
      await callTool(client, 'fetch-stock-prices');
      api.mode = 'reject-tokens';
      try {
        const failed = await callTool(client, 'fetch-stock-prices');
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toMatch(/^The stocks API did not accept the access token/);
      } finally {
        api.mode = 'ok';
      }
      const before = issuer.exchangeCount;
      const recovered = await callTool(client, 'fetch-stock-prices');
      expect(recovered.isError).toBeFalsy();
      expect(issuer.exchangeCount - before).toBe(1);
    });
  });

  it('answers an expired token with 401 before any tool runs', async () => {
    const token = await mint(john, { expiresIn: -60 });
    // Without an OAuth provider the SDK client surfaces the HTTP status and body instead of re-authorizing.
    await expect(connectClient(server.url, token)).rejects.toMatchObject({ code: 401, message: expect.stringContaining('The access token has expired') });
  });
});

describe('logs', () => {
  it('never contain a token or the client secret, whatever happens to a call', async () => {
    // Its own server and calls, so the check stands alone: success, an invalid id,
    // a refused exchange, an API that rejects the exchanged token, and an expired token.
    const logged = await start();
    const token = await mint();
    const expired = await mint(john, { expiresIn: -60 });
    const receivedBefore = api.receivedTokens.length;
    await withClient(logged.url, token, async (client) => {
      await callTool(client, 'fetch-stock-prices');
      await callTool(client, 'fetch-stock-price', { id: '../admin' });
      api.mode = 'reject-tokens';
      try {
        await callTool(client, 'fetch-stock-prices');
      } finally {
        api.mode = 'ok';
      }
    });
    const refusedToken = await mint();
    await withClient(logged.url, refusedToken, async (client) => {
      issuer.exchangeMode = 400;
      try {
        await callTool(client, 'fetch-stock-prices');
      } finally {
        issuer.exchangeMode = 'ok';
      }
    });
    await expect(connectClient(logged.url, expired)).rejects.toMatchObject({ code: 401 });

    const lines = logged.logs;
    for (const message of ['tool call succeeded', 'tool call failed', 'token exchanged', 'access token rejected', 'request completed']) {
      expect(lines.some((line) => line.includes(`"msg":"${message}"`)), message).toBe(true);
    }
    const secrets = [token, expired, refusedToken, ...api.receivedTokens.slice(receivedBefore), 'Password1'];
    for (const line of lines) {
      for (const secret of secrets) expect(line.includes(secret), `log line contains a secret: ${line.slice(0, 120)}`).toBe(false);
      // Any JWT (header starts with {"alg" or {"typ" / {"kid") begins with eyJ.
      expect(line).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    }
  });
});

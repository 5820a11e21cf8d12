import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStocksApiClient, type StocksApiClient } from '../src/api/stocks-client.ts';
import { createTokenExchangeClient, type TokenExchangeClient } from '../src/oauth/token-exchange.ts';
import { UpstreamError } from '../src/upstream/errors.ts';
import { startCannedServer, type CannedServer } from './support/canned-server.ts';

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'PS256' })}.${part(claims)}.signature`;
}

describe('token exchange client', () => {
  let endpoint: CannedServer;
  let client: TokenExchangeClient;

  beforeAll(async () => {
    endpoint = await startCannedServer({ status: 200 });
    client = createTokenExchangeClient(
      {
        tokenEndpoint: `${endpoint.url}/oauth/v2/oauth-token?tenant=demo`,
        clientId: 'mcp-server',
        clientSecret: 'Password1',
        clientAuthMethod: 'client_secret_basic',
        audience: 'https://api.demo.example',
      },
      300,
    );
  });
  afterAll(async () => {
    await client?.close();
    await endpoint?.close();
  });

  it('reuses keep-alive connections for consecutive exchanges', async () => {
    endpoint.answer = { status: 200, body: JSON.stringify({ access_token: 'api-token', token_type: 'Bearer', expires_in: 900 }) };
    await client.exchange('warm-up');
    const before = endpoint.connections;
    for (let call = 0; call < 5; call += 1) await client.exchange(`subject-${call}`);
    // The pool may open a second connection while the first finishes a response; without reuse each call would open its own.
    expect(endpoint.connections - before).toBeLessThanOrEqual(1);
  });

  it('posts a form to the configured path and query', async () => {
    endpoint.answer = { status: 200, body: JSON.stringify({ access_token: 'api-token', token_type: 'Bearer', expires_in: 900 }) };
    await client.exchange('subject');
    const request = endpoint.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/oauth/v2/oauth-token?tenant=demo');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('takes the expiry from expires_in, a numeric string included', async () => {
    const before = Math.floor(Date.now() / 1000);
    endpoint.answer = { status: 200, body: JSON.stringify({ access_token: 'api-token', token_type: 'bearer', expires_in: '600' }) };
    const exchanged = await client.exchange('subject');
    expect(exchanged.accessToken).toBe('api-token');
    expect(exchanged.expiresAt).toBeGreaterThanOrEqual(before + 600);
    expect(exchanged.expiresAt).toBeLessThanOrEqual(before + 601);
  });

  it("falls back to the JWT's exp, and to unknown for an opaque token", async () => {
    const jwt = unsignedJwt({ exp: 2_000_000_000 });
    endpoint.answer = { status: 200, body: JSON.stringify({ access_token: jwt, token_type: 'Bearer' }) };
    expect((await client.exchange('subject')).expiresAt).toBe(2_000_000_000);
    endpoint.answer = { status: 200, body: JSON.stringify({ access_token: 'opaque', token_type: 'Bearer' }) };
    expect((await client.exchange('subject')).expiresAt).toBeUndefined();
  });

  it.each([
    ['no access_token', { status: 200, body: JSON.stringify({ token_type: 'Bearer' }) }],
    ['a token that is not a bearer token', { status: 200, body: JSON.stringify({ access_token: 'x', token_type: 'N_A' }) }],
    ['a body that is not JSON', { status: 200, body: '<html>' }],
    ['an unexpected status', { status: 404, body: '' }],
  ])('reports %s as an unexpected answer', async (_case, answer) => {
    endpoint.answer = answer;
    const failure = await failureOf(client.exchange('subject'));
    expect(failure.failure).toBe('authorization_server_invalid_response');
    expect(failure.message).toMatch(/^The authorization server gave an unexpected answer to the token exchange \(HTTP \d+\)/);
  });

  it.each([
    ['500', { status: 500, body: JSON.stringify({ error: 'server_error' }) }],
    ['503 without a body', { status: 503 }],
    ['429', { status: 429 }],
    ['no answer within the timeout', { status: 200, hang: true }],
  ])('reports %s as a temporary outage', async (_case, answer) => {
    endpoint.answer = answer;
    const failure = await failureOf(client.exchange('subject'));
    expect(failure.failure).toBe('authorization_server_unavailable');
  });

  it('shows a well-formed OAuth error code and drops a malformed one', async () => {
    endpoint.answer = { status: 400, body: JSON.stringify({ error: 'invalid_grant', error_description: 'token expired at 12:00' }) };
    expect((await failureOf(client.exchange('subject'))).message).toBe(
      'The access token could not be exchanged for an API access token (invalid_grant). Re-authorize the MCP client and try again.',
    );
    endpoint.answer = { status: 400, body: JSON.stringify({ error: 'bad "quote"\n<script>' }) };
    expect((await failureOf(client.exchange('subject'))).message).toBe(
      'The access token could not be exchanged for an API access token. Re-authorize the MCP client and try again.',
    );
  });
});

describe('stocks API client', () => {
  let api: CannedServer;
  let client: StocksApiClient;

  beforeAll(async () => {
    api = await startCannedServer({ status: 200, body: '{}' });
    client = createStocksApiClient(`${api.url}/v1/`, 300);
  });
  afterAll(async () => {
    await client?.close();
    await api?.close();
  });

  it('calls below the configured base path with the bearer token, and encodes the id', async () => {
    api.answer = { status: 200, body: JSON.stringify({ id: 'a b' }) };
    await expect(client.getStock('api-token', 'a b/c')).resolves.toEqual({ id: 'a b' });
    const request = api.requests.at(-1);
    expect(request?.url).toBe('/v1/stocks/a%20b%2Fc');
    expect(request?.headers.authorization).toBe('Bearer api-token');
    await client.listStocks('api-token');
    expect(api.requests.at(-1)?.url).toBe('/v1/stocks');
  });

  it.each([
    [{ status: 200, body: 'not json' }, 'stocks_api_invalid_response'],
    [{ status: 418, body: '' }, 'stocks_api_invalid_response'],
    [{ status: 502, body: '' }, 'stocks_api_unavailable'],
    [{ status: 200, hang: true }, 'stocks_api_unavailable'],
    [{ status: 401, body: '{}' }, 'stocks_api_rejected_token'],
    [{ status: 404, body: '{}' }, 'stock_not_found'],
  ])('classifies %j as %s', async (answer, failure) => {
    api.answer = answer;
    expect((await failureOf(client.listStocks('api-token'))).failure).toBe(failure);
  });

  it('reuses keep-alive connections for consecutive calls', async () => {
    api.answer = { status: 200, body: '{}' };
    await client.listStocks('api-token');
    const before = api.connections;
    for (let call = 0; call < 5; call += 1) await client.getStock('api-token', `id-${call}`);
    // The pool may open a second connection while the first finishes a response; without reuse each call would open its own.
    expect(api.connections - before).toBeLessThanOrEqual(1);
  });

  it('tells a refusal of AI agents from a token that lacks a grant, by the Bearer challenge on the 403', async () => {
    const message = 'The access token carries no region claim';
    api.answer = {
      status: 403,
      body: JSON.stringify({ code: 'missing_region', message }),
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", error_description="${message}"` },
    };
    const insufficient = await failureOf(client.listStocks('api-token'));
    expect(insufficient.failure).toBe('stocks_api_insufficient_token');
    expect(insufficient.message).toBe(`The stocks API refused the request for what the access token grants: ${message}`);
    api.answer = { status: 403, body: JSON.stringify({ code: 'forbidden_for_ai_agents', message: 'No agents here' }) };
    const refused = await failureOf(client.listStocks('api-token'));
    expect(refused.failure).toBe('stocks_api_refused_agent');
    expect(refused.message).toBe('The stocks API refused this operation to AI agents: No agents here');
  });

  it("keeps the API's refusal readable but bounded and on one line", async () => {
    api.answer = { status: 403, body: JSON.stringify({ code: 'forbidden_for_ai_agents', message: `No agents\n${'x'.repeat(500)}` }) };
    const failure = await failureOf(client.listStocks('api-token'));
    expect(failure.message.startsWith('The stocks API refused this operation to AI agents: No agents x')).toBe(true);
    expect(failure.message).not.toContain('\n');
    expect(failure.message.length).toBeLessThan(300);
    api.answer = { status: 403, body: '' };
    expect((await failureOf(client.listStocks('api-token'))).message).toBe('The stocks API refused this operation to AI agents.');
  });
});

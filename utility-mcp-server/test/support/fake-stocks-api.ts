import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessTokenError, createAccessTokenVerifier, readBearerToken, remoteKeySet, type AccessTokenClaims } from '@mcp-demo/access-token';
import type { TestIssuer } from '@mcp-demo/testing';

export const API_AUDIENCE = 'https://api.demo.example';

export const STOCKS = [
  { id: 'acme-robotics', symbol: 'ACMR', price: 184.12, currency: 'USD', region: 'USA' },
  { id: 'globex-energy', symbol: 'GLBX', price: 42.5, currency: 'USD', region: 'USA' },
  { id: 'nordwind-ag', symbol: 'NWD', price: 77.3, currency: 'EUR', region: 'Europe' },
] as const;

export const REFUSAL = 'Stock prices are not available to AI agent clients';
export const NO_REGION = 'The access token carries no region claim, so no stock data can be selected for it';

/**
 * What the stocks API does on the next requests: answer, refuse AI agents
 * (403), reject every token (401), or accept the request and never answer.
 */
export type FakeApiMode = 'ok' | 'refuse-agents' | 'reject-tokens' | 'hang';

export interface FakeStocksApi {
  url: string;
  mode: FakeApiMode;
  /** Bearer tokens received, in order, whether accepted or not. */
  readonly receivedTokens: readonly string[];
  /** Claims of the tokens the API accepted, in order. */
  readonly acceptedClaims: readonly AccessTokenClaims[];
  /** Stops listening and drops open connections: the API is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * A stand-in for the stocks API with its essential behaviour: only tokens
 * from the test issuer addressed to the API audience pass, answers are
 * filtered to the token's region, and a token without one gets the API's
 * challenged 403.
 */
export async function startFakeStocksApi(issuer: TestIssuer): Promise<FakeStocksApi> {
  const verifier = createAccessTokenVerifier(
    { issuer: issuer.issuer, audience: API_AUDIENCE, algorithms: ['PS256'], requiredScope: 'stocks/read', clockToleranceSeconds: 0 },
    remoteKeySet(issuer.jwksUri),
  );
  const receivedTokens: string[] = [];
  const acceptedClaims: AccessTokenClaims[] = [];

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (api.mode === 'hang') return;
    const token = readBearerToken(req.headers.authorization);
    if (token) receivedTokens.push(token);
    let claims: AccessTokenClaims;
    try {
      if (!token || api.mode === 'reject-tokens') throw new AccessTokenError('invalid_token', 'Missing, invalid or expired access token');
      claims = await verifier.verify(token);
    } catch (error) {
      send(res, 401, { code: 'invalid_token', message: (error as Error).message });
      return;
    }
    acceptedClaims.push(claims);
    if (api.mode === 'refuse-agents' && claims.client_type === 'mcp') {
      send(res, 403, { code: 'forbidden_for_ai_agents', message: REFUSAL });
      return;
    }
    if (typeof claims.region !== 'string') {
      const challenge = `Bearer error="insufficient_scope", error_description="${NO_REGION}", scope="stocks/read"`;
      send(res, 403, { code: 'missing_region', message: NO_REGION }, { 'www-authenticate': challenge });
      return;
    }
    const inRegion = STOCKS.filter((stock) => stock.region === claims.region);
    const path = new URL(req.url ?? '/', 'http://api').pathname;
    if (req.method === 'GET' && path === '/stocks') {
      send(res, 200, { region: claims.region, stocks: inRegion });
      return;
    }
    const match = /^\/stocks\/([^/]+)$/.exec(path);
    const stock = match?.[1] ? inRegion.find((candidate) => candidate.id === decodeURIComponent(match[1] ?? '')) : undefined;
    if (req.method === 'GET' && stock) send(res, 200, stock);
    else send(res, 404, { code: 'not_found', message: 'No stock with this id is available to you' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { code: 'server_error', message: 'unexpected' }));
  });
  const listenOn = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listenOn(0);
  const port = (server.address() as AddressInfo).port;

  const api: FakeStocksApi = {
    url: `http://127.0.0.1:${port}`,
    mode: 'ok',
    receivedTokens,
    acceptedClaims,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    start: () => listenOn(port),
  };
  return api;
}

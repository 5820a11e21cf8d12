import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { AccessTokenError, createAccessTokenVerifier, remoteKeySet, type AccessTokenClaims, type AccessTokenVerifier } from '@mcp-demo/access-token';
import type { TestIssuer } from '@mcp-demo/testing';
import { createApp } from '../../../stocks-api/src/app.ts';
import { BUNDLED_STOCKS_FILE } from '../../../stocks-api/src/config.ts';
import { loadCatalogue, publicView } from '../../../stocks-api/src/domain/catalogue.ts';

export const API_AUDIENCE = 'https://api.demo.example';

/** The catalogue the API serves, as any caller of a stock's region sees it. */
export const STOCKS = (await loadCatalogue(BUNDLED_STOCKS_FILE)).map(publicView);

/**
 * What the API does on the next requests: answer as it does, reject every
 * token as one it cannot verify (what it answers once its issuer's keys no
 * longer match), or take the request and never answer (a stuck upstream).
 */
export type StocksApiMode = 'ok' | 'reject-tokens' | 'hang';

export interface StocksApiUnderTest {
  url: string;
  mode: StocksApiMode;
  /** Bearer tokens the API was asked to verify, in order. */
  readonly receivedTokens: readonly string[];
  /** Claims of the tokens the API accepted, in order. */
  readonly acceptedClaims: readonly AccessTokenClaims[];
  /** Stops listening and drops open connections: the API is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * The real stocks API (its express app and bundled catalogue, from
 * stocks-api/src) on a free port, trusting the test issuer. The only
 * additions are the faults a network or an operator can cause, which the app
 * itself has no switch for; every answer it gives is its own.
 */
export async function startStocksApi(issuer: TestIssuer): Promise<StocksApiUnderTest> {
  const receivedTokens: string[] = [];
  const acceptedClaims: AccessTokenClaims[] = [];
  const real = createAccessTokenVerifier(
    { issuer: issuer.issuer, audience: API_AUDIENCE, algorithms: ['PS256'], requiredScope: 'stocks/read', clockToleranceSeconds: 0 },
    remoteKeySet(issuer.jwksUri),
  );
  const verifier: AccessTokenVerifier = {
    async verify(token) {
      receivedTokens.push(token);
      // The answer the API's own middleware gives a token whose signature it cannot check.
      if (api.mode === 'reject-tokens') throw new AccessTokenError('invalid_token', 'Missing, invalid or expired access token');
      const claims = await real.verify(token);
      acceptedClaims.push(claims);
      return claims;
    },
  };
  const app = createApp({
    verifier,
    requiredScope: 'stocks/read',
    stocks: await loadCatalogue(BUNDLED_STOCKS_FILE),
    logger: pino({ level: 'silent' }),
  });
  const server: Server = createServer((req, res) => {
    if (api.mode === 'hang') return;
    app(req, res);
  });
  const listenOn = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listenOn(0);
  const port = (server.address() as AddressInfo).port;

  const api: StocksApiUnderTest = {
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

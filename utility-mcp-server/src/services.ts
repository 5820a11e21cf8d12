import { createAccessTokenVerifier, remoteKeySet, type AccessTokenVerifier } from '@mcp-demo/access-token';
import type { Logger } from '@mcp-demo/service-kit';
import { createStocksApiClient, type StocksApiClient } from './api/stocks-client.ts';
import type { Config } from './config.ts';
import { createExchangeCache, type ExchangeCache } from './oauth/exchange-cache.ts';
import { createTokenExchangeClient } from './oauth/token-exchange.ts';

/** The long-lived parts behind the HTTP layer: key set, connection pools, exchange cache. */
export interface Services {
  verifier: AccessTokenVerifier;
  exchangeCache: ExchangeCache;
  stocksApi: StocksApiClient;
  /** Closes the upstream connection pools. */
  close(): Promise<void>;
}

export function createServices(config: Config, logger: Logger): Services {
  const verifier = createAccessTokenVerifier(config.accessToken, remoteKeySet(config.jwksUri, { timeoutMs: config.upstreamTimeoutMs }));
  const tokenExchange = createTokenExchangeClient(config.tokenExchange, config.upstreamTimeoutMs);
  // One line per real exchange (cache misses only): operators can see the cost
  // of agent traffic at the authorization server from this service's log.
  const exchange = async (subjectToken: string) => {
    const exchanged = await tokenExchange.exchange(subjectToken);
    logger.info({ expiresAt: exchanged.expiresAt }, 'token exchanged');
    return exchanged;
  };
  const exchangeCache = createExchangeCache(exchange, config.exchangeCache);
  const stocksApi = createStocksApiClient(config.stocksApiUrl, config.upstreamTimeoutMs);
  return {
    verifier,
    exchangeCache,
    stocksApi,
    close: async () => {
      await Promise.all([tokenExchange.close(), stocksApi.close()]);
    },
  };
}

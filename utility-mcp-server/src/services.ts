import { accessTokenPolicyOf, createAccessTokenVerifier, remoteKeySet, type AccessTokenVerifier } from '@mcp-demo/access-token';
import type { Logger } from '@mcp-demo/service-kit';
import { createStocksApiClient, type StocksApiClient } from './api/stocks-client.ts';
import type { Settings } from './config.ts';
import { createExchangeCache, type ExchangeCache } from './oauth/exchange-cache.ts';
import { createTokenExchangeClient } from './oauth/token-exchange.ts';

/** The long-lived parts behind the HTTP layer: verifier and key set, connection pools, exchange cache. */
export interface Services {
  verifier: AccessTokenVerifier;
  exchangeCache: ExchangeCache;
  stocksApi: StocksApiClient;
  /** Closes the upstream connection pools. */
  close(): Promise<void>;
}

export function createServices(settings: Settings, logger: Logger): Services {
  const verifier = createAccessTokenVerifier(accessTokenPolicyOf(settings), remoteKeySet(settings.JWKS_URI, { timeoutMs: settings.UPSTREAM_TIMEOUT_MS }));
  const tokenExchange = createTokenExchangeClient(
    {
      tokenEndpoint: settings.TOKEN_ENDPOINT,
      clientId: settings.CLIENT_ID,
      clientSecret: settings.CLIENT_SECRET,
      clientAuthMethod: settings.CLIENT_AUTH_METHOD,
      audience: settings.API_AUDIENCE,
    },
    settings.UPSTREAM_TIMEOUT_MS,
  );
  // One line per real exchange (cache misses only): operators can see the cost
  // of agent traffic at the authorization server from this service's log.
  const exchange = async (subjectToken: string) => {
    const exchanged = await tokenExchange.exchange(subjectToken);
    logger.info({ expiresAt: exchanged.expiresAt }, 'token exchanged');
    return exchanged;
  };
  const exchangeCache = createExchangeCache(exchange, {
    maxEntries: settings.EXCHANGE_CACHE_MAX_ENTRIES,
    expiryMarginSeconds: settings.EXCHANGE_EXPIRY_MARGIN_SECONDS,
  });
  const stocksApi = createStocksApiClient(settings.STOCKS_API_URL, settings.UPSTREAM_TIMEOUT_MS);
  return {
    verifier,
    exchangeCache,
    stocksApi,
    close: async () => {
      await Promise.all([tokenExchange.close(), stocksApi.close()]);
    },
  };
}

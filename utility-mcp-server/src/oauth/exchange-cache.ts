import { createHashedTokenCache } from '@mcp-demo/access-token';
import type { ExchangedToken } from './token-exchange.ts';

export interface ExchangeCacheOptions {
  /** Upper bound on remembered tokens; the least recently used entry makes room for a new one. 0 turns caching off. */
  maxEntries: number;
  /** An exchanged token stops being handed out this many seconds before it expires. */
  expiryMarginSeconds: number;
  /** Clock in epoch seconds; tests move it. */
  now?: () => number;
}

/**
 * Remembers exchanged tokens per subject token, so that an agent calling
 * tools in a loop costs the authorization server one exchange per access
 * token rather than one per call.
 */
export interface ExchangeCache {
  /** The API token for a subject token: remembered, shared with an exchange in flight, or newly exchanged. */
  accessTokenFor(subjectToken: string): Promise<string>;
  /** Drops what is remembered for a subject token, e.g. once the API refused the exchanged token. */
  forget(subjectToken: string): void;
  readonly size: number;
}

/**
 * Built on the shared hashed-token cache: keys are SHA-256 digests of the
 * subject tokens (a heap dump or a debug print of the cache must not hand out
 * bearer tokens the MCP server received), concurrent calls share one exchange,
 * and failed exchanges are never remembered, so the next call retries.
 */
export function createExchangeCache(exchange: (subjectToken: string) => Promise<ExchangedToken>, options: ExchangeCacheOptions): ExchangeCache {
  const nowSeconds = options.now ?? (() => Date.now() / 1000);
  const cache = createHashedTokenCache<string>({ maxEntries: options.maxEntries, now: () => nowSeconds() * 1000 });

  const exchangeOnce = async (subjectToken: string) => {
    const exchanged = await exchange(subjectToken);
    // A token already inside the margin is still good for the calls waiting for it, not for later ones.
    const usableUntil = exchanged.expiresAt === undefined ? undefined : (exchanged.expiresAt - options.expiryMarginSeconds) * 1000;
    return { value: exchanged.accessToken, usableUntil };
  };

  return {
    accessTokenFor: (subjectToken) => cache.resolve(subjectToken, () => exchangeOnce(subjectToken)),
    forget: (subjectToken) => cache.forget(subjectToken),
    get size() {
      return cache.size;
    },
  };
}

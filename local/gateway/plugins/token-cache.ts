import { createHashedTokenCache } from '@mcp-demo/access-token';

/**
 * The JWTs obtained by introspection, on the deployment's one hashed-token
 * cache (`@mcp-demo/access-token`). Callers pass the cache key the Kong
 * plugin uses (`phantom:` and the token's SHA-256, see `cacheKey`), so no
 * token is ever held in the clear. Entries expire on their own clock and the
 * number of entries is bounded: past the bound, the least recently used goes.
 */
export interface TokenCache {
  /**
   * The remembered JWT for a key or, when there is none, what `introspect`
   * answers: concurrent requests for the same key share one introspection,
   * a JWT is remembered for `ttlSeconds`, anything else only shared.
   */
  resolve<Outcome extends object>(key: string, introspect: () => Promise<{ outcome: Outcome; ttlSeconds: number }>): Promise<Outcome | { jwt: string }>;
}

export interface TokenCacheOptions {
  maxEntries?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export const DEFAULT_MAX_CACHE_ENTRIES = 10_000;

/** The JWT an outcome carries, if it is one that carries a JWT. */
function jwtOf(outcome: object): string | undefined {
  return 'jwt' in outcome && typeof outcome.jwt === 'string' ? outcome.jwt : undefined;
}

export function createTokenCache({ maxEntries = DEFAULT_MAX_CACHE_ENTRIES, now = Date.now }: TokenCacheOptions = {}): TokenCache {
  // The keys handed in are digests already, so they are used as they are.
  const cache = createHashedTokenCache<object>({ maxEntries, now, keyOf: (key) => key });
  const until = (ttlSeconds: number) => (ttlSeconds > 0 ? now() + ttlSeconds * 1000 : undefined);

  return {
    resolve<Outcome extends object>(key: string, introspect: () => Promise<{ outcome: Outcome; ttlSeconds: number }>) {
      // What comes back is either this call's outcome, one shared from a call in flight, or a remembered { jwt }.
      return cache.resolve(key, async () => {
        const { outcome, ttlSeconds } = await introspect();
        return { value: outcome, usableUntil: jwtOf(outcome) === undefined ? undefined : until(ttlSeconds) };
      }) as Promise<Outcome | { jwt: string }>;
    },
  };
}

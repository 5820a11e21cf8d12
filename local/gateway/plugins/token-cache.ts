/**
 * The JWTs obtained by introspection, keyed by a hash of the opaque token so
 * that no token is ever held in the clear. Entries expire on their own clock
 * and the number of entries is bounded: past the bound, expired entries go
 * first, then the oldest.
 */
export interface TokenCache {
  get(key: string): string | undefined;
  set(key: string, jwt: string, ttlSeconds: number): void;
  readonly size: number;
}

export interface TokenCacheOptions {
  maxEntries?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export const DEFAULT_MAX_CACHE_ENTRIES = 10_000;

export function createTokenCache({ maxEntries = DEFAULT_MAX_CACHE_ENTRIES, now = Date.now }: TokenCacheOptions = {}): TokenCache {
  const entries = new Map<string, { jwt: string; expiresAt: number }>();

  const evict = () => {
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) entries.delete(key);
    while (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  };

  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.jwt;
    },
    set(key, jwt, ttlSeconds) {
      if (ttlSeconds <= 0) return;
      entries.delete(key);
      if (entries.size >= maxEntries) evict();
      entries.set(key, { jwt, expiresAt: now() + ttlSeconds * 1000 });
    },
    get size() {
      return entries.size;
    },
  };
}

import { createHash } from 'node:crypto';

/**
 * A bounded cache of what a bearer token is worth (verified claims, the JWT
 * an introspection returned, an exchanged token), keyed by a digest of the
 * token so that the cache, a heap dump of it or a debug print never holds a
 * usable token. Used by the resource servers' verifier, the MCP server's
 * token exchange and the local gateway's phantom token step.
 *
 * - A value is remembered until the time its producer gave, and never served
 *   after it.
 * - Concurrent requests for the same uncached token share one production (one
 *   verification, one introspection, one exchange) in flight.
 * - A failed production (rejected promise) is not remembered: the next request
 *   tries again.
 * - At most `maxEntries` entries; the least recently used makes room. 0 turns
 *   remembering off (in-flight sharing still applies).
 */
export interface HashedTokenCache<Value> {
  /** The remembered value of a token that is still within its time, if any. */
  get(token: string): Value | undefined;
  /** Remembers a value produced elsewhere. */
  remember(token: string, produced: Produced<Value>): void;
  /** The remembered value, or the one in flight for the token, or a new one from `produce`. */
  resolve(token: string, produce: () => Promise<Produced<Value>>): Promise<Value>;
  /** Drops what is remembered for a token (for example once an upstream refused the value). */
  forget(token: string): void;
  readonly size: number;
}

/** What a producer hands back: the value, and until when (epoch milliseconds) it may be served. */
export interface Produced<Value> {
  value: Value;
  /** Not remembered when absent or already past: the value serves the requests waiting for it only. */
  usableUntil?: number | undefined;
  /** Not served before this time (epoch milliseconds), e.g. a JWT's nbf less the clock tolerance. */
  usableFrom?: number | undefined;
}

export interface HashedTokenCacheOptions {
  maxEntries: number;
  /** The cache key of a token; a SHA-256 digest unless a caller must match another cache's keys. */
  keyOf?: (token: string) => string;
  /** Epoch milliseconds; tests move it. */
  now?: () => number;
}

/** SHA-256 of a token, base64url: the default cache key. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

interface Entry<Value> {
  value: Value;
  usableFrom: number;
  usableUntil: number;
}

export function createHashedTokenCache<Value>({ maxEntries, keyOf = tokenDigest, now = Date.now }: HashedTokenCacheOptions): HashedTokenCache<Value> {
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new Error(`maxEntries must be a whole number of at least 0, not ${maxEntries}`);
  // A Map iterates in insertion order; a hit is moved to the end, so the first key is the least recently used.
  const entries = new Map<string, Entry<Value>>();
  const inFlight = new Map<string, Promise<Value>>();

  const lookUp = (key: string): Value | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    const time = now();
    if (time >= entry.usableUntil) {
      entries.delete(key);
      return undefined;
    }
    if (time < entry.usableFrom) return undefined;
    entries.delete(key);
    entries.set(key, entry);
    return entry.value;
  };

  const remember = (key: string, produced: Produced<Value>) => {
    if (maxEntries === 0 || produced.usableUntil === undefined || produced.usableUntil <= now()) return;
    entries.delete(key);
    while (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
    entries.set(key, { value: produced.value, usableFrom: produced.usableFrom ?? -Infinity, usableUntil: produced.usableUntil });
  };

  return {
    get: (token) => lookUp(keyOf(token)),
    remember: (token, produced) => remember(keyOf(token), produced),
    resolve(token, produce) {
      const key = keyOf(token);
      const cached = lookUp(key);
      if (cached !== undefined) return Promise.resolve(cached);
      let pending = inFlight.get(key);
      if (!pending) {
        pending = produce()
          .then((produced) => {
            remember(key, produced);
            return produced.value;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    forget(token) {
      entries.delete(keyOf(token));
    },
    get size() {
      return entries.size;
    },
  };
}

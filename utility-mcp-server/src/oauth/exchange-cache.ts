import { createHash } from 'node:crypto';
import type { ExchangedToken } from './token-exchange.ts';

export interface ExchangeCacheOptions {
  /** Upper bound on remembered tokens; the oldest entry makes room for a new one. 0 turns caching off. */
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

interface Entry {
  accessToken: string;
  /** Epoch seconds after which the entry is not used any more. */
  usableUntil: number;
}

/**
 * Keys are SHA-256 digests of the subject tokens: a heap dump or a debug
 * print of the cache must not hand out bearer tokens that the MCP server
 * received. Failed exchanges are never remembered, so the next call retries.
 */
export function createExchangeCache(exchange: (subjectToken: string) => Promise<ExchangedToken>, options: ExchangeCacheOptions): ExchangeCache {
  const now = options.now ?? (() => Date.now() / 1000);
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<ExchangedToken>>();

  const keyOf = (subjectToken: string) => createHash('sha256').update(subjectToken, 'utf8').digest('base64url');

  const remember = (key: string, exchanged: ExchangedToken) => {
    if (options.maxEntries === 0 || exchanged.expiresAt === undefined) return;
    const usableUntil = exchanged.expiresAt - options.expiryMarginSeconds;
    // A token already inside the margin is still good for the call that asked for it, not for later ones.
    if (usableUntil <= now()) return;
    entries.delete(key);
    // Maps iterate in insertion order, so the first key is the oldest entry.
    for (const oldest of entries.keys()) {
      if (entries.size < options.maxEntries) break;
      entries.delete(oldest);
    }
    entries.set(key, { accessToken: exchanged.accessToken, usableUntil });
  };

  return {
    async accessTokenFor(subjectToken) {
      const key = keyOf(subjectToken);
      const cached = entries.get(key);
      if (cached) {
        if (cached.usableUntil > now()) return cached.accessToken;
        entries.delete(key);
      }
      let pending = inFlight.get(key);
      if (!pending) {
        pending = exchange(subjectToken)
          .then((exchanged) => {
            remember(key, exchanged);
            return exchanged;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return (await pending).accessToken;
    },
    forget(subjectToken) {
      entries.delete(keyOf(subjectToken));
    },
    get size() {
      return entries.size;
    },
  };
}

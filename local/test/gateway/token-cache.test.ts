import { describe, expect, it } from 'vitest';
import { cacheKey, createTokenCache } from '../../gateway/index.ts';

/**
 * The cache as the phantom token step uses it: `resolve(key, introspect)`,
 * where `introspect` stands for one call to the authorization server and
 * counts how often the cache let it through.
 */
function countedIntrospection() {
  const calls = new Map<string, number>();
  const introspect =
    (key: string, outcome: { jwt?: string; failure?: string }, ttlSeconds = 60, delayMs = 0) =>
    async () => {
      calls.set(key, (calls.get(key) ?? 0) + 1);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { outcome, ttlSeconds };
    };
  return { introspect, callsFor: (key: string) => calls.get(key) ?? 0 };
}

describe('gateway token cache (on the shared hashed-token cache)', () => {
  it('serves a JWT for its time and no longer; a time of 0 is not remembered', async () => {
    let now = 1_000_000;
    const cache = createTokenCache({ now: () => now });
    const { introspect, callsFor } = countedIntrospection();
    const key = cacheKey('opaque-1');
    expect(await cache.resolve(key, introspect(key, { jwt: 'jwt-1' }, 60))).toEqual({ jwt: 'jwt-1' });
    now += 59_999;
    expect(await cache.resolve(key, introspect(key, { jwt: 'newer' }, 60))).toEqual({ jwt: 'jwt-1' });
    expect(callsFor(key)).toBe(1);
    now += 1;
    expect(await cache.resolve(key, introspect(key, { jwt: 'jwt-1b' }, 60))).toEqual({ jwt: 'jwt-1b' });
    expect(callsFor(key)).toBe(2);

    const uncached = cacheKey('opaque-2');
    await cache.resolve(uncached, introspect(uncached, { jwt: 'jwt-2' }, 0));
    expect(await cache.resolve(uncached, introspect(uncached, { jwt: 'jwt-2b' }, 0))).toEqual({ jwt: 'jwt-2b' });
    expect(callsFor(uncached)).toBe(2);
  });

  it('drops the least recently used entry past its bound', async () => {
    const cache = createTokenCache({ maxEntries: 2 });
    const { introspect, callsFor } = countedIntrospection();
    const resolve = (key: string) => cache.resolve(key, introspect(key, { jwt: key.toUpperCase() }));
    await resolve('a');
    await resolve('b');
    await resolve('a'); // a is now more recently used than b
    await resolve('c'); // makes room by dropping b
    expect([callsFor('a'), callsFor('b'), callsFor('c')]).toEqual([1, 1, 1]);
    expect(await resolve('c')).toEqual({ jwt: 'C' });
    expect(await resolve('a')).toEqual({ jwt: 'A' });
    expect([callsFor('a'), callsFor('c')]).toEqual([1, 1]);
    expect(await resolve('b')).toEqual({ jwt: 'B' });
    expect(callsFor('b')).toBe(2);
  });

  it('shares one introspection between concurrent requests, remembering a JWT but not a failure', async () => {
    const cache = createTokenCache();
    const { introspect, callsFor } = countedIntrospection();
    const failed = await Promise.all([1, 2, 3].map(() => cache.resolve('k', introspect('k', { failure: 'unavailable' }, 60, 5))));
    expect(failed).toEqual([{ failure: 'unavailable' }, { failure: 'unavailable' }, { failure: 'unavailable' }]);
    expect(callsFor('k')).toBe(1);
    const active = await Promise.all([1, 2].map(() => cache.resolve('k', introspect('k', { jwt: 'jwt-k' }, 60, 5))));
    expect(active).toEqual([{ jwt: 'jwt-k' }, { jwt: 'jwt-k' }]);
    expect(callsFor('k')).toBe(2);
    expect(await cache.resolve('k', introspect('k', { jwt: 'other' }))).toEqual({ jwt: 'jwt-k' });
    expect(callsFor('k')).toBe(2);
  });
});

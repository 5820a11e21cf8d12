import { describe, expect, it } from 'vitest';
import { cacheKey, createTokenCache } from '../../gateway/index.ts';

describe('gateway token cache (on the shared hashed-token cache)', () => {
  it('serves a JWT for its time and no longer', () => {
    let now = 1_000_000;
    const cache = createTokenCache({ now: () => now });
    cache.set(cacheKey('opaque-1'), 'jwt-1', 60);
    expect(cache.get(cacheKey('opaque-1'))).toBe('jwt-1');
    now += 59_999;
    expect(cache.get(cacheKey('opaque-1'))).toBe('jwt-1');
    now += 1;
    expect(cache.get(cacheKey('opaque-1'))).toBeUndefined();
    cache.set(cacheKey('opaque-2'), 'jwt-2', 0);
    expect(cache.get(cacheKey('opaque-2'))).toBeUndefined();
  });

  it('drops the least recently used entry past its bound', () => {
    const cache = createTokenCache({ maxEntries: 2 });
    cache.set('a', 'A', 60);
    cache.set('b', 'B', 60);
    cache.get('a');
    cache.set('c', 'C', 60);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['A', undefined, 'C']);
  });

  it('shares one introspection between concurrent requests, remembering a JWT but not a failure', async () => {
    const cache = createTokenCache();
    let introspections = 0;
    const introspect = (outcome: { jwt?: string; failure?: string }) => async () => {
      introspections += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { outcome, ttlSeconds: 60 };
    };
    const failed = await Promise.all([1, 2, 3].map(() => cache.resolve('k', introspect({ failure: 'unavailable' }))));
    expect(failed).toEqual([{ failure: 'unavailable' }, { failure: 'unavailable' }, { failure: 'unavailable' }]);
    expect(introspections).toBe(1);
    const active = await Promise.all([1, 2].map(() => cache.resolve('k', introspect({ jwt: 'jwt-k' }))));
    expect(active).toEqual([{ jwt: 'jwt-k' }, { jwt: 'jwt-k' }]);
    expect(introspections).toBe(2);
    expect(await cache.resolve('k', introspect({ jwt: 'other' }))).toEqual({ jwt: 'jwt-k' });
    expect(introspections).toBe(2);
  });
});

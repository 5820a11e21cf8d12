import { describe, expect, it } from 'vitest';
import { createExchangeCache } from '../src/oauth/exchange-cache.ts';
import type { ExchangedToken } from '../src/oauth/token-exchange.ts';

/** A fake exchange whose answers the test controls; it counts calls per subject token. */
function fakeExchange(lifetimeSeconds: number | undefined, clock: { now: number }) {
  const calls: string[] = [];
  let failNext = false;
  const exchange = async (subjectToken: string): Promise<ExchangedToken> => {
    calls.push(subjectToken);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (failNext) {
      failNext = false;
      throw new Error('exchange failed');
    }
    return {
      accessToken: `api-token-${calls.length}-for-${subjectToken}`,
      expiresAt: lifetimeSeconds === undefined ? undefined : clock.now + lifetimeSeconds,
    };
  };
  return {
    exchange,
    calls,
    failOnce: () => {
      failNext = true;
    },
  };
}

describe('exchange cache', () => {
  it('reuses an exchanged token until the margin before its expiry, then exchanges again', async () => {
    const clock = { now: 1_000 };
    const fake = fakeExchange(900, clock);
    const cache = createExchangeCache(fake.exchange, { maxEntries: 10, expiryMarginSeconds: 30, now: () => clock.now });

    const first = await cache.accessTokenFor('subject-a');
    clock.now += 869;
    expect(await cache.accessTokenFor('subject-a')).toBe(first);
    expect(fake.calls).toHaveLength(1);

    clock.now += 1; // 870 s in: 30 s before expiry
    const renewed = await cache.accessTokenFor('subject-a');
    expect(renewed).not.toBe(first);
    expect(fake.calls).toHaveLength(2);
  });

  it('lets concurrent callers share one exchange', async () => {
    const clock = { now: 1_000 };
    const fake = fakeExchange(900, clock);
    const cache = createExchangeCache(fake.exchange, { maxEntries: 10, expiryMarginSeconds: 30, now: () => clock.now });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cache.accessTokenFor('subject-a')));
    expect(new Set(tokens).size).toBe(1);
    expect(fake.calls).toHaveLength(1);
  });

  it('does not remember failures, for sequential or concurrent callers', async () => {
    const clock = { now: 1_000 };
    const fake = fakeExchange(900, clock);
    const cache = createExchangeCache(fake.exchange, { maxEntries: 10, expiryMarginSeconds: 30, now: () => clock.now });
    fake.failOnce();
    const results = await Promise.allSettled([cache.accessTokenFor('subject-a'), cache.accessTokenFor('subject-a')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(fake.calls).toHaveLength(1);
    await expect(cache.accessTokenFor('subject-a')).resolves.toMatch(/^api-token-2-/);
    expect(cache.size).toBe(1);
  });

  it('keeps separate entries per subject token', async () => {
    const clock = { now: 1_000 };
    const fake = fakeExchange(900, clock);
    const cache = createExchangeCache(fake.exchange, { maxEntries: 10, expiryMarginSeconds: 30, now: () => clock.now });
    const a = await cache.accessTokenFor('subject-a');
    const b = await cache.accessTokenFor('subject-b');
    expect(a).not.toBe(b);
    expect(await cache.accessTokenFor('subject-a')).toBe(a);
    expect(fake.calls).toEqual(['subject-a', 'subject-b']);
  });

  it('evicts the oldest entry when full', async () => {
    const clock = { now: 1_000 };
    const fake = fakeExchange(900, clock);
    const cache = createExchangeCache(fake.exchange, { maxEntries: 2, expiryMarginSeconds: 30, now: () => clock.now });
    await cache.accessTokenFor('subject-a');
    await cache.accessTokenFor('subject-b');
    await cache.accessTokenFor('subject-c');
    expect(cache.size).toBe(2);
    await cache.accessTokenFor('subject-c');
    await cache.accessTokenFor('subject-b');
    expect(fake.calls).toEqual(['subject-a', 'subject-b', 'subject-c']);
    await cache.accessTokenFor('subject-a');
    expect(fake.calls).toEqual(['subject-a', 'subject-b', 'subject-c', 'subject-a']);
  });

  it('remembers nothing when the lifetime is unknown, inside the margin, or caching is off', async () => {
    const clock = { now: 1_000 };
    for (const [lifetime, maxEntries] of [
      [undefined, 10],
      [30, 10],
      [900, 0],
    ] as const) {
      const fake = fakeExchange(lifetime, clock);
      const cache = createExchangeCache(fake.exchange, { maxEntries, expiryMarginSeconds: 30, now: () => clock.now });
      await cache.accessTokenFor('subject-a');
      await cache.accessTokenFor('subject-a');
      expect(fake.calls).toHaveLength(2);
      expect(cache.size).toBe(0);
    }
  });

  it('forgets an entry on request', async () => {
    const clock = { now: 1_000 };
    const fake = fakeExchange(900, clock);
    const cache = createExchangeCache(fake.exchange, { maxEntries: 10, expiryMarginSeconds: 30, now: () => clock.now });
    await cache.accessTokenFor('subject-a');
    cache.forget('subject-a');
    await cache.accessTokenFor('subject-a');
    expect(fake.calls).toHaveLength(2);
  });
});

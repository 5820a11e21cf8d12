import { describe, expect, it } from 'vitest';
import { createHashedTokenCache, tokenDigest } from '../src/index.ts';

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

describe('hashed token cache', () => {
  it('keys entries by the SHA-256 of the token, never the token', async () => {
    const keys: string[] = [];
    const cache = createHashedTokenCache<string>({
      maxEntries: 10,
      keyOf: (token) => {
        const key = tokenDigest(token);
        keys.push(key);
        return key;
      },
    });
    await cache.resolve('secret-token', async () => ({ value: 'jwt', usableUntil: Date.now() + 60_000 }));
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys[0]).not.toContain('secret-token');
    expect(cache.get('secret-token')).toBe('jwt');
  });

  it('serves a value from usableFrom until just before usableUntil', async () => {
    const { time, now } = clock();
    const cache = createHashedTokenCache<string>({ maxEntries: 10, now });
    cache.remember('t', { value: 'v', usableFrom: time.now + 10, usableUntil: time.now + 100 });
    expect(cache.get('t')).toBeUndefined();
    time.now += 10;
    expect(cache.get('t')).toBe('v');
    time.now += 89;
    expect(cache.get('t')).toBe('v');
    time.now += 1;
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('shares one production between concurrent requests and remembers its value', async () => {
    const cache = createHashedTokenCache<number>({ maxEntries: 10 });
    let produced = 0;
    const produce = async () => {
      produced += 1;
      await new Promise((done) => setTimeout(done, 10));
      return { value: produced, usableUntil: Date.now() + 60_000 };
    };
    const values = await Promise.all(Array.from({ length: 5 }, () => cache.resolve('t', produce)));
    expect(values).toEqual([1, 1, 1, 1, 1]);
    expect(await cache.resolve('t', produce)).toBe(1);
    expect(produced).toBe(1);
  });

  it('does not remember a failure, nor a value without a time', async () => {
    const cache = createHashedTokenCache<string>({ maxEntries: 10 });
    await expect(cache.resolve('t', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.resolve('t', async () => ({ value: 'once' }))).toBe('once');
    expect(await cache.resolve('t', async () => ({ value: 'twice', usableUntil: Date.now() + 1000 }))).toBe('twice');
    expect(cache.get('t')).toBe('twice');
  });

  it('drops the least recently used entry past its bound, and can forget', () => {
    const cache = createHashedTokenCache<string>({ maxEntries: 2 });
    const until = Date.now() + 60_000;
    cache.remember('a', { value: 'A', usableUntil: until });
    cache.remember('b', { value: 'B', usableUntil: until });
    expect(cache.get('a')).toBe('A');
    cache.remember('c', { value: 'C', usableUntil: until });
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['A', undefined, 'C']);
    cache.forget('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('remembers nothing with 0 entries and refuses a negative bound', () => {
    const cache = createHashedTokenCache<string>({ maxEntries: 0 });
    cache.remember('a', { value: 'A', usableUntil: Date.now() + 60_000 });
    expect(cache.get('a')).toBeUndefined();
    expect(() => createHashedTokenCache({ maxEntries: -1 })).toThrow(/maxEntries/);
  });
});

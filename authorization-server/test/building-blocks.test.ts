import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdapterPayload } from 'oidc-provider';
import { afterEach, describe, expect, it } from 'vitest';
import { matchesLoopbackRedirect } from '../src/clients/loopback-redirects.ts';
import { createCsrfTokens } from '../src/interactions/csrf.ts';
import { createOneTimePasswords, type OtpLimits } from '../src/interactions/one-time-passwords.ts';
import { openSqliteStorage, type ModelStorage } from '../src/storage/sqlite-adapter.ts';
import { escapeHtml, html, toHtmlString } from '../src/views/html.ts';

describe('matchesLoopbackRedirect (RFC 8252 §7.3)', () => {
  it.each([
    ['http://127.0.0.1:6274/callback', 'http://127.0.0.1:51234/callback'],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback'],
    ['http://localhost:6274/cb?x=1', 'http://localhost:9/cb?x=1'],
    ['http://[::1]:1/cb', 'http://[::1]:2/cb'],
  ])('lets %s match %s', (registered, requested) => {
    expect(matchesLoopbackRedirect(registered, requested)).toBe(true);
  });

  it.each([
    ['another path', 'http://127.0.0.1:6274/callback', 'http://127.0.0.1:6274/other'],
    ['another loopback name', 'http://127.0.0.1:6274/callback', 'http://localhost:6274/callback'],
    ['https', 'https://127.0.0.1:6274/callback', 'https://127.0.0.1:1/callback'],
    ['a non-loopback host', 'http://app.example:80/cb', 'http://app.example:81/cb'],
    ['another query', 'http://127.0.0.1/cb?a=1', 'http://127.0.0.1:5/cb?a=2'],
    ['a fragment', 'http://127.0.0.1/cb', 'http://127.0.0.1:5/cb#x'],
    ['user information', 'http://127.0.0.1/cb', 'http://user@127.0.0.1:5/cb'],
  ])('refuses %s', (_case, registered, requested) => {
    expect(matchesLoopbackRedirect(registered, requested)).toBe(false);
  });
});

describe('CSRF tokens', () => {
  it('are bound to one interaction and survive key rotation', () => {
    const tokens = createCsrfTokens(['k'.repeat(32)]);
    const token = tokens.issue('interaction-a');
    expect(tokens.verify('interaction-a', token)).toBe(true);
    expect(tokens.verify('interaction-b', token)).toBe(false);
    expect(tokens.verify('interaction-a', '')).toBe(false);
    expect(tokens.verify('interaction-a', undefined)).toBe(false);
    const rotated = createCsrfTokens(['n'.repeat(32), 'k'.repeat(32)]);
    expect(rotated.verify('interaction-a', token)).toBe(true);
    expect(createCsrfTokens(['n'.repeat(32)]).verify('interaction-a', token)).toBe(false);
  });
});

describe('html templates', () => {
  it('escape every interpolated value', () => {
    const name = '<script>alert("x")</script>';
    expect(toHtmlString(html`<p>${name}</p>`)).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>');
    expect(toHtmlString(html`<a title='${"' onmouseover='x"}'>`)).not.toContain("' onmouseover");
    expect(escapeHtml('`&')).toBe('&#96;&amp;');
  });

  it('nest templates and lists without double escaping', () => {
    const items = ['a&b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(toHtmlString(html`<ul>${items}</ul>`)).toBe('<ul><li>a&amp;b</li><li>c</li></ul>');
  });
});

describe('sqlite storage and one-time passwords', () => {
  let dir: string;
  let storage: ModelStorage | undefined;

  afterEach(() => {
    storage?.close();
    storage = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () => {
    dir = mkdtempSync(join(tmpdir(), 'as-storage-'));
    storage = openSqliteStorage(join(dir, 'store.sqlite'));
    return storage;
  };

  it('stores, finds, consumes, expires and revokes by grant', async () => {
    const store = open();
    const tokens = store.adapterFor('AccessToken');
    await tokens.upsert('t1', { grantId: 'g1', accountId: 'u' }, 60);
    await tokens.upsert('t2', { grantId: 'g1' }, 60);
    await tokens.upsert('t3', { grantId: 'g2' }, 60);
    expect(await tokens.find('t1')).toEqual({ grantId: 'g1', accountId: 'u' });
    expect(await store.adapterFor('Session').find('t1')).toBeUndefined();

    const codes = store.adapterFor('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g3' }, 60);
    await codes.consume('c1');
    expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));

    await tokens.revokeByGrantId('g1');
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await tokens.find('t2')).toBeUndefined();
    expect(await tokens.find('t3')).toBeDefined();

    const sessions = store.adapterFor('Session');
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'u' }, 60);
    expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'u' });

    await tokens.upsert('short', {}, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await tokens.find('short')).toBeUndefined();
    expect(store.sweep()).toBeGreaterThanOrEqual(1);

    await tokens.destroy('t3');
    expect(await tokens.find('t3')).toBeUndefined();
  });

  it('keeps the database and its -wal and -shm files readable by their owner only', async () => {
    const mode = (path: string) => statSync(path).mode & 0o777;
    const previous = process.umask(0o022);
    try {
      const store = open();
      await store.adapterFor('AccessToken').upsert('t1', { grantId: 'g1' }, 60);
      const file = join(dir, 'store.sqlite');
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(mode(path).toString(8), path).toBe('600');

      // A database left world-readable by an older version is narrowed on open.
      store.close();
      storage = undefined;
      chmodSync(file, 0o644);
      writeFileSync(`${file}-wal`, '', { mode: 0o644 });
      chmodSync(`${file}-wal`, 0o644);
      storage = openSqliteStorage(file);
      expect(mode(file).toString(8)).toBe('600');
      expect(mode(`${file}-wal`).toString(8)).toBe('600');
    } finally {
      process.umask(previous);
    }
  });

  it('counts attempts atomically: a limit per window and doubling delays after the free ones', () => {
    const counters = open().counters;
    const rule = { limit: 4, windowMs: 60_000, freeCounts: 2, baseDelayMs: 30_000, maxDelayMs: 60_000 };
    expect(counters.hit('k', rule)).toEqual({ counted: true, count: 1 });
    expect(counters.hit('k', rule)).toEqual({ counted: true, count: 2 });
    expect(counters.hit('k', rule)).toEqual({ counted: true, count: 3 });
    const waiting = counters.hit('k', rule);
    expect(waiting).toMatchObject({ counted: false, count: 3, locked: false });
    expect(waiting.counted ? 0 : waiting.retryAfterMs).toBeGreaterThan(29_000);
    // Other keys are counted apart; a reset starts again.
    expect(counters.hit('other', rule)).toEqual({ counted: true, count: 1 });
    counters.reset('k');
    expect(counters.hit('k', rule)).toEqual({ counted: true, count: 1 });
    // Without delays, the limit locks until the window ends.
    const plain = { limit: 2, windowMs: 60_000 };
    expect(counters.hit('p', plain).counted).toBe(true);
    expect(counters.hit('p', plain).counted).toBe(true);
    expect(counters.hit('p', plain)).toMatchObject({ counted: false, count: 2, locked: true });
  });

  it('keeps clients without expiry', async () => {
    const store = open();
    await store.adapterFor('Client').upsert('client-1', { client_id: 'client-1' });
    expect(store.sweep()).toBe(0);
    expect(await store.adapterFor('Client').find('client-1')).toEqual({ client_id: 'client-1' });
  });

  /** Per-address limits out of the way: these tests are about one challenge. */
  const generous: OtpLimits = {
    maxFailures: 1000,
    failureWindowSeconds: 3600,
    freeFailures: 1000,
    failureDelaySeconds: 0,
    maxFailureDelaySeconds: 0,
    maxCodesPerAddress: 1000,
    maxCodesPerInteraction: 1000,
    codeWindowSeconds: 3600,
  };
  const started = async (pending: Promise<{ outcome: string; code?: string }>) => (await pending).code as string;

  it('checks a one-time password once, locks after five wrong codes and expires', async () => {
    let now = 1_000_000;
    const storage = open();
    const otp = createOneTimePasswords({
      store: storage.adapterFor('OneTimePassword'),
      counters: storage.counters,
      limits: generous,
      secret: 's'.repeat(32),
      ttlSeconds: 300,
      now: () => now,
    });

    const code = await started(otp.start('i1', 'john.doe@demo.example', true));
    expect(code).toMatch(/^\d{6}$/);
    expect(await otp.pending('i1')).toEqual({ email: 'john.doe@demo.example' });
    expect(await otp.verify('i1', code)).toEqual({ outcome: 'accepted', email: 'john.doe@demo.example' });
    expect(await otp.verify('i1', code)).toEqual({ outcome: 'missing' });

    const second = await started(otp.start('i2', 'jane.test@demo.example', true));
    const wrong = second === '000000' ? '000001' : '000000';
    for (let left = 4; left >= 1; left -= 1) expect(await otp.verify('i2', wrong)).toEqual({ outcome: 'wrong', attemptsLeft: left });
    expect(await otp.verify('i2', wrong)).toEqual({ outcome: 'locked' });
    expect(await otp.verify('i2', second)).toEqual({ outcome: 'missing' });

    const third = await started(otp.start('i3', 'john.doe@demo.example', true));
    now += 300_000;
    expect(await otp.verify('i3', third)).toEqual({ outcome: 'expired' });

    expect(await otp.start('i4', 'mallory@demo.example', false)).toEqual({ outcome: 'started' });
    expect(await otp.verify('i4', '123456')).toEqual({ outcome: 'wrong', attemptsLeft: 4 });
  });

  it('counts parallel guesses one by one, even with a store that answers asynchronously', async () => {
    const storage = open();
    const sqlite = storage.adapterFor('OneTimePassword');
    // A network store (Redis, PostgreSQL) answers after other requests had their turn.
    const later = () => new Promise((resolve) => setTimeout(resolve, 1));
    const slow = {
      ...sqlite,
      find: async (id: string) => (await later(), sqlite.find(id)),
      upsert: async (id: string, payload: AdapterPayload, expiresIn: number) => (await later(), sqlite.upsert(id, payload, expiresIn)),
      destroy: async (id: string) => (await later(), sqlite.destroy(id)),
    };
    const otp = createOneTimePasswords({ store: slow, counters: storage.counters, limits: generous, secret: 's'.repeat(32), ttlSeconds: 300 });
    const code = await started(otp.start('i5', 'john.doe@demo.example', true));
    const wrong = code === '000000' ? '000001' : '000000';

    const outcomes = await Promise.all(Array.from({ length: 12 }, () => otp.verify('i5', wrong)));
    expect(outcomes.slice(0, 5)).toEqual([
      { outcome: 'wrong', attemptsLeft: 4 },
      { outcome: 'wrong', attemptsLeft: 3 },
      { outcome: 'wrong', attemptsLeft: 2 },
      { outcome: 'wrong', attemptsLeft: 1 },
      { outcome: 'locked' },
    ]);
    for (const outcome of outcomes.slice(5)) expect(outcome).toEqual({ outcome: 'missing' });
    expect(await otp.verify('i5', code)).toEqual({ outcome: 'missing' });
  });
});

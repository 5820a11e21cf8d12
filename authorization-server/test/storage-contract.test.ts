import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdapterPayload } from 'oidc-provider';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '@mcp-demo/testing';
import { createOneTimePasswords, type OtpLimits } from '../src/interactions/one-time-passwords.ts';
import { loadCookieKeys } from '../src/keys/cookie-keys.ts';
import { loadSigningKeys, REPLACED_KEY_PUBLISHED_MS, rotateSigningKey } from '../src/keys/signing-keys.ts';
import type { ModelStorage } from '../src/storage/model-storage.ts';
import { openPostgresStorage } from '../src/storage/postgres-adapter.ts';
import { openSqliteStorage } from '../src/storage/sqlite-adapter.ts';

/**
 * One contract, two stores: every test below runs against node:sqlite and
 * against a real PostgreSQL server. `open()` gives a fresh database; `again()`
 * opens a second store on the same database, as a second node would.
 */
interface StoreUnderTest {
  open(): Promise<ModelStorage>;
  again(): Promise<ModelStorage>;
  cleanUp(): Promise<void>;
}

let postgres: TestPostgres | undefined;
let databases = 0;

beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

function sqliteStores(): StoreUnderTest {
  let dir: string | undefined;
  return {
    open: async () => {
      dir = mkdtempSync(join(tmpdir(), 'as-contract-'));
      return openSqliteStorage(join(dir, 'store.sqlite'));
    },
    again: async () => openSqliteStorage(join(dir as string, 'store.sqlite')),
    cleanUp: async () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresStores(): StoreUnderTest {
  let url: string | undefined;
  return {
    open: async () => {
      databases += 1;
      url = await (postgres as TestPostgres).createDatabase(`contract_${databases}`);
      return openPostgresStorage(url);
    },
    again: async () => openPostgresStorage(url as string),
    cleanUp: async () => undefined,
  };
}

/** Per-address limits out of the way: the one-time password tests here are about one challenge. */
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
const otherThan = (code: string) => (code === '000000' ? '000001' : '000000');

describe.each([
  ['sqlite', sqliteStores],
  ['postgresql', postgresStores],
] as const)('%s store', (kind, stores) => {
  let subject: StoreUnderTest;
  const opened: ModelStorage[] = [];
  const open = async () => {
    subject = stores();
    const store = await subject.open();
    opened.push(store);
    return store;
  };
  const again = async () => {
    const store = await subject.again();
    opened.push(store);
    return store;
  };

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await subject?.cleanUp();
  });

  it('names its kind', async () => {
    expect((await open()).kind).toBe(kind);
  });

  it('stores, finds, consumes, expires and revokes by grant', async () => {
    const store = await open();
    const tokens = store.adapterFor('AccessToken');
    await tokens.upsert('t1', { grantId: 'g1', accountId: 'u' }, 60);
    await tokens.upsert('t2', { grantId: 'g1' }, 60);
    await tokens.upsert('t3', { grantId: 'g2' }, 60);
    expect(await tokens.find('t1')).toEqual({ grantId: 'g1', accountId: 'u' });
    expect(await store.adapterFor('Session').find('t1')).toBeUndefined();
    await tokens.upsert('t1', { grantId: 'g1', accountId: 'v' }, 60);
    expect(await tokens.find('t1')).toEqual({ grantId: 'g1', accountId: 'v' });

    const codes = store.adapterFor('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g3', scope: 'stocks/read' }, 60);
    await codes.consume('c1');
    expect(await codes.find('c1')).toEqual({ grantId: 'g3', scope: 'stocks/read', consumed: expect.any(Number) });

    await tokens.revokeByGrantId('g1');
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await tokens.find('t2')).toBeUndefined();
    expect(await tokens.find('t3')).toBeDefined();

    const sessions = store.adapterFor('Session');
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'u' }, 60);
    expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'u' });
    expect(await sessions.findByUid('uid-2')).toBeUndefined();
    const devices = store.adapterFor('DeviceCode');
    await devices.upsert('d1', { userCode: 'ABCD' }, 60);
    expect(await devices.findByUserCode('ABCD')).toEqual({ userCode: 'ABCD' });

    await tokens.upsert('short', {}, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await tokens.find('short')).toBeUndefined();
    expect(await store.sweep()).toBeGreaterThanOrEqual(1);

    await tokens.destroy('t3');
    expect(await tokens.find('t3')).toBeUndefined();
  });

  it('keeps clients without expiry, and an entry made permanent', async () => {
    const store = await open();
    await store.adapterFor('Client').upsert('client-1', { client_id: 'client-1' });
    await store.adapterFor('Client').upsert('client-2', { client_id: 'client-2' }, 1);
    await store.keep('Client', 'client-2');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await store.sweep()).toBe(0);
    expect(await store.adapterFor('Client').find('client-1')).toEqual({ client_id: 'client-1' });
    expect(await store.adapterFor('Client').find('client-2')).toEqual({ client_id: 'client-2' });
  });

  it('counts attempts: a limit per window and doubling delays after the free ones', async () => {
    const { counters } = await open();
    const rule = { limit: 4, windowMs: 60_000, freeCounts: 2, baseDelayMs: 30_000, maxDelayMs: 60_000 };
    expect(await counters.hit('k', rule)).toEqual({ counted: true, count: 1 });
    expect(await counters.hit('k', rule)).toEqual({ counted: true, count: 2 });
    expect(await counters.hit('k', rule)).toEqual({ counted: true, count: 3 });
    const waiting = await counters.hit('k', rule);
    expect(waiting).toMatchObject({ counted: false, count: 3, locked: false });
    expect(waiting.counted ? 0 : waiting.retryAfterMs).toBeGreaterThan(29_000);
    // Other keys are counted apart; a reset starts again.
    expect(await counters.hit('other', rule)).toEqual({ counted: true, count: 1 });
    await counters.reset('k');
    expect(await counters.hit('k', rule)).toEqual({ counted: true, count: 1 });
    // Without delays, the limit locks until the window ends; then counting starts afresh.
    const plain = { limit: 2, windowMs: 1_000 };
    expect((await counters.hit('p', plain)).counted).toBe(true);
    expect((await counters.hit('p', plain)).counted).toBe(true);
    expect(await counters.hit('p', plain)).toMatchObject({ counted: false, count: 2, locked: true });
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(await counters.hit('p', plain)).toEqual({ counted: true, count: 1 });
  });

  it('counts parallel hits from two stores on one database exactly once each', async () => {
    const first = await open();
    const second = await again();
    const rule = { limit: 7, windowMs: 60_000 };
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, index) => (index % 2 ? first : second).counters.hit('shared', rule)));
    const counted = outcomes.filter((outcome) => outcome.counted).map((outcome) => outcome.count);
    expect(counted.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(outcomes.filter((outcome) => !outcome.counted && outcome.locked)).toHaveLength(33);
  });

  it('shares values: the first write wins, a replacement must name what it replaces', async () => {
    const first = await open();
    const second = await again();
    expect(await first.shared.get('k')).toBeUndefined();
    const [a, b] = await Promise.all([first.shared.putIfAbsent('k', 'from-first'), second.shared.putIfAbsent('k', 'from-second')]);
    expect(a).toBe(b);
    expect(await second.shared.get('k')).toBe(a);
    expect(await second.shared.replace('k', 'stale', 'x')).toBe(false);
    expect(await second.shared.replace('k', a, 'next')).toBe(true);
    expect(await first.shared.get('k')).toBe('next');
  });

  it('gives every node the same signing and cookie keys, generated by whichever starts first', async () => {
    const first = await open();
    const second = await again();
    const [one, two] = await Promise.all([loadSigningKeys(first.shared), loadSigningKeys(second.shared)]);
    expect(two.kid).toBe(one.kid);
    expect(two.publicJwks).toEqual(one.publicJwks);
    const cookies = await Promise.all([loadCookieKeys([], first.shared), loadCookieKeys([], second.shared)]);
    expect(cookies[1]).toEqual(cookies[0]);
    expect(cookies[0]).toHaveLength(2);
    // A configured list wins over the stored one.
    expect(await loadCookieKeys(['c'.repeat(32)], second.shared)).toEqual(['c'.repeat(32)]);
  });

  it('rotates signing keys: published before use, the old one kept until what it signed expired', async () => {
    const store = await open();
    const now = Date.now();
    const before = await loadSigningKeys(store.shared, { now });
    const activatesAt = now + 3600_000;
    const kid = await rotateSigningKey(store.shared, activatesAt, now);
    await expect(rotateSigningKey(store.shared, activatesAt + 1, now + 1)).rejects.toThrow(/already waiting for its activation/);
    await expect(rotateSigningKey(store.shared, now, now)).rejects.toThrow(/must activate later than now/);

    // A node started before the activation publishes the new key but still signs with the old.
    const waiting = await loadSigningKeys(store.shared, { now: now + 1 });
    expect(waiting.kid).toBe(before.kid);
    expect(waiting.publicJwks.keys.map((key) => key.kid)).toEqual([before.kid, kid]);

    // After it: signs with the new key, still publishes the old one, however long it runs.
    const after = await loadSigningKeys(store.shared, { now: activatesAt + 1 });
    expect(after.kid).toBe(kid);
    expect(after.privateJwks.keys[0]?.kid).toBe(kid);
    expect(after.publicJwks.keys.map((key) => key.kid)).toEqual([kid, before.kid]);
    const muchLater = activatesAt + 10 * REPLACED_KEY_PUBLISHED_MS;
    expect((await loadSigningKeys(store.shared, { now: muchLater })).publicJwks.keys.map((key) => key.kid)).toEqual([kid, before.kid]);

    // A rotation soon after the activation keeps the old key; one after what it signed expired drops it.
    const soon = activatesAt + 60_000;
    const third = await rotateSigningKey(store.shared, soon + 60_000, soon);
    const storedKids = async () =>
      (JSON.parse((await store.shared.get('signing-keys')) as string) as { keys: { jwk: { kid: string } }[] }).keys.map((key) => key.jwk.kid);
    expect(await storedKids()).toEqual([before.kid, kid, third]);
    const late = soon + 60_000 + REPLACED_KEY_PUBLISHED_MS + 1;
    const fourth = await rotateSigningKey(store.shared, late + 60_000, late);
    expect(await storedKids()).toEqual([third, fourth]);
  });

  it('checks a one-time password once, locks after five wrong codes and expires', async () => {
    let now = 1_000_000;
    const storage = await open();
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
    for (let left = 4; left >= 1; left -= 1) expect(await otp.verify('i2', otherThan(second))).toEqual({ outcome: 'wrong', attemptsLeft: left });
    expect(await otp.verify('i2', otherThan(second))).toEqual({ outcome: 'locked' });
    expect(await otp.verify('i2', second)).toEqual({ outcome: 'missing' });

    // A new code starts with fresh attempts.
    const renewed = await started(otp.start('i2', 'jane.test@demo.example', true));
    expect(await otp.verify('i2', otherThan(renewed))).toEqual({ outcome: 'wrong', attemptsLeft: 4 });
    expect(await otp.verify('i2', renewed)).toEqual({ outcome: 'accepted', email: 'jane.test@demo.example' });

    const third = await started(otp.start('i3', 'john.doe@demo.example', true));
    now += 300_000;
    expect(await otp.verify('i3', third)).toEqual({ outcome: 'expired' });

    expect(await otp.start('i4', 'mallory@demo.example', false)).toEqual({ outcome: 'started' });
    expect(await otp.verify('i4', '123456')).toEqual({ outcome: 'wrong', attemptsLeft: 4 });
  });

  it('counts parallel guesses one by one, even with a store that answers asynchronously', async () => {
    const storage = await open();
    const real = storage.adapterFor('OneTimePassword');
    // Let other requests have their turn between every step, as a busy network store would.
    const later = () => new Promise((resolve) => setTimeout(resolve, 1));
    const slow = {
      ...real,
      find: async (id: string) => (await later(), real.find(id)),
      upsert: async (id: string, payload: AdapterPayload, expiresIn: number) => (await later(), real.upsert(id, payload, expiresIn)),
      destroy: async (id: string) => (await later(), real.destroy(id)),
    };
    const otp = createOneTimePasswords({ store: slow, counters: storage.counters, limits: generous, secret: 's'.repeat(32), ttlSeconds: 300 });
    const code = await started(otp.start('i5', 'john.doe@demo.example', true));

    const outcomes = await Promise.all(Array.from({ length: 12 }, () => otp.verify('i5', otherThan(code))));
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

  it('holds the five-guess lock when parallel guesses land on two nodes', async () => {
    const first = await open();
    const second = await again();
    const node = (store: ModelStorage) =>
      createOneTimePasswords({ store: store.adapterFor('OneTimePassword'), counters: store.counters, limits: generous, secret: 's'.repeat(32), ttlSeconds: 300 });
    const [a, b] = [node(first), node(second)];
    const code = await started(a.start('i6', 'john.doe@demo.example', true));
    const outcomes = await Promise.all(Array.from({ length: 16 }, (_, index) => (index % 2 ? a : b).verify('i6', otherThan(code))));
    const wrong = outcomes.filter((outcome) => outcome.outcome === 'wrong');
    // Exactly four guesses are told "wrong" (attempts left 4, 3, 2, 1, in some order); every other one is refused.
    expect(wrong.map((outcome) => (outcome.outcome === 'wrong' ? outcome.attemptsLeft : 0)).sort()).toEqual([1, 2, 3, 4]);
    for (const outcome of outcomes) expect(['wrong', 'locked', 'missing']).toContain(outcome.outcome);
    expect(await b.verify('i6', code)).toEqual({ outcome: 'missing' });
  });
});

describe('postgresql store start-up', () => {
  it('migrates once when several nodes start together, and refuses a schema newer than it knows', async () => {
    const url = await (postgres as TestPostgres).createDatabase('startup');
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStorage(url)));
    await stores[0]?.adapterFor('Client').upsert('c', { client_id: 'c' });
    expect(await stores[3]?.adapterFor('Client').find('c')).toEqual({ client_id: 'c' });
    await Promise.all(stores.map((store) => store.close()));

    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM authorization_server_schema ORDER BY version');
      expect(rows).toEqual([{ version: 1 }]);
      await client.query('INSERT INTO authorization_server_schema (version) VALUES (99)');
    } finally {
      await client.end();
    }
    await expect(openPostgresStorage(url)).rejects.toThrow(/schema is at version 99, newer than this server knows/);
  });

  it('fails with the database server\'s reason when it cannot connect', async () => {
    await expect(openPostgresStorage((postgres as TestPostgres).url('no_such_database'))).rejects.toThrow(/no_such_database/);
  });
});

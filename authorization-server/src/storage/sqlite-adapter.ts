import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { counterParameters, expiryOf, refusal, type AttemptCounters, type ModelStorage, type SharedValues } from './model-storage.ts';

/**
 * Embedded persistence for oidc-provider on node:sqlite, for one node:
 * registered clients, grants, sessions, interactions, authorization codes,
 * opaque access tokens and the server's keys survive a restart. The contract
 * is ModelStorage (model-storage.ts); postgres-adapter.ts is the store for
 * several nodes.
 */

interface Row {
  payload: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS oidc_models (
    model      TEXT NOT NULL,
    id         TEXT NOT NULL,
    payload    TEXT NOT NULL,
    grant_id   TEXT,
    user_code  TEXT,
    uid        TEXT,
    expires_at INTEGER,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX IF NOT EXISTS oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS attempt_counters (
    key             TEXT PRIMARY KEY,
    count           INTEGER NOT NULL,
    window_ends_at  INTEGER NOT NULL,
    next_allowed_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS attempt_counters_window ON attempt_counters (window_ends_at);
  CREATE TABLE IF NOT EXISTS shared_values (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
`;

/** The count a hit produces: 1 in a new window, else one more. Refers to the row before the update. */
const NEW_COUNT = 'CASE WHEN window_ends_at <= :now THEN 1 ELSE count + 1 END';
/** Milliseconds to wait after `count` hits: none for the free ones, then doubling up to the maximum. */
const delayAfter = (count: string) =>
  `CASE WHEN ${count} <= :free THEN 0 ELSE min(:maxDelay, :baseDelay << min(${count} - :free - 1, 30)) END`;

/**
 * When the next count is allowed: 0 (at once) without a delay, so that a hit
 * stamped a moment earlier by another node's clock is never refused.
 */
const nextAllowedAfter = (count: string) => `CASE WHEN ${delayAfter(count)} = 0 THEN 0 ELSE :now + ${delayAfter(count)} END`;

const HIT = `
  INSERT INTO attempt_counters (key, count, window_ends_at, next_allowed_at)
  VALUES (:key, 1, :now + :window, ${nextAllowedAfter('1')})
  ON CONFLICT (key) DO UPDATE SET
    count = ${NEW_COUNT},
    window_ends_at = CASE WHEN window_ends_at <= :now THEN :now + :window ELSE window_ends_at END,
    next_allowed_at = ${nextAllowedAfter(`(${NEW_COUNT})`)}
  WHERE window_ends_at <= :now OR (count < :limit AND next_allowed_at <= :now)
  RETURNING count`;

/**
 * The database holds token, code and session identifiers: only the server's
 * user may read it. SQLite gives its -wal and -shm files the database file's
 * mode, so creating that file 0600 covers them; files left by an older
 * version are narrowed too.
 */
function restrictToOwner(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
}

function parse(row: unknown): AdapterPayload | undefined {
  if (!row) return undefined;
  return JSON.parse((row as Row).payload) as AdapterPayload;
}

export function openSqliteStorage(file: string): ModelStorage {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    restrictToOwner(file);
  }
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
  db.exec(SCHEMA);

  const live = '(expires_at IS NULL OR expires_at > ?)';
  const statements = {
    upsert: db.prepare(
      `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
    ),
    find: db.prepare(`SELECT payload FROM oidc_models WHERE model = ? AND id = ? AND ${live}`),
    findByUid: db.prepare(`SELECT payload FROM oidc_models WHERE model = ? AND uid = ? AND ${live}`),
    findByUserCode: db.prepare(`SELECT payload FROM oidc_models WHERE model = ? AND user_code = ? AND ${live}`),
    consume: db.prepare(`UPDATE oidc_models SET payload = json_set(payload, '$.consumed', ?) WHERE model = ? AND id = ? AND ${live}`),
    destroy: db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?'),
    keep: db.prepare('UPDATE oidc_models SET expires_at = NULL WHERE model = ? AND id = ? AND expires_at IS NOT NULL'),
    revokeByGrantId: db.prepare('DELETE FROM oidc_models WHERE grant_id = ?'),
    sweep: db.prepare('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    hit: db.prepare(HIT),
    counter: db.prepare('SELECT count, window_ends_at, next_allowed_at FROM attempt_counters WHERE key = ?'),
    resetCounter: db.prepare('DELETE FROM attempt_counters WHERE key = ?'),
    sweepCounters: db.prepare('DELETE FROM attempt_counters WHERE window_ends_at <= ? AND next_allowed_at <= ?'),
    getShared: db.prepare('SELECT value FROM shared_values WHERE name = ?'),
    insertShared: db.prepare('INSERT INTO shared_values (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    replaceShared: db.prepare('UPDATE shared_values SET value = ? WHERE name = ? AND value = ?'),
  } satisfies Record<string, StatementSync>;

  const adapterFor = (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const expiresAt = expiryOf(expiresIn, Date.now());
      statements.upsert.run(
        model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresAt,
      );
    },
    async find(id) {
      return parse(statements.find.get(model, id, Date.now()));
    },
    async findByUid(uid) {
      return parse(statements.findByUid.get(model, uid, Date.now()));
    },
    async findByUserCode(userCode) {
      return parse(statements.findByUserCode.get(model, userCode, Date.now()));
    },
    async consume(id) {
      // One statement, as in PostgreSQL: no read-then-write, whoever else opened the file.
      statements.consume.run(Math.floor(Date.now() / 1000), model, id, Date.now());
    },
    async destroy(id) {
      statements.destroy.run(model, id);
    },
    async revokeByGrantId(grantId) {
      statements.revokeByGrantId.run(grantId);
    },
  });

  const counters: AttemptCounters = {
    async hit(key, rule) {
      const now = Date.now();
      const counted = statements.hit.get(counterParameters(key, rule, now)) as { count: number } | undefined;
      if (counted) return { counted: true, count: Number(counted.count) };
      const row = statements.counter.get(key) as { count: number; window_ends_at: number; next_allowed_at: number } | undefined;
      // Refused means the row exists; synchronous node:sqlite lets nothing delete it in between.
      return refusal(
        { count: Number(row?.count ?? 0), windowEndsAt: Number(row?.window_ends_at ?? now), nextAllowedAt: Number(row?.next_allowed_at ?? now) },
        rule,
        now,
      );
    },
    async reset(key) {
      statements.resetCounter.run(key);
    },
  };

  const shared: SharedValues = {
    async get(name) {
      const row = statements.getShared.get(name) as { value: string } | undefined;
      return row?.value;
    },
    async putIfAbsent(name, value) {
      statements.insertShared.run(name, value);
      return (statements.getShared.get(name) as { value: string }).value;
    },
    async replace(name, expected, value) {
      return Number(statements.replaceShared.run(value, name, expected).changes) === 1;
    },
  };

  return {
    kind: 'sqlite',
    adapterFor,
    counters,
    shared,
    keep: async (model, id) => {
      statements.keep.run(model, id);
    },
    sweep: async () => {
      const now = Date.now();
      return Number(statements.sweep.run(now).changes) + Number(statements.sweepCounters.run(now, now).changes);
    },
    close: async () => {
      if (db.isOpen) db.close();
    },
  };
}

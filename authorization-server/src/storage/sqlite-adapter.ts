import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * Embedded persistence for oidc-provider on node:sqlite: registered clients,
 * grants, sessions, interactions, authorization codes and opaque access
 * tokens survive a restart.
 *
 * oidc-provider asks for one adapter per model name ("Client", "AccessToken",
 * "Session", ...) and calls only the seven methods of its `Adapter`
 * interface. A PostgreSQL or Redis store implements the same methods:
 *
 * - upsert(id, payload, expiresIn) — store the payload under (model, id);
 *   expiresIn is in seconds (absent for clients, which never expire). Keep
 *   payload.grantId, payload.userCode and payload.uid indexed.
 * - find(id) — the payload, or undefined when missing or expired.
 * - findByUid(uid) — Session lookup by its uid.
 * - findByUserCode(userCode) — device flow lookup (unused here, still cheap).
 * - consume(id) — mark a one-time artefact (authorization code) as consumed by
 *   setting payload.consumed to the current epoch seconds; oidc-provider then
 *   rejects a second use and revokes the grant.
 * - destroy(id) — delete one entry.
 * - revokeByGrantId(grantId) — delete every entry issued under that grant.
 */
export interface ModelStorage {
  adapterFor(model: string): Adapter;
  /** Atomic attempt counters (one-time code throttling); see counters below. */
  counters: AttemptCounters;
  /** Lets an entry live until it is destroyed (a registration that was used for a sign-in). */
  keep(model: string, id: string): void;
  /** Removes expired rows; returns how many were removed. */
  sweep(): number;
  close(): void;
}

interface Row {
  payload: string;
}

/** How a counter grows and when it refuses; times in milliseconds. */
export interface CounterRule {
  /** Counts allowed per window; the next one is refused until the window ends. */
  limit: number;
  windowMs: number;
  /** Counts that carry no delay; after them each count doubles the wait before the next. */
  freeCounts?: number;
  /** Wait after the first count past `freeCounts`; 0 for no delays. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export type CountOutcome =
  | { counted: true; count: number }
  | { counted: false; count: number; retryAfterMs: number; locked: boolean };

/**
 * Counters that several requests (or several instances sharing one store)
 * may hit at once. Each hit is one SQL statement, INSERT … ON CONFLICT DO
 * UPDATE … WHERE … RETURNING, so a count can neither be lost nor read stale
 * between a check and a write. PostgreSQL runs the same statement
 * (LEAST instead of SQLite's two-argument min).
 */
export interface AttemptCounters {
  /** Counts one event for the key, unless the key is locked or must still wait. */
  hit(key: string, rule: CounterRule): CountOutcome;
  reset(key: string): void;
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
`;

/** The count a hit produces: 1 in a new window, else one more. Refers to the row before the update. */
const NEW_COUNT = 'CASE WHEN window_ends_at <= :now THEN 1 ELSE count + 1 END';
/** Milliseconds to wait after `count` hits: none for the free ones, then doubling up to the maximum. */
const delayAfter = (count: string) =>
  `CASE WHEN ${count} <= :free THEN 0 ELSE min(:maxDelay, :baseDelay << min(${count} - :free - 1, 30)) END`;

const HIT = `
  INSERT INTO attempt_counters (key, count, window_ends_at, next_allowed_at)
  VALUES (:key, 1, :now + :window, :now + ${delayAfter('1')})
  ON CONFLICT (key) DO UPDATE SET
    count = ${NEW_COUNT},
    window_ends_at = CASE WHEN window_ends_at <= :now THEN :now + :window ELSE window_ends_at END,
    next_allowed_at = :now + ${delayAfter(`(${NEW_COUNT})`)}
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
    setPayload: db.prepare('UPDATE oidc_models SET payload = ? WHERE model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?'),
    keep: db.prepare('UPDATE oidc_models SET expires_at = NULL WHERE model = ? AND id = ?'),
    revokeByGrantId: db.prepare('DELETE FROM oidc_models WHERE grant_id = ?'),
    sweep: db.prepare('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    hit: db.prepare(HIT),
    counter: db.prepare('SELECT count, window_ends_at, next_allowed_at FROM attempt_counters WHERE key = ?'),
    resetCounter: db.prepare('DELETE FROM attempt_counters WHERE key = ?'),
    sweepCounters: db.prepare('DELETE FROM attempt_counters WHERE window_ends_at <= ? AND next_allowed_at <= ?'),
  } satisfies Record<string, StatementSync>;

  const adapterFor = (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null;
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
      // Read-modify-write is safe here: node:sqlite is synchronous, so no other
      // request runs between the read and the write in this process.
      const payload = parse(statements.find.get(model, id, Date.now()));
      if (!payload) return;
      payload.consumed = Math.floor(Date.now() / 1000);
      statements.setPayload.run(JSON.stringify(payload), model, id);
    },
    async destroy(id) {
      statements.destroy.run(model, id);
    },
    async revokeByGrantId(grantId) {
      statements.revokeByGrantId.run(grantId);
    },
  });

  const counters: AttemptCounters = {
    hit(key, rule) {
      const now = Date.now();
      const counted = statements.hit.get({
        key,
        now,
        window: rule.windowMs,
        limit: rule.limit,
        free: rule.freeCounts ?? rule.limit,
        baseDelay: rule.baseDelayMs ?? 0,
        maxDelay: rule.maxDelayMs ?? rule.windowMs,
      }) as { count: number } | undefined;
      if (counted) return { counted: true, count: Number(counted.count) };
      const row = statements.counter.get(key) as { count: number; window_ends_at: number; next_allowed_at: number };
      const locked = Number(row.count) >= rule.limit;
      const until = locked ? Number(row.window_ends_at) : Number(row.next_allowed_at);
      return { counted: false, count: Number(row.count), locked, retryAfterMs: Math.max(0, until - now) };
    },
    reset(key) {
      statements.resetCounter.run(key);
    },
  };

  return {
    adapterFor,
    counters,
    keep: (model, id) => {
      statements.keep.run(model, id);
    },
    sweep: () => {
      const now = Date.now();
      return Number(statements.sweep.run(now).changes) + Number(statements.sweepCounters.run(now, now).changes);
    },
    close: () => {
      if (db.isOpen) db.close();
    },
  };
}

import pg from 'pg';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { counterParameters, expiryOf, refusal, type AttemptCounters, type ModelStorage, type SharedValues } from './model-storage.ts';

/**
 * PostgreSQL persistence for several authorization server nodes sharing one
 * database. Every operation is one SQL statement, so nodes never race
 * between a read and a write: counters count in INSERT … ON CONFLICT DO
 * UPDATE … RETURNING, a code is consumed by one UPDATE, and the first node
 * to store a shared value wins (ON CONFLICT DO NOTHING).
 *
 * The schema is created and migrated at start-up under an advisory lock, so
 * nodes that start together apply each migration once; the version applied
 * is kept in authorization_server_schema.
 */

/** Ordered schema migrations; append, never edit one that has shipped. */
const MIGRATIONS: string[] = [
  `CREATE TABLE oidc_models (
     model      TEXT NOT NULL,
     id         TEXT NOT NULL,
     payload    JSONB NOT NULL,
     grant_id   TEXT,
     user_code  TEXT,
     uid        TEXT,
     expires_at BIGINT,
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
   CREATE INDEX oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
   CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
   CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE attempt_counters (
     key             TEXT PRIMARY KEY,
     count           INTEGER NOT NULL,
     window_ends_at  BIGINT NOT NULL,
     next_allowed_at BIGINT NOT NULL
   );
   CREATE INDEX attempt_counters_window ON attempt_counters (window_ends_at);
   CREATE TABLE shared_values (
     name  TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );`,
];

/** Arbitrary, fixed: the advisory lock that serialises migrations of this schema. */
const MIGRATION_LOCK = 7_348_210_112;

/**
 * The counter statement; the same rule as the SQLite store's. $2 now, $3 window,
 * $4 limit, $5 free counts, $6 base delay, $7 maximum delay (milliseconds).
 */
const NEW_COUNT = 'CASE WHEN attempt_counters.window_ends_at <= $2 THEN 1 ELSE attempt_counters.count + 1 END';
const delayAfter = (count: string) =>
  `CASE WHEN ${count} <= $5 THEN 0 ELSE LEAST($7::bigint, $6::bigint << LEAST(${count} - $5 - 1, 30)::int) END`;
/** 0 (at once) without a delay, so that a hit stamped a moment earlier by another node's clock is never refused. */
const nextAllowedAfter = (count: string) => `CASE WHEN ${delayAfter(count)} = 0 THEN 0 ELSE $2::bigint + ${delayAfter(count)} END`;
const HIT = `
  INSERT INTO attempt_counters AS attempt_counters (key, count, window_ends_at, next_allowed_at)
  VALUES ($1, 1, $2::bigint + $3, ${nextAllowedAfter('1')})
  ON CONFLICT (key) DO UPDATE SET
    count = ${NEW_COUNT},
    window_ends_at = CASE WHEN attempt_counters.window_ends_at <= $2 THEN $2::bigint + $3 ELSE attempt_counters.window_ends_at END,
    next_allowed_at = ${nextAllowedAfter(`(${NEW_COUNT})`)}
  WHERE attempt_counters.window_ends_at <= $2 OR (attempt_counters.count < $4 AND attempt_counters.next_allowed_at <= $2)
  RETURNING count`;

const LIVE = '(expires_at IS NULL OR expires_at > $3)';

export interface PostgresStorageOptions {
  /** Connections per node. */
  maxConnections?: number;
  /** Told when an idle connection breaks (database restart, failover); the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS authorization_server_schema (version INTEGER NOT NULL)');
      const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM authorization_server_schema');
      const applied = rows[0]?.version ?? 0;
      if (applied > MIGRATIONS.length) {
        throw new Error(`the database schema is at version ${applied}, newer than this server knows (${MIGRATIONS.length}); upgrade the server`);
      }
      for (let version = applied + 1; version <= MIGRATIONS.length; version += 1) {
        await client.query('BEGIN');
        try {
          await client.query(MIGRATIONS[version - 1] as string);
          await client.query('INSERT INTO authorization_server_schema (version) VALUES ($1)', [version]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Opens the pool, migrates the schema and returns the store; fails with the database's reason when it cannot connect. */
export async function openPostgresStorage(connectionString: string, options: PostgresStorageOptions = {}): Promise<ModelStorage> {
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
  // An idle connection the server drops (restart, failover) must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onConnectionError?.(error));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }

  const one = async (text: string, values: unknown[]) => (await pool.query(text, values)).rows[0] as Record<string, unknown> | undefined;
  const payloadOf = (row: Record<string, unknown> | undefined) => row?.payload as AdapterPayload | undefined;

  const adapterFor = (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      await pool.query(
        `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
        [model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiryOf(expiresIn, Date.now())],
      );
    },
    async find(id) {
      return payloadOf(await one(`SELECT payload FROM oidc_models WHERE model = $1 AND id = $2 AND ${LIVE}`, [model, id, Date.now()]));
    },
    async findByUid(uid) {
      return payloadOf(await one(`SELECT payload FROM oidc_models WHERE model = $1 AND uid = $2 AND ${LIVE}`, [model, uid, Date.now()]));
    },
    async findByUserCode(userCode) {
      return payloadOf(await one(`SELECT payload FROM oidc_models WHERE model = $1 AND user_code = $2 AND ${LIVE}`, [model, userCode, Date.now()]));
    },
    async consume(id) {
      // One statement: a code redeemed on two nodes at once is marked once, and both see it consumed afterwards.
      await pool.query(
        `UPDATE oidc_models SET payload = jsonb_set(payload, '{consumed}', to_jsonb($4::bigint))
         WHERE model = $1 AND id = $2 AND ${LIVE}`,
        [model, id, Date.now(), Math.floor(Date.now() / 1000)],
      );
    },
    async destroy(id) {
      await pool.query('DELETE FROM oidc_models WHERE model = $1 AND id = $2', [model, id]);
    },
    async revokeByGrantId(grantId) {
      await pool.query('DELETE FROM oidc_models WHERE grant_id = $1', [grantId]);
    },
  });

  const counters: AttemptCounters = {
    async hit(key, rule) {
      const now = Date.now();
      const bound = counterParameters(key, rule, now);
      const counted = await one(HIT, [bound.key, bound.now, bound.window, bound.limit, bound.free, bound.baseDelay, bound.maxDelay]);
      if (counted) return { counted: true, count: Number(counted.count) };
      const row = await one('SELECT count, window_ends_at, next_allowed_at FROM attempt_counters WHERE key = $1', [key]);
      // A row reset between the two statements reads as a refusal with no wait: the caller may try again at once.
      return refusal(
        { count: Number(row?.count ?? 0), windowEndsAt: Number(row?.window_ends_at ?? now), nextAllowedAt: Number(row?.next_allowed_at ?? now) },
        rule,
        now,
      );
    },
    async reset(key) {
      await pool.query('DELETE FROM attempt_counters WHERE key = $1', [key]);
    },
  };

  const shared: SharedValues = {
    async get(name) {
      const row = await one('SELECT value FROM shared_values WHERE name = $1', [name]);
      return row?.value as string | undefined;
    },
    async putIfAbsent(name, value) {
      await pool.query('INSERT INTO shared_values (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
      return (await one('SELECT value FROM shared_values WHERE name = $1', [name]))?.value as string;
    },
    async replace(name, expected, value) {
      const result = await pool.query('UPDATE shared_values SET value = $3 WHERE name = $1 AND value = $2', [name, expected, value]);
      return result.rowCount === 1;
    },
  };

  return {
    kind: 'postgresql',
    adapterFor,
    counters,
    shared,
    keep: async (model, id) => {
      await pool.query('UPDATE oidc_models SET expires_at = NULL WHERE model = $1 AND id = $2 AND expires_at IS NOT NULL', [model, id]);
    },
    sweep: async () => {
      const now = Date.now();
      const models = await pool.query('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= $1', [now]);
      const counted = await pool.query('DELETE FROM attempt_counters WHERE window_ends_at <= $1 AND next_allowed_at <= $1', [now]);
      return (models.rowCount ?? 0) + (counted.rowCount ?? 0);
    },
    close: async () => {
      await pool.end();
    },
  };
}

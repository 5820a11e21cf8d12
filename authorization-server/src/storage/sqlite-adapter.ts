import { mkdirSync } from 'node:fs';
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
  /** Removes expired rows; returns how many were removed. */
  sweep(): number;
  close(): void;
}

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
`;

function parse(row: unknown): AdapterPayload | undefined {
  if (!row) return undefined;
  return JSON.parse((row as Row).payload) as AdapterPayload;
}

export function openSqliteStorage(file: string): ModelStorage {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
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
    revokeByGrantId: db.prepare('DELETE FROM oidc_models WHERE grant_id = ?'),
    sweep: db.prepare('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?'),
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

  return {
    adapterFor,
    sweep: () => Number(statements.sweep.run(Date.now()).changes),
    close: () => db.close(),
  };
}

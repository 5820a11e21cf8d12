import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '@mcp-demo/testing';
import { openPostgresStorage } from '../src/storage/postgres-adapter.ts';

/**
 * config/postgres-init.sh is what the compose file's one-shot job runs
 * against dbserver before the open authorization server starts. Here it runs
 * against a real PostgreSQL, as the superuser with the libpq variables the
 * job sets, and the server's store then creates its tables as the role the
 * script made: the steps a first `docker compose --profile open up` takes.
 */

const SCRIPT = resolve(import.meta.dirname, '..', 'config', 'postgres-init.sh');

let postgres: TestPostgres;

beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

function runInit(password: string, names: { user?: string; database?: string } = {}): string {
  return execFileSync('bash', [SCRIPT], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      PGHOST: postgres.host,
      PGPORT: String(postgres.port),
      PGUSER: postgres.user,
      AUTHORIZATION_SERVER_DB_PASSWORD: password,
      ...(names.user ? { AUTHORIZATION_SERVER_DB_USER: names.user } : {}),
      ...(names.database ? { AUTHORIZATION_SERVER_DB_NAME: names.database } : {}),
    },
  });
}

async function superuserQuery<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = [], database?: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: postgres.url(database) });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

const storedPassword = async (role: string) =>
  (await superuserQuery<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]))[0]?.rolpassword;

describe('postgres-init.sh', () => {
  it('creates the role and its database, and the store creates its tables as that role', async () => {
    expect(runInit('first-password')).toContain('database authorization_server and role authorization_server are ready');
    const [database] = await superuserQuery<{ owner: string }>(
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'authorization_server'",
    );
    expect(database?.owner).toBe('authorization_server');
    expect(await storedPassword('authorization_server')).toMatch(/^SCRAM-SHA-256\$/);

    // The URL the compose file gives the server, on this server.
    const url = `postgresql://authorization_server:first-password@${postgres.host}:${postgres.port}/authorization_server`;
    const storage = await openPostgresStorage(url);
    try {
      expect(await storage.shared.putIfAbsent('probe', 'value')).toBe('value');
      expect(await storage.shared.get('probe')).toBe('value');
    } finally {
      await storage.close();
    }
    const [table] = await superuserQuery<{ count: string }>(
      "SELECT count(*) FROM pg_tables WHERE tableowner = 'authorization_server'",
      [],
      'authorization_server',
    );
    expect(Number(table?.count)).toBeGreaterThan(0);
  });

  it('can run again on every start: the role and database stay, the password follows the setting', async () => {
    runInit('first-password');
    const before = await storedPassword('authorization_server');
    expect(runInit('second-password')).toContain('are ready');
    expect(await storedPassword('authorization_server')).not.toBe(before);
    const databases = await superuserQuery("SELECT 1 FROM pg_database WHERE datname = 'authorization_server'");
    expect(databases).toHaveLength(1);
  });

  it('takes a password with quotes and names with odd characters as data, not SQL', async () => {
    const output = runInit(`it's"; DROP ROLE postgres; --`, { user: 'as-node "x"', database: 'as db' });
    expect(output).toContain('are ready');
    const [role] = await superuserQuery<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = 'as-node \"x\"'");
    expect(role?.rolname).toBe('as-node "x"');
    expect(await superuserQuery("SELECT 1 FROM pg_roles WHERE rolname = 'postgres'")).toHaveLength(1);
    expect(await superuserQuery("SELECT 1 FROM pg_database WHERE datname = 'as db'")).toHaveLength(1);
  });

  it('refuses to run without a password for the role', () => {
    expect(() =>
      execFileSync('bash', [SCRIPT], { encoding: 'utf8', stdio: 'pipe', env: { PATH: process.env.PATH ?? '', PGHOST: postgres.host, PGPORT: String(postgres.port) } }),
    ).toThrow(/AUTHORIZATION_SERVER_DB_PASSWORD: must be set/);
  });
});

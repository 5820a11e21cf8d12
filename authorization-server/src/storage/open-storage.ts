import { join } from 'node:path';
import type { ModelStorage } from './model-storage.ts';
import { openPostgresStorage, type PostgresStorageOptions } from './postgres-adapter.ts';
import { openSqliteStorage } from './sqlite-adapter.ts';

/** The store the settings name: PostgreSQL when DATABASE_URL is set (several nodes), else SQLite in DATA_DIR (one node). */
export async function openModelStorage(
  settings: { DATABASE_URL?: string | undefined; DATA_DIR: string },
  postgresOptions: PostgresStorageOptions = {},
): Promise<ModelStorage> {
  if (settings.DATABASE_URL) return openPostgresStorage(settings.DATABASE_URL, postgresOptions);
  return openSqliteStorage(join(settings.DATA_DIR, 'authorization-server.sqlite'));
}

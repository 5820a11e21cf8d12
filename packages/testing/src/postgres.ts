import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unusedPort } from './tokens-and-ports.ts';

/** A throwaway PostgreSQL server on a loopback port; see startPostgres. */
export interface TestPostgres {
  host: string;
  port: number;
  /** Superuser, trusted without a password on this loopback-only server. */
  user: string;
  /** Connection URL of a database on it (default `postgres`). */
  url(database?: string): string;
  /** Creates a database (the name is checked: letters, digits and _ only) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (active connections are closed), then the data directory is removed. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Folder holding initdb and postgres; default POSTGRES_BIN_DIR, else the newest /usr/lib/postgresql/<version>/bin. */
  binDir?: string;
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
  /** Milliseconds to wait for the server to accept connections. */
  startTimeoutMs?: number;
}

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The folder of the PostgreSQL server binaries, or an error that says how to get them. */
export function findPostgresBinDir(configured = process.env.POSTGRES_BIN_DIR): string {
  const candidates = configured
    ? [configured]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .filter((version) => /^\d+$/.test(version))
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => join('/usr/lib/postgresql', version, 'bin'))
      : [];
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (found) return found;
  throw new Error(
    `PostgreSQL server binaries (initdb, postgres) not found in ${candidates.join(', ') || '/usr/lib/postgresql/*/bin'}: ` +
      'install the Debian package "postgresql" (scripts/system-packages.sh does) or set POSTGRES_BIN_DIR',
  );
}

/**
 * PostgreSQL refuses to run as root. As root, the server's files belong to
 * the `postgres` system user and its programs run as that user (Node sets
 * the child's uid and gid, so no wrapper process stands between the test
 * and the server's signals).
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new Error('running as root, PostgreSQL needs the "postgres" system user (the Debian package "postgresql" creates it)');
  }
}

function run(bin: string, args: string[], options: { uid?: number; gid?: number; cwd?: string }, what: string): void {
  try {
    execFileSync(bin, args, { stdio: 'pipe', encoding: 'utf8', ...options });
  } catch (error) {
    const output = (error as { stderr?: string; stdout?: string }).stderr || (error as { stdout?: string }).stdout || String(error);
    throw new Error(`${what} failed: ${output.trim()}`);
  }
}

function waitUntilReady(server: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`PostgreSQL did not start within ${timeoutMs} ms:\n${log()}`)), timeoutMs);
    const onOutput = () => {
      if (log().includes('database system is ready to accept connections')) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`PostgreSQL exited with ${code} while starting:\n${log()}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      server.stderr?.off('data', onOutput);
      server.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    server.stderr?.on('data', onOutput);
    server.once('exit', onExit);
  });
}

/**
 * Starts a real PostgreSQL server for tests and local runs: a fresh cluster
 * in a temporary directory (initdb), listening on 127.0.0.1 only, with its
 * socket in that directory, trusting local connections without a password,
 * and with fsync off (fast, and its data is thrown away anyway). Never use
 * it for data that must survive.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const binDir = findPostgresBinDir(options.binDir);
  const user = postgresUser();
  const root = mkdtempSync(join(tmpdir(), 'postgres-'));
  const dataDir = join(root, 'data');
  if (user) chownSync(root, user.uid, user.gid);
  const asServerUser = { ...user, cwd: root };
  const port = options.port ?? (await unusedPort());
  const host = '127.0.0.1';

  let server: ChildProcess | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    run(
      join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      asServerUser,
      'initdb',
    );
    // The server itself, not pg_ctl: it stays this process's child, so it cannot outlive a crashed test run unnoticed.
    server = spawn(join(binDir, 'postgres'), [
      '-D', dataDir,
      '-p', String(port),
      '-k', root,
      '-c', `listen_addresses=${host}`,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
    ], { ...asServerUser, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-20_000);
    });
    await waitUntilReady(server, options.startTimeoutMs ?? 30_000, () => log);
  } catch (error) {
    await stop();
    throw error;
  }

  const url = (database = 'postgres') => `postgresql://postgres@${host}:${port}/${database}`;
  return {
    host,
    port,
    user: 'postgres',
    url,
    createDatabase: async (name) => {
      if (!DATABASE_NAME.test(name)) throw new Error(`"${name}" is not a plain database name (letters, digits, _)`);
      run(join(binDir, 'createdb'), ['-h', host, '-p', String(port), '-U', 'postgres', name], {}, `createdb ${name}`);
      return url(name);
    },
    stop,
  };
}

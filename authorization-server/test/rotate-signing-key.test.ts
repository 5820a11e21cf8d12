import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../src/keys/signing-keys.ts';
import { openSqliteStorage } from '../src/storage/sqlite-adapter.ts';

const COMMAND = fileURLToPath(new URL('../src/rotate-signing-key.ts', import.meta.url));

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const rotate = (dataDir: string, ...args: string[]) =>
  spawnSync(process.execPath, [COMMAND, ...args], { env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir }, encoding: 'utf8' });

describe('the signing key rotation command', () => {
  it('adds a key that activates later to the store the server uses, and prints the restarts that follow', async () => {
    dir = mkdtempSync(join(tmpdir(), 'as-rotate-'));
    const refused = rotate(dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/no signing keys yet: start the server once first/);

    const file = join(dir, 'authorization-server.sqlite');
    const storage = openSqliteStorage(file);
    const before = await loadSigningKeys(storage.shared);
    await storage.close();

    const rotated = rotate(dir, '--activate-in', '600');
    expect(rotated.stderr).toBe('');
    expect(rotated.status).toBe(0);
    const kid = /Added signing key (\S+)/.exec(rotated.stdout)?.[1];
    expect(rotated.stdout).toMatch(/Restart every authorization server node before/);

    const reopened = openSqliteStorage(file);
    try {
      const now = await loadSigningKeys(reopened.shared);
      expect(now.kid).toBe(before.kid);
      expect(now.publicJwks.keys.map((key) => key.kid)).toEqual([before.kid, kid]);
      const later = await loadSigningKeys(reopened.shared, { now: Date.now() + 601_000 });
      expect(later.kid).toBe(kid);
    } finally {
      await reopened.close();
    }

    expect(rotate(dir, '--activate-in', '600').stderr).toMatch(/already waiting for its activation/);
    expect(rotate(dir, '--activate-in', '5').stderr).toMatch(/at least 60/);
  });
});

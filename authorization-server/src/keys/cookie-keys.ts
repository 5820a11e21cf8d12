import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keys that sign the session and interaction cookies (and derive the forms'
 * CSRF tokens). COOKIE_KEYS wins when set; otherwise, outside production, a
 * pair is generated once and kept in DATA_DIR so sessions survive a restart.
 */
export function loadCookieKeys(configured: string[], dataDir: string): string[] {
  if (configured.length > 0) return configured;
  const file = join(dataDir, 'cookie-keys.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown };
    if (Array.isArray(stored.keys) && stored.keys.length > 0 && stored.keys.every((key) => typeof key === 'string' && key.length >= 32)) {
      return stored.keys as string[];
    }
    throw new Error(`${file} does not hold cookie keys; remove it to generate new ones`);
  }
  const keys = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

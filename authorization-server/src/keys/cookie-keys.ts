import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { storedOrCreated, type SharedValues } from '../storage/model-storage.ts';

/** Where generated cookie keys live in the store's shared values. */
export const COOKIE_KEYS_NAME = 'cookie-keys';

function validKeys(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((key) => typeof key === 'string' && key.length >= 32);
}

/** Keys written by an older version in DATA_DIR/cookie-keys.json, so a single node keeps its sessions when it moves to the store. */
function legacyKeys(file: string | undefined): string[] | undefined {
  if (!file || !existsSync(file)) return undefined;
  const stored = (JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown }).keys;
  if (!validKeys(stored)) throw new Error(`${file} does not hold cookie keys; remove it to generate new ones`);
  return stored;
}

/**
 * Keys that sign the session and interaction cookies (and derive the forms'
 * CSRF tokens and the one-time codes' MACs), the same on every node.
 * COOKIE_KEYS wins when set (newest first: a new key is prepended, old ones
 * still verify). Otherwise the first node to start generates a pair into
 * the shared store and every other node reads it.
 */
export async function loadCookieKeys(configured: string[], shared: SharedValues, legacyFile?: string): Promise<string[]> {
  if (configured.length > 0) return configured;
  const stored = await storedOrCreated(shared, COOKIE_KEYS_NAME, () => {
    const keys = legacyKeys(legacyFile) ?? [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
    return JSON.stringify({ keys });
  });
  const keys = (JSON.parse(stored) as { keys?: unknown }).keys;
  if (!validKeys(keys)) throw new Error(`the stored value "${COOKIE_KEYS_NAME}" does not hold cookie keys`);
  return keys;
}

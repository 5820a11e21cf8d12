import { existsSync, readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { storedOrCreated, type SharedValues } from '../storage/model-storage.ts';

export const SIGNING_ALGORITHM = 'PS256';

/** Where the key set lives in the store's shared values. */
export const SIGNING_KEYS_NAME = 'signing-keys';

/**
 * How long a replaced key stays published: longer than anything this server
 * signs lives (ID tokens 1 hour, exchanged tokens 15 minutes, introspection
 * JWTs no longer than the access token they describe).
 */
export const REPLACED_KEY_PUBLISHED_MS = 24 * 3600_000;

export interface SigningKeys {
  /** Private JWK set in the form oidc-provider's `jwks` option takes; the active key first (oidc-provider signs with the first match). */
  privateJwks: { keys: JWK[] };
  /** Key id of the active signing key. */
  kid: string;
  /** The active key, for signing outside oidc-provider (the JWT form of introspection). */
  privateKey: CryptoKey;
  /** The public parts of every published key, for verifying this server's own JWTs. */
  publicJwks: { keys: JWK[] };
}

/** One key of the stored set; `activatesAt` in milliseconds since the epoch (0: from the start). */
interface StoredKey {
  jwk: JWK;
  activatesAt: number;
}

interface StoredKeySet {
  keys: StoredKey[];
}

function publicPart(jwk: JWK): JWK {
  const { kty, n, e, kid, alg, use } = jwk;
  return { kty, n, e, kid, alg, use };
}

function isPrivateRsaKey(jwk: JWK | undefined): jwk is JWK {
  return jwk?.kty === 'RSA' && typeof jwk.d === 'string';
}

async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  const exported = await exportJWK(privateKey);
  return { ...exported, kid: await calculateJwkThumbprint(exported), alg: SIGNING_ALGORITHM, use: 'sig' };
}

function parseKeySet(text: string): StoredKeySet {
  const parsed = JSON.parse(text) as Partial<StoredKeySet>;
  const keys = parsed.keys ?? [];
  if (keys.length === 0 || !keys.every((key) => isPrivateRsaKey(key.jwk) && typeof key.activatesAt === 'number')) {
    throw new Error(`the stored value "${SIGNING_KEYS_NAME}" does not hold RSA private keys`);
  }
  return { keys };
}

/** The key signing now: the newest one whose activation has come. */
function activeKey(set: StoredKeySet, now: number): StoredKey {
  const active = set.keys.filter((key) => key.activatesAt <= now).sort((a, b) => b.activatesAt - a.activatesAt);
  if (!active[0]) throw new Error('no stored signing key is active yet');
  return active[0];
}

/**
 * Keys a rotation at `now` keeps: the active one, and replaced ones until
 * what they signed has expired. Nodes publish every stored key, so only a
 * rotation, never one node's clock, stops a key being published.
 */
function keysWorthKeeping(set: StoredKeySet, now: number): StoredKey[] {
  const active = activeKey(set, now);
  return set.keys.filter((key) => {
    if (key === active || key.activatesAt > now) return true;
    const replacedAt = Math.min(...set.keys.filter((other) => other.activatesAt > key.activatesAt).map((other) => other.activatesAt));
    return replacedAt + REPLACED_KEY_PUBLISHED_MS > now;
  });
}

/** A key written by an older version in DATA_DIR/signing-keys.json, so a single node keeps its key when it moves to the store. */
function legacyKey(file: string | undefined): JWK | undefined {
  if (!file || !existsSync(file)) return undefined;
  const first = (JSON.parse(readFileSync(file, 'utf8')) as { keys?: JWK[] }).keys?.[0];
  if (!isPrivateRsaKey(first)) throw new Error(`${file} does not hold an RSA private key; remove it to generate a new one`);
  return first;
}

export interface LoadSigningKeysOptions {
  now?: number;
  /** An older version's key file, taken as the first key when the store holds none. */
  legacyFile?: string;
}

/**
 * Reads the signing keys from the store every node shares. The first node
 * to start generates the first key; every other node reads it (the store
 * keeps the first write), so a token signed by one node verifies on all.
 *
 * A node publishes every stored key and signs with the newest key whose
 * activation time had come when it started. Rotation (rotateSigningKey)
 * adds a key that activates later:
 *
 *   1. rotate, with an activation time later than a rolling restart takes;
 *   2. restart every node before that time: all now publish the new key,
 *      none signs with it yet;
 *   3. restart every node after that time: all sign with the new key, and
 *      still publish the old one, so tokens it signed keep verifying;
 *   4. the next rotation, at least REPLACED_KEY_PUBLISHED_MS after step 3,
 *      drops the old key.
 *
 * No node ever signs with a key that another node does not publish.
 */
export async function loadSigningKeys(shared: SharedValues, options: LoadSigningKeysOptions = {}): Promise<SigningKeys> {
  const now = options.now ?? Date.now();
  const stored = await storedOrCreated(shared, SIGNING_KEYS_NAME, async () => {
    const first: StoredKeySet = { keys: [{ jwk: legacyKey(options.legacyFile) ?? (await generateSigningJwk()), activatesAt: 0 }] };
    return JSON.stringify(first);
  });
  const set = parseKeySet(stored);
  const active = activeKey(set, now);
  const complete = async (jwk: JWK): Promise<JWK> => ({ ...jwk, kid: jwk.kid ?? (await calculateJwkThumbprint(jwk)), alg: SIGNING_ALGORITHM, use: 'sig' });
  const signing = await complete(active.jwk);
  const others = await Promise.all(set.keys.filter((key) => key !== active).map((key) => complete(key.jwk)));
  const privateKey = (await importJWK(signing, SIGNING_ALGORITHM)) as CryptoKey;
  return {
    privateJwks: { keys: [signing, ...others] },
    kid: signing.kid as string,
    privateKey,
    publicJwks: { keys: [signing, ...others].map(publicPart) },
  };
}

/**
 * Adds a new signing key that activates at `activatesAt` and drops keys
 * replaced long enough ago that nothing they signed is still valid. Refuses
 * while an earlier rotation is still waiting for its activation. Safe while
 * nodes run: a write that lost a race with another rotation is retried on
 * the newer set. Returns the new key's id.
 */
export async function rotateSigningKey(shared: SharedValues, activatesAt: number, now = Date.now()): Promise<string> {
  if (activatesAt <= now) throw new Error('the new key must activate later than now, after every node has restarted');
  const jwk = await generateSigningJwk();
  await loadSigningKeys(shared, { now });
  for (;;) {
    const stored = (await shared.get(SIGNING_KEYS_NAME)) as string;
    const set = parseKeySet(stored);
    const pending = set.keys.find((key) => key.activatesAt > now);
    if (pending) throw new Error(`a rotation is already waiting for its activation at ${new Date(pending.activatesAt).toISOString()}`);
    const keys = [...keysWorthKeeping(set, now), { jwk, activatesAt }];
    if (await shared.replace(SIGNING_KEYS_NAME, stored, JSON.stringify({ keys }))) return jwk.kid as string;
  }
}

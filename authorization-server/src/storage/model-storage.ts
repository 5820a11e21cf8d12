import type { Adapter } from 'oidc-provider';

/**
 * What the authorization server keeps: oidc-provider's models (clients,
 * grants, sessions, interactions, codes, opaque tokens), the one-time code
 * challenges, attempt counters and the keys every node must share. Two
 * stores implement it: node:sqlite for one node (sqlite-adapter.ts) and
 * PostgreSQL for several nodes sharing one database (postgres-adapter.ts).
 * Everything a sign-in needs between two requests lives here, so any node
 * can carry on any step.
 *
 * oidc-provider asks for one adapter per model name ("Client", "AccessToken",
 * "Session", ...) and calls only the seven methods of its `Adapter`
 * interface:
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
  /** "sqlite" or "postgresql", for logs and benchmarks. */
  readonly kind: string;
  adapterFor(model: string): Adapter;
  /** Atomic attempt counters (one-time code throttling); see AttemptCounters. */
  counters: AttemptCounters;
  /** Values every node must agree on (signing and cookie keys); see SharedValues. */
  shared: SharedValues;
  /** Lets an entry live until it is destroyed (a registration that was used for a sign-in); writes nothing when it already does (every sign-in calls it). */
  keep(model: string, id: string): Promise<void>;
  /** Removes expired rows; returns how many were removed. */
  sweep(): Promise<number>;
  close(): Promise<void>;
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
 * Counters that several requests, on one node or on several nodes sharing
 * one store, may hit at once. Each hit is one SQL statement, INSERT … ON
 * CONFLICT DO UPDATE … WHERE … RETURNING, so a count can neither be lost nor
 * read stale between a check and a write.
 */
export interface AttemptCounters {
  /** Counts one event for the key, unless the key is locked or must still wait. */
  hit(key: string, rule: CounterRule): Promise<CountOutcome>;
  reset(key: string): Promise<void>;
}

/**
 * Named values that the first node to start creates and every other node
 * reads. Writes never overwrite another node's value by accident: the first
 * insert wins, and a replacement names the value it replaces.
 */
export interface SharedValues {
  get(name: string): Promise<string | undefined>;
  /** Stores `value` unless a value is stored already; returns the stored one either way. */
  putIfAbsent(name: string, value: string): Promise<string>;
  /** Replaces the value only while it is still `expected`; false when another writer came first. */
  replace(name: string, expected: string, value: string): Promise<boolean>;
}

/**
 * The value stored under `name`; when there is none yet, the one `create`
 * makes, unless another node stored its own first. `create` runs only when
 * the store holds nothing (generating a key is not free).
 */
export async function storedOrCreated(shared: SharedValues, name: string, create: () => string | Promise<string>): Promise<string> {
  return (await shared.get(name)) ?? shared.putIfAbsent(name, await create());
}

/** The parameters of a counter hit, as both stores bind them. */
export function counterParameters(key: string, rule: CounterRule, now: number) {
  return {
    key,
    now,
    window: rule.windowMs,
    limit: rule.limit,
    free: rule.freeCounts ?? rule.limit,
    baseDelay: rule.baseDelayMs ?? 0,
    maxDelay: rule.maxDelayMs ?? rule.windowMs,
  };
}

/** The answer to a refused hit, from the counter's row as it stands. */
export function refusal(
  row: { count: number; windowEndsAt: number; nextAllowedAt: number },
  rule: CounterRule,
  now: number,
): CountOutcome {
  const locked = row.count >= rule.limit;
  const until = locked ? row.windowEndsAt : row.nextAllowedAt;
  return { counted: false, count: row.count, locked, retryAfterMs: Math.max(0, until - now) };
}

/** Milliseconds since the epoch at which an entry stored now for `expiresIn` seconds expires; null for never. */
export function expiryOf(expiresIn: number | undefined, now: number): number | null {
  return typeof expiresIn === 'number' && expiresIn > 0 ? now + expiresIn * 1000 : null;
}

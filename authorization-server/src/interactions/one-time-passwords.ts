import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AttemptCounters, CountOutcome, CounterRule } from '../storage/model-storage.ts';

/**
 * E-mail one-time passwords, one challenge per interaction: a 6-digit code
 * that expires after `ttlSeconds`, works once, and is locked after
 * `maxAttempts` wrong guesses (the user must then start again). Only an HMAC
 * of the code is stored. Challenges live in the same storage as
 * oidc-provider's models, so they survive a restart.
 *
 * A fresh code per challenge alone would let a guesser start over after every
 * lock, in as many interactions as they like. So guesses are also counted per
 * address, across codes and interactions, in the store's atomic counters:
 * after `freeFailures` wrong codes each further guess must wait twice as long
 * as the one before, and after `maxFailures` in `failureWindowSeconds` the
 * address takes no code at all until that window ends. Codes sent are capped
 * per address and per interaction in `codeWindowSeconds`. A correct code
 * resets the address's counters, so regular sign-ins are never slowed.
 *
 * Counters are kept by address whether or not the address is approved, so a
 * lockout looks and answers the same for an unknown address.
 *
 * Wrong guesses of one code are counted in the store's atomic counters too
 * (under the challenge's own id), so the five-guess lock holds when guesses
 * land on different nodes at once. Within one process, operations on one
 * challenge also run one after another, which spares the store guesses at
 * a challenge that is already gone.
 */
export interface OneTimePasswords {
  /**
   * Starts a challenge for the address. The code to send is returned only
   * for approved addresses; unknown addresses get a challenge too, so the
   * next page and every answer look exactly the same.
   */
  start(interactionId: string, email: string, approved: boolean): Promise<StartResult>;
  /** The pending challenge's address, if any. */
  pending(interactionId: string): Promise<{ email: string } | undefined>;
  verify(interactionId: string, code: string): Promise<OtpResult>;
  clear(interactionId: string): Promise<void>;
}

export type StartResult = { outcome: 'started'; code?: string } | { outcome: 'throttled'; retryAfterSeconds: number };

export type OtpResult =
  | { outcome: 'accepted'; email: string }
  | { outcome: 'wrong'; attemptsLeft: number }
  | { outcome: 'locked' }
  | { outcome: 'throttled'; retryAfterSeconds: number; addressLocked: boolean }
  | { outcome: 'expired' }
  | { outcome: 'missing' };

/** The guessing and mailing limits; every one is a setting (src/config.ts). */
export interface OtpLimits {
  /** Wrong codes per address per failure window; then the address is locked until the window ends. */
  maxFailures: number;
  failureWindowSeconds: number;
  /** Wrong codes per address without a delay. */
  freeFailures: number;
  /** Wait after the first delayed failure, doubling with each further one (0: no delays). */
  failureDelaySeconds: number;
  maxFailureDelaySeconds: number;
  /** Codes sent per address, and per interaction, per code window (a correct code resets the address's count). */
  maxCodesPerAddress: number;
  maxCodesPerInteraction: number;
  codeWindowSeconds: number;
}

interface Challenge {
  /** Random per code: the key of its guess counter, so a new code starts with fresh attempts. */
  id?: string;
  email: string;
  /** HMAC of the code; absent for addresses that are not approved. */
  codeMac?: string;
  expiresAt: number;
}

export interface OneTimePasswordOptions {
  store: Adapter;
  counters: AttemptCounters;
  limits: OtpLimits;
  secret: string;
  ttlSeconds: number;
  maxAttempts?: number;
  now?: () => number;
}

const CODE_PATTERN = /^\d{6}$/;

/** Runs actions on the same key one after another; actions on different keys run freely. */
function createKeyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return function inTurn<T>(key: string, action: () => Promise<T>): Promise<T> {
    const result = (tails.get(key) ?? Promise.resolve()).then(action);
    const tail = result.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}

export function createOneTimePasswords(options: OneTimePasswordOptions): OneTimePasswords {
  const { store, counters, limits, secret, ttlSeconds } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const now = options.now ?? Date.now;
  // Kept a while past expiry so that a late answer is told "expired", not "start again".
  const retentionSeconds = ttlSeconds + 600;

  const mac = (interactionId: string, code: string) => createHmac('sha256', secret).update(`otp:${interactionId}:${code}`).digest();
  const load = async (interactionId: string) => (await store.find(interactionId)) as unknown as Challenge | undefined;
  const save = (interactionId: string, challenge: Challenge) =>
    store.upsert(interactionId, challenge as unknown as AdapterPayload, retentionSeconds);
  const inTurn = createKeyedQueue();

  // Counter keys hold an HMAC of the address, not the address itself (unknown addresses are counted too).
  const addressKey = (kind: string, email: string) =>
    `${kind}:${createHmac('sha256', secret).update(`address:${email.trim().toLowerCase()}`).digest('base64url')}`;
  const failureRule: CounterRule = {
    limit: limits.maxFailures,
    windowMs: limits.failureWindowSeconds * 1000,
    freeCounts: limits.freeFailures,
    baseDelayMs: limits.failureDelaySeconds * 1000,
    maxDelayMs: limits.maxFailureDelaySeconds * 1000,
  };
  const codeRule = (limit: number): CounterRule => ({ limit, windowMs: limits.codeWindowSeconds * 1000 });
  const retryAfterSeconds = (refused: CountOutcome) => (refused.counted ? 0 : Math.max(1, Math.ceil(refused.retryAfterMs / 1000)));

  const attemptRule = (): CounterRule => ({ limit: maxAttempts, windowMs: retentionSeconds * 1000 });

  const checkCode = async (interactionId: string, code: string): Promise<OtpResult> => {
    const challenge = await load(interactionId);
    if (!challenge) return { outcome: 'missing' };
    if (now() >= challenge.expiresAt) {
      await store.destroy(interactionId);
      return { outcome: 'expired' };
    }
    // Every guess is counted against the address and against the code before
    // it is checked (a correct one is refunded below), so parallel guesses,
    // on one node or several, cannot slip past either limit.
    const guess = await counters.hit(addressKey('otp-failures', challenge.email), failureRule);
    if (!guess.counted) return { outcome: 'throttled', retryAfterSeconds: retryAfterSeconds(guess), addressLocked: guess.locked };
    // A challenge stored by a version without ids is counted by its interaction.
    const attemptsKey = `otp-attempts:${challenge.id ?? interactionId}`;
    const attempt = await counters.hit(attemptsKey, attemptRule());
    if (!attempt.counted) {
      // Another node took the last guess while this one was on its way.
      await store.destroy(interactionId);
      return { outcome: 'locked' };
    }
    const candidate = code.trim();
    // The MAC is computed for unknown addresses too: the same work, whoever is asked for.
    const candidateMac = mac(interactionId, candidate);
    const expected = challenge.codeMac ? Buffer.from(challenge.codeMac, 'base64url') : undefined;
    if (expected && CODE_PATTERN.test(candidate) && timingSafeEqual(expected, candidateMac)) {
      await store.destroy(interactionId);
      await Promise.all([
        counters.reset(addressKey('otp-failures', challenge.email)),
        counters.reset(addressKey('otp-codes', challenge.email)),
        counters.reset(attemptsKey),
      ]);
      return { outcome: 'accepted', email: challenge.email };
    }
    if (attempt.count >= maxAttempts) {
      await store.destroy(interactionId);
      return { outcome: 'locked' };
    }
    return { outcome: 'wrong', attemptsLeft: maxAttempts - attempt.count };
  };

  return {
    async start(interactionId, email, approved) {
      const perInteraction = await counters.hit(`otp-codes-interaction:${interactionId}`, codeRule(limits.maxCodesPerInteraction));
      if (!perInteraction.counted) return { outcome: 'throttled', retryAfterSeconds: retryAfterSeconds(perInteraction) };
      const perAddress = await counters.hit(addressKey('otp-codes', email), codeRule(limits.maxCodesPerAddress));
      if (!perAddress.counted) return { outcome: 'throttled', retryAfterSeconds: retryAfterSeconds(perAddress) };
      const code = approved ? randomInt(0, 1_000_000).toString().padStart(6, '0') : undefined;
      const challenge: Challenge = {
        id: randomBytes(16).toString('base64url'),
        email,
        ...(code ? { codeMac: mac(interactionId, code).toString('base64url') } : {}),
        expiresAt: now() + ttlSeconds * 1000,
      };
      return inTurn(interactionId, async () => {
        await save(interactionId, challenge);
        return code ? { outcome: 'started', code } : { outcome: 'started' };
      });
    },
    async pending(interactionId) {
      const challenge = await load(interactionId);
      return challenge ? { email: challenge.email } : undefined;
    },
    verify: (interactionId, code) => inTurn(interactionId, () => checkCode(interactionId, code)),
    clear: (interactionId) => inTurn(interactionId, () => store.destroy(interactionId)),
  };
}

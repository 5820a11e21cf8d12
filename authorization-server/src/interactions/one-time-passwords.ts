import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * E-mail one-time passwords, one challenge per interaction: a 6-digit code
 * that expires after `ttlSeconds`, works once, and is locked after
 * `maxAttempts` wrong guesses (the user must then start again). Only an HMAC
 * of the code is stored. Challenges live in the same storage as
 * oidc-provider's models, so they survive a restart.
 *
 * Operations on one challenge run one after another in this process, so
 * parallel guesses cannot all read the same attempt count from a store that
 * answers asynchronously. Instances sharing a store would need an atomic
 * counter in the store itself.
 */
export interface OneTimePasswords {
  /**
   * Starts a challenge for the address. Returns the code to send, or
   * undefined when the address is not approved: that challenge exists too,
   * so the next page and every answer look exactly the same.
   */
  start(interactionId: string, email: string, approved: boolean): Promise<string | undefined>;
  /** The pending challenge's address, if any. */
  pending(interactionId: string): Promise<{ email: string } | undefined>;
  verify(interactionId: string, code: string): Promise<OtpResult>;
  clear(interactionId: string): Promise<void>;
}

export type OtpResult =
  | { outcome: 'accepted'; email: string }
  | { outcome: 'wrong'; attemptsLeft: number }
  | { outcome: 'locked' }
  | { outcome: 'expired' }
  | { outcome: 'missing' };

interface Challenge {
  email: string;
  /** HMAC of the code; absent for addresses that are not approved. */
  codeMac?: string;
  expiresAt: number;
  attempts: number;
}

export interface OneTimePasswordOptions {
  store: Adapter;
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
  const { store, secret, ttlSeconds } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const now = options.now ?? Date.now;
  // Kept a while past expiry so that a late answer is told "expired", not "start again".
  const retentionSeconds = ttlSeconds + 600;

  const mac = (interactionId: string, code: string) => createHmac('sha256', secret).update(`otp:${interactionId}:${code}`).digest();
  const load = async (interactionId: string) => (await store.find(interactionId)) as unknown as Challenge | undefined;
  const save = (interactionId: string, challenge: Challenge) =>
    store.upsert(interactionId, challenge as unknown as AdapterPayload, retentionSeconds);
  const inTurn = createKeyedQueue();

  const checkCode = async (interactionId: string, code: string): Promise<OtpResult> => {
    const challenge = await load(interactionId);
    if (!challenge) return { outcome: 'missing' };
    // A locked challenge is deleted at once; only an instance sharing the store can leave one behind.
    if (challenge.attempts >= maxAttempts) {
      await store.destroy(interactionId);
      return { outcome: 'locked' };
    }
    if (now() >= challenge.expiresAt) {
      await store.destroy(interactionId);
      return { outcome: 'expired' };
    }
    const candidate = code.trim();
    const expected = challenge.codeMac ? Buffer.from(challenge.codeMac, 'base64url') : undefined;
    if (expected && CODE_PATTERN.test(candidate) && timingSafeEqual(expected, mac(interactionId, candidate))) {
      await store.destroy(interactionId);
      return { outcome: 'accepted', email: challenge.email };
    }
    const attempts = challenge.attempts + 1;
    if (attempts >= maxAttempts) {
      await store.destroy(interactionId);
      return { outcome: 'locked' };
    }
    await save(interactionId, { ...challenge, attempts });
    return { outcome: 'wrong', attemptsLeft: maxAttempts - attempts };
  };

  return {
    start(interactionId, email, approved) {
      const code = approved ? randomInt(0, 1_000_000).toString().padStart(6, '0') : undefined;
      const challenge: Challenge = {
        email,
        ...(code ? { codeMac: mac(interactionId, code).toString('base64url') } : {}),
        expiresAt: now() + ttlSeconds * 1000,
        attempts: 0,
      };
      return inTurn(interactionId, async () => {
        await save(interactionId, challenge);
        return code;
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

import type { Adapter } from 'oidc-provider';

/**
 * Open registration lets anyone store a client. A registration that is never
 * used for a sign-in is kept for `unusedTtlSeconds` only; the first
 * authorization code issued to it makes it permanent (ModelStorage.keep, on
 * oidc-provider's authorization.success event in app.ts), as registrations
 * always were.
 *
 * oidc-provider upserts a Client only on the registration endpoint (dynamic
 * client management is off), so every upsert here is a new registration.
 */
export function withUnusedRegistrationExpiry(stored: Adapter, unusedTtlSeconds: number): Adapter {
  return {
    ...stored,
    upsert: (id, payload) => stored.upsert(id, payload, unusedTtlSeconds),
  };
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens bound to one interaction: an HMAC of the interaction id under
 * the cookie keys. A page can only post to its own interaction, and a token
 * from another interaction (or none) is refused. Stateless, so it survives a
 * restart together with the interaction.
 */
export interface CsrfTokens {
  issue(interactionId: string): string;
  verify(interactionId: string, token: unknown): boolean;
}

export function createCsrfTokens(keys: readonly string[]): CsrfTokens {
  if (keys.length === 0) throw new Error('at least one key is required for CSRF tokens');
  const sign = (key: string, interactionId: string) => createHmac('sha256', key).update(`csrf:${interactionId}`).digest('base64url');
  return {
    issue: (interactionId) => sign(keys[0] as string, interactionId),
    verify: (interactionId, token) => {
      if (typeof token !== 'string' || token.length === 0) return false;
      const presented = Buffer.from(token);
      // Every key is tried so that tokens issued before a key rotation stay valid.
      return keys.some((key) => {
        const expected = Buffer.from(sign(key, interactionId));
        return expected.length === presented.length && timingSafeEqual(expected, presented);
      });
    },
  };
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

export const SIGNING_ALGORITHM = 'PS256';

export interface SigningKeys {
  /** Private JWK set in the form oidc-provider's `jwks` option takes. */
  privateJwks: { keys: JWK[] };
  /** Key id of the active signing key. */
  kid: string;
  /** The active key, for signing outside oidc-provider (the JWT form of introspection). */
  privateKey: CryptoKey;
  /** The public part, for verifying this server's own JWTs. */
  publicJwks: { keys: JWK[] };
}

function publicPart(jwk: JWK): JWK {
  const { kty, n, e, kid, alg, use } = jwk;
  return { kty, n, e, kid, alg, use };
}

/**
 * Loads the RSA signing key from DATA_DIR, generating and persisting one on
 * first start, so tokens issued before a restart still verify after it.
 */
export async function loadSigningKeys(dataDir: string): Promise<SigningKeys> {
  const file = join(dataDir, 'signing-keys.json');
  let jwk: JWK;
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { keys?: JWK[] };
    const first = stored.keys?.[0];
    if (!first || first.kty !== 'RSA' || typeof first.d !== 'string') {
      throw new Error(`${file} does not hold an RSA private key; remove it to generate a new one`);
    }
    jwk = first;
  } else {
    const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
    const exported = await exportJWK(privateKey);
    jwk = { ...exported, kid: await calculateJwkThumbprint(exported), alg: SIGNING_ALGORITHM, use: 'sig' };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`, { mode: 0o600 });
  }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
  const complete: JWK = { ...jwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const privateKey = (await importJWK(complete, SIGNING_ALGORITHM)) as CryptoKey;
  return {
    privateJwks: { keys: [complete] },
    kid,
    privateKey,
    publicJwks: { keys: [publicPart(complete)] },
  };
}

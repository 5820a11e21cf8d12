import { chmodSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareCurity } from '../src/stack.ts';

/**
 * What the compose suite writes before it starts the curity profile, as
 * deploy.sh does: the license key, and the generated values made with the
 * development CA, again whenever the CA is newer. A stand-in script records
 * how create-crypto-env.sh is called.
 */
function setup() {
  const root = mkdtempSync(join(tmpdir(), 'prepare-curity-'));
  const caFile = join(root, 'ca.crt');
  writeFileSync(caFile, 'CA');
  const createCryptoEnv = join(root, 'create-crypto-env.sh');
  // Counts its runs, so that a second run prints something else.
  writeFileSync(
    createCryptoEnv,
    '#!/usr/bin/env bash\nrun=$(( $(cat "$0.runs" 2>/dev/null || echo 0) + 1 ))\necho "$run" >"$0.runs"\nprintf "CA_FILE=%s\\nIMAGE=%s\\nRUN=%s\\n" "$1" "$CURITY_IMAGE" "$run"\n',
  );
  chmodSync(createCryptoEnv, 0o755);
  const license = join(root, 'license.json');
  writeFileSync(license, JSON.stringify({ License: ' eyJ.license.key ' }));
  const files = { deployDir: join(root, '.deploy'), caFile, createCryptoEnv, image: 'curity.azurecr.io/curity/idsvr:11.4.0' };
  return { files, license, secrets: join(files.deployDir, 'curity-secrets.env') };
}

describe('preparing the curity profile', () => {
  it('writes the license key and the values made with the development CA, readable by their owner only', () => {
    const { files, license, secrets } = setup();
    prepareCurity(license, files);
    expect(readFileSync(join(files.deployDir, 'curity-license.env'), 'utf8')).toBe('LICENSE_KEY=eyJ.license.key\n');
    const written = readFileSync(secrets, 'utf8');
    expect(written).toContain(`CA_FILE=${files.caFile}\n`);
    expect(written).toContain('IMAGE=curity.azurecr.io/curity/idsvr:11.4.0\n');
    expect(statSync(secrets).mode & 0o077).toBe(0);
  });

  it('keeps the values until the development CA is newer', () => {
    const { files, license, secrets } = setup();
    prepareCurity(license, files);
    const first = readFileSync(secrets, 'utf8');
    prepareCurity(license, files);
    expect(readFileSync(secrets, 'utf8')).toBe(first);
    const later = new Date(Date.now() + 60_000);
    utimesSync(files.caFile, later, later);
    prepareCurity(license, files);
    expect(readFileSync(secrets, 'utf8')).not.toBe(first);
  });
});

// scripts/create-crypto-env.sh with stand-ins for the Curity image's tools
// (support/crypto-env.ts): which tool turned which input into each printed
// value, and with which key.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCreateCryptoEnv } from './support/crypto-env.ts';

function developmentCa(): { file: string; base64: string } {
  const folder = mkdtempSync(join(tmpdir(), 'ca-'));
  const file = join(folder, 'ca.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=test CA', '-keyout', join(folder, 'ca.key'), '-out', file,
  ], { stdio: 'ignore' });
  return { file, base64: execFileSync('openssl', ['base64', '-A', '-in', file], { encoding: 'utf8' }).trim() };
}

const ENCRYPTED = /^encrypted\((\w+)\.(\w+)\|([0-9a-f]+)\|(.*)\)$/;

function decode(value: string | undefined): { converter: string; key: string; input: string } {
  const match = ENCRYPTED.exec(value ?? '');
  if (!match) throw new Error(`not an encrypted value: ${value}`);
  return { converter: `${match[1]}.${match[2]}`, key: match[3] as string, input: match[4] as string };
}

describe('scripts/create-crypto-env.sh', () => {
  const ca = developmentCa();
  const run = runCreateCryptoEnv([ca.file], { CURITY_IMAGE: 'curity.azurecr.io/curity/idsvr:11.4.0' });

  it('prints the four values of the Curity container, once each', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect([...run.values.keys()].sort()).toEqual(['CONFIG_ENCRYPTION_KEY', 'EXTERNAL_ROOT_CA', 'SYMMETRIC_KEY', 'TOKEN_SIGNING_KEY']);
    expect(run.stdout.trim().split('\n')).toHaveLength(4);
    expect(run.values.get('CONFIG_ENCRYPTION_KEY')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses the tools of the image it is given, in one container run', () => {
    expect(run.images).toEqual(['curity.azurecr.io/curity/idsvr:11.4.0']);
  });

  it('converts the signing key store with convertks, then encrypts it with the configuration encryption key', () => {
    const signing = decode(run.values.get('TOKEN_SIGNING_KEY'));
    expect(signing.converter).toBe('ConvertKeyStore.reencryptKeyStores');
    expect(signing.key).toBe(run.values.get('CONFIG_ENCRYPTION_KEY'));
    // convertks got a PKCS#12 key store, base64-encoded.
    const keystore = /^converted:([A-Za-z0-9+/=]+)$/.exec(signing.input)?.[1];
    expect(keystore).toBeDefined();
    const der = Buffer.from(keystore ?? '', 'base64');
    expect(der[0]).toBe(0x30);
  });

  it('encrypts a fresh 256-bit symmetric key as a plain secret', () => {
    const symmetric = decode(run.values.get('SYMMETRIC_KEY'));
    expect(symmetric.converter).toBe('SecretConverter.reencryptSecret');
    expect(symmetric.key).toBe(run.values.get('CONFIG_ENCRYPTION_KEY'));
    expect(symmetric.input).toMatch(/^[0-9a-f]{64}$/);
  });

  it('encrypts the development CA the server trusts for client ID metadata documents', () => {
    const trust = decode(run.values.get('EXTERNAL_ROOT_CA'));
    expect(trust.converter).toBe('ConvertKeyStore.reencryptKeyStores');
    expect(trust.key).toBe(run.values.get('CONFIG_ENCRYPTION_KEY'));
    expect(trust.input).toBe(ca.base64);
  });

  it('makes new keys on every run', () => {
    const again = runCreateCryptoEnv([ca.file], { CURITY_IMAGE: 'curity.azurecr.io/curity/idsvr:11.4.0' });
    for (const name of ['CONFIG_ENCRYPTION_KEY', 'SYMMETRIC_KEY', 'TOKEN_SIGNING_KEY']) {
      expect(again.values.get(name)).not.toBe(run.values.get(name));
    }
  });

  it('refuses to run without the CA file or without an image', () => {
    const noCa = runCreateCryptoEnv([]);
    expect(noCa.status).toBe(2);
    expect(noCa.stderr).toContain('usage:');
    const noImage = runCreateCryptoEnv([ca.file], {});
    expect(noImage.status).not.toBe(0);
    expect(noImage.stderr).toContain('CURITY_IMAGE');
    expect(noImage.values.size).toBe(0);
  });

  it('fails, printing nothing, when the image returns no value', () => {
    const folder = mkdtempSync(join(tmpdir(), 'broken-'));
    const broken = join(folder, 'ca.crt');
    // Not base64: the in-container script refuses to place it in XML.
    writeFileSync(broken, '');
    const result = runCreateCryptoEnv([broken], { CURITY_IMAGE: 'curity.azurecr.io/curity/idsvr:11.4.0' });
    expect(result.status).not.toBe(0);
    expect(result.values.size).toBe(0);
  });
});

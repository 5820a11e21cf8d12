import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, run } from '../src/run.ts';

/**
 * certs/create.sh, run into temporary folders: what it creates, that it
 * reuses what exists, and that a TLS client trusting only the CA accepts the
 * server certificate for the deployment's host names and nothing else.
 */

const hasOpenssl = commandExists('openssl');
const folders: string[] = [];

function createCertificates(folder?: string, ...args: string[]): { folder: string; output: string } {
  const target = folder ?? mkdtempSync(join(tmpdir(), 'certs-'));
  if (!folder) folders.push(target);
  const result = run('certs/create.sh', args, { env: { ...process.env, CERTS_DIR: target } });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return { folder: target, output: result.stdout };
}

function fingerprint(folder: string, file: string): string {
  return new X509Certificate(readFileSync(join(folder, file))).fingerprint256;
}

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)(`certs/create.sh${hasOpenssl ? '' : ' (skipped: openssl is not installed)'}`, () => {
  let folder: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    folder = createCertificates().folder;
    server = createServer({ key: readFileSync(join(folder, 'tls.key')), cert: readFileSync(join(folder, 'tls.crt')) }, (_request, response) => {
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Resolves with the TLS verification error, or undefined when the handshake is trusted. */
  function handshake(servername: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca: readFileSync(join(folder, 'ca.crt')) }, () => {
        socket.end();
        resolve(undefined);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code) resolve(error.code);
        else reject(error);
      });
    });
  }

  it('creates a CA and a server certificate signed by it, keeping the CA key owner-only', () => {
    const ca = new X509Certificate(readFileSync(join(folder, 'ca.crt')));
    const server = new X509Certificate(readFileSync(join(folder, 'tls.crt')));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(statSync(join(folder, 'ca.key')).mode & 0o077).toBe(0);
  });

  it('names *.demo.example and www.client.example in the server certificate, for at most 398 days', () => {
    const server = new X509Certificate(readFileSync(join(folder, 'tls.crt')));
    expect(server.subjectAltName?.split(', ').sort()).toEqual(['DNS:*.demo.example', 'DNS:demo.example', 'DNS:www.client.example']);
    const days = (Date.parse(server.validTo) - Date.parse(server.validFrom)) / 86_400_000;
    expect(days).toBeLessThanOrEqual(398);
  });

  it.each(['mcp.demo.example', 'login.demo.example', 'admin.demo.example', 'www.client.example'])(
    'is trusted for %s by a client that trusts only the CA',
    async (host) => {
      expect(await handshake(host)).toBeUndefined();
    },
  );

  it.each(['client.example', 'evil.example', 'a.b.demo.example'])('is refused for %s', async (host) => {
    expect(await handshake(host)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('reuses the CA and the server certificate when run again', () => {
    const before = [fingerprint(folder, 'ca.crt'), fingerprint(folder, 'tls.crt')];
    const { output } = createCertificates(folder);
    expect(output).toContain('reusing the development CA');
    expect(output).toContain('reusing the server certificate');
    expect([fingerprint(folder, 'ca.crt'), fingerprint(folder, 'tls.crt')]).toEqual(before);
  });

  it('replaces a server certificate that another CA signed, keeping the CA', () => {
    const other = createCertificates().folder;
    const target = createCertificates().folder;
    const ca = fingerprint(target, 'ca.crt');
    copyFileSync(join(other, 'tls.crt'), join(target, 'tls.crt'));
    copyFileSync(join(other, 'tls.key'), join(target, 'tls.key'));
    const { output } = createCertificates(target);
    expect(output).toContain('created the server certificate');
    expect(fingerprint(target, 'ca.crt')).toBe(ca);
    const server = new X509Certificate(readFileSync(join(target, 'tls.crt')));
    expect(server.checkIssued(new X509Certificate(readFileSync(join(target, 'ca.crt'))))).toBe(true);
  });

  it('starts over with --force', () => {
    const target = createCertificates().folder;
    const ca = fingerprint(target, 'ca.crt');
    const { output } = createCertificates(target, '--force');
    expect(output).toContain('created the development CA');
    expect(fingerprint(target, 'ca.crt')).not.toBe(ca);
  });
});

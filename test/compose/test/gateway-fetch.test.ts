import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_ENDPOINTS, hostsOf } from '../src/endpoints.ts';
import { createGatewayFetch, type GatewayFetch } from '../src/gateway-fetch.ts';
import { challengeParameters } from '../../e2e/scenarios/index.ts';
import { REPO_ROOT } from '../src/repo.ts';

/**
 * The client the Docker suites use, against a stand-in gateway on this
 * machine: HTTPS with the certificate of certs/create.sh (in a temporary
 * folder), so it runs wherever openssl does, Docker or not.
 */

const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasOpenssl)(`gateway fetch${hasOpenssl ? '' : ' (skipped: openssl is not installed)'}`, () => {
  let folder: string;
  let server: Server;
  let client: GatewayFetch;
  let otherCaClient: GatewayFetch;
  const seen: Array<{ host: string | undefined; path: string | undefined }> = [];

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'gateway-certs-'));
    const created = spawnSync(resolve(REPO_ROOT, 'certs/create.sh'), { env: { ...process.env, CERTS_DIR: folder }, encoding: 'utf8' });
    expect(created.status, created.stderr).toBe(0);
    server = createServer({ key: readFileSync(join(folder, 'tls.key')), cert: readFileSync(join(folder, 'tls.crt')) }, (request, response) => {
      seen.push({ host: request.headers.host, path: request.url });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ host: request.headers.host }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const options = { hosts: hostsOf(DOCKER_ENDPOINTS), address: '127.0.0.1', port };
    client = createGatewayFetch({ ...options, ca: readFileSync(join(folder, 'ca.crt')) });

    const otherFolder = mkdtempSync(join(tmpdir(), 'other-ca-'));
    spawnSync(resolve(REPO_ROOT, 'certs/create.sh'), { env: { ...process.env, CERTS_DIR: otherFolder } });
    otherCaClient = createGatewayFetch({ ...options, ca: readFileSync(join(otherFolder, 'ca.crt')) });
    rmSync(otherFolder, { recursive: true, force: true });
  });

  afterAll(async () => {
    await client.close();
    await otherCaClient.close();
    await new Promise<void>((done) => server.close(() => done()));
    rmSync(folder, { recursive: true, force: true });
  });

  it('sends every public host name to the gateway with its own Host header and TLS name', async () => {
    for (const url of [DOCKER_ENDPOINTS.protectedResourceMetadata, DOCKER_ENDPOINTS.authorizationServerMetadata, DOCKER_ENDPOINTS.clientMetadata]) {
      const response = await client.fetch(url);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ host: new URL(url).host });
    }
    expect(seen.map((request) => request.path)).toEqual([
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous',
      '/',
    ]);
  });

  it('sends the global fetch to the gateway while installed, and only then', async () => {
    const plain = createHttpServer((_request, response) => response.end('plain'));
    await new Promise<void>((done) => plain.listen(0, '127.0.0.1', done));
    const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
    try {
      const uninstall = client.installGlobally();
      try {
        const response = await fetch(DOCKER_ENDPOINTS.authorizationServerMetadata);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ host: 'login.demo.example' });
        // Nothing but the deployment's host names gets through meanwhile.
        await expect(fetch(plainUrl)).rejects.toThrow();
      } finally {
        uninstall();
      }
      expect(await (await fetch(plainUrl)).text()).toBe('plain');
    } finally {
      await new Promise<void>((done) => plain.close(() => done()));
    }
  });

  it('refuses host names that are not the deployment’s', async () => {
    await expect(client.fetch('https://example.org/')).rejects.toThrow();
  });

  it('refuses a gateway whose certificate another CA signed', async () => {
    await expect(otherCaClient.fetch(DOCKER_ENDPOINTS.mcp)).rejects.toThrow();
  });
});

describe('challenge parameters', () => {
  it('reads the parameters of a bearer challenge', () => {
    expect(
      challengeParameters(
        'Bearer error="invalid_token", error_description="Missing, invalid or expired access token", resource_metadata="https://mcp.demo.example/.well-known/oauth-protected-resource", scope="stocks/read"',
      ),
    ).toEqual({
      error: 'invalid_token',
      error_description: 'Missing, invalid or expired access token',
      resource_metadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
      scope: 'stocks/read',
    });
  });

  it('unescapes quoted characters', () => {
    expect(challengeParameters('Bearer realm="a \\"b\\" c"')).toEqual({ realm: 'a "b" c' });
  });
});

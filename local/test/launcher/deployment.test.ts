import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portInUse } from '@mcp-demo/testing';
import { startLocalDeployment } from '../../launcher/deployment.ts';
import { pickFreePorts } from '../../launcher/ports.ts';
import { describeTopology, KONG_CONFIG_PATH, loadSettings, REPO_ROOT } from '../../topology/index.ts';

const deployDirs: string[] = [];
const tempDeployDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-test-'));
  deployDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of deployDirs) rmSync(dir, { recursive: true, force: true });
});

describe('topology', () => {
  const settings = loadSettings({});
  const topology = describeTopology(settings, [{ email: 'john.doe@demo.example', region: 'USA' }]);

  it('uses the documented default ports', () => {
    expect(topology.endpoints.external).toMatchObject({
      mcp: 'http://127.0.0.1:3100/',
      stocksApi: 'http://127.0.0.1:3101/stocks',
      issuer: 'http://127.0.0.1:3102/oauth/v2/oauth-anonymous',
      inbox: 'http://127.0.0.1:3103/',
      clientMetadata: 'http://127.0.0.1:3104/',
    });
    expect(topology.endpoints.internal.authorizationServer).toBe('http://127.0.0.1:8443');
  });

  it('gives every service one consistent view of the issuer, audiences and secrets', () => {
    const env = (name: string) => topology.services.find((service) => service.name === name)?.env ?? {};
    expect(env('utility-mcp-server').ISSUER).toBe(topology.endpoints.external.issuer);
    expect(env('stocks-api').ISSUER).toBe(topology.endpoints.external.issuer);
    expect(env('utility-mcp-server').AUDIENCE).toBe(topology.endpoints.external.mcp);
    expect(env('authorization-server').MCP_AUDIENCES).toBe(topology.endpoints.external.mcp);
    expect(env('utility-mcp-server').API_AUDIENCE).toBe(env('stocks-api').AUDIENCE);
    expect(env('utility-mcp-server').CLIENT_SECRET).toBe(env('authorization-server').MCP_SERVER_CLIENT_SECRET);
  });

  it("maps every upstream key kong.yml names, read from kong.yml, to a local service port", () => {
    expect(topology.gateway.upstreams).toEqual({
      'utility-mcp-server:3000': ['http://127.0.0.1:3000'],
      'stocks-api:3001': ['http://127.0.0.1:3001'],
      'idsvr:8443': ['http://127.0.0.1:8443'],
      'maildev:1080': ['http://127.0.0.1:1080'],
      'client-metadata:3002': ['http://127.0.0.1:3002'],
    });
  });

  it('reads the keys of a kong.yml upstream and its targets, whatever kong.yml calls them', () => {
    const file = join(tempDeployDir(), 'kong.yml');
    const kong = readFileSync(KONG_CONFIG_PATH, 'utf8')
      .replace('url: http://utility-mcp-server:3000/', 'url: http://mcp-servers:3000/')
      .replace('services:\n', 'upstreams:\n  - name: mcp-servers\n    targets:\n      - target: mcp-a:3000\n      - target: mcp-b:3000\nservices:\n');
    writeFileSync(file, kong);
    const replicated = describeTopology(loadSettings({ MCP_SERVER_REPLICAS: '2' }), [], { kongConfigPath: file });
    expect(replicated.gateway.upstreams['mcp-a:3000']).toEqual(['http://127.0.0.1:3000', 'http://127.0.0.1:3010']);
    expect(replicated.gateway.upstreams['mcp-b:3000']).toEqual(['http://127.0.0.1:3000', 'http://127.0.0.1:3010']);
    expect(replicated.gateway.upstreams['utility-mcp-server:3000']).toBeUndefined();
  });

  it('takes port overrides from the environment, a blank value meaning the default', () => {
    const moved = describeTopology(loadSettings({ GATEWAY_MCP_PORT: '4100', GATEWAY_API_PORT: '', DEPLOY_DIR: '' }), []);
    expect(moved.endpoints.external.mcp).toBe('http://127.0.0.1:4100/');
    expect(moved.gateway.virtualHosts['mcp.demo.example']?.port).toBe(4100);
    expect(moved.endpoints.external.stocksApi).toBe('http://127.0.0.1:3101/stocks');
    expect(moved.endpoints.logs).toBe(join(REPO_ROOT, '.deploy', 'logs'));
  });

  it('runs replicas of the MCP server and the authorization server on ports ten apart, all of them behind the gateway', () => {
    const replicated = describeTopology(loadSettings({ MCP_SERVER_REPLICAS: '2', AUTHORIZATION_SERVER_REPLICAS: '3', DATABASE_URL: 'postgresql://db.example/as' }), []);
    expect(replicated.services.map((service) => service.name)).toEqual([
      'maildev',
      'authorization-server',
      'authorization-server-2',
      'authorization-server-3',
      'stocks-api',
      'client-metadata',
      'utility-mcp-server',
      'utility-mcp-server-2',
    ]);
    expect(replicated.gateway.upstreams['utility-mcp-server:3000']).toEqual(['http://127.0.0.1:3000', 'http://127.0.0.1:3010']);
    expect(replicated.gateway.upstreams['idsvr:8443']).toEqual(['http://127.0.0.1:8443', 'http://127.0.0.1:8453', 'http://127.0.0.1:8463']);
    const nodes = replicated.services.filter((service) => service.name.startsWith('authorization-server'));
    expect(nodes.map((node) => [node.env.PORT, node.env.DATABASE_URL])).toEqual([
      ['8443', 'postgresql://db.example/as'],
      ['8453', 'postgresql://db.example/as'],
      ['8463', 'postgresql://db.example/as'],
    ]);
    expect(replicated.endpoints.internal.replicas['utility-mcp-server']).toEqual(['http://127.0.0.1:3000', 'http://127.0.0.1:3010']);
    // Several nodes: the services reach them through the gateway's login host, which balances and skips a node that is down.
    const env = (name: string) => replicated.services.find((service) => service.name === name)?.env ?? {};
    expect(env('utility-mcp-server').TOKEN_ENDPOINT).toBe('http://127.0.0.1:3102/oauth/v2/oauth-token');
    expect(env('utility-mcp-server-2').JWKS_URI).toBe('http://127.0.0.1:3102/oauth/v2/oauth-anonymous/jwks');
    expect(env('stocks-api').JWKS_URI).toBe('http://127.0.0.1:3102/oauth/v2/oauth-anonymous/jwks');
    // One node: directly, as in Docker.
    const single = describeTopology(loadSettings({}), []);
    expect(single.services.find((service) => service.name === 'utility-mcp-server')?.env.TOKEN_ENDPOINT).toBe('http://127.0.0.1:8443/oauth/v2/oauth-token');
  });

  it('refuses a replica count that is not a small whole number, naming the variable', () => {
    expect(() => loadSettings({ MCP_SERVER_REPLICAS: '0' })).toThrow('MCP_SERVER_REPLICAS: must be at least 1');
    expect(() => loadSettings({ DATABASE_URL: 'mysql://x' })).toThrow('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });
});

const launcherMessages = (deployDir: string) =>
  readFileSync(join(deployDir, 'logs', 'launcher.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => String((JSON.parse(line) as { msg: unknown }).msg));

const status = (url: string) => fetch(url).then((response) => response.status, () => 0);

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('startLocalDeployment', () => {
  it('fails fast, naming the port and its service, when a port is taken, and leaves nothing running', async () => {
    const [taken = 0, ...others] = await pickFreePorts(11);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const env = {
        DEPLOY_DIR: tempDeployDir(),
        STOCKS_API_PORT: String(taken),
        ...Object.fromEntries(
          ['GATEWAY_MCP_PORT', 'GATEWAY_API_PORT', 'GATEWAY_LOGIN_PORT', 'GATEWAY_MAIL_PORT', 'GATEWAY_CLIENT_PORT', 'MCP_SERVER_PORT', 'CLIENT_METADATA_PORT', 'AUTHORIZATION_SERVER_PORT', 'SMTP_PORT', 'MAILDEV_WEB_PORT'].map(
            (name, index) => [name, String(others[index])],
          ),
        ),
      };
      await expect(startLocalDeployment({ env })).rejects.toThrow(`port ${taken} on 127.0.0.1 (stocks-api, set STOCKS_API_PORT to change it) is already in use`);
      for (const port of others) expect(await portInUse(port)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('refuses a port that fetch clients refuse (a Fetch "bad port"), naming its setting, before anything starts', async () => {
    const free = await pickFreePorts(10);
    const env = {
      DEPLOY_DIR: tempDeployDir(),
      GATEWAY_MCP_PORT: '6000',
      ...Object.fromEntries(
        ['GATEWAY_API_PORT', 'GATEWAY_LOGIN_PORT', 'GATEWAY_MAIL_PORT', 'GATEWAY_CLIENT_PORT', 'MCP_SERVER_PORT', 'STOCKS_API_PORT', 'CLIENT_METADATA_PORT', 'AUTHORIZATION_SERVER_PORT', 'SMTP_PORT', 'MAILDEV_WEB_PORT'].map(
          (name, index) => [name, String(free[index])],
        ),
      ),
    };
    await expect(startLocalDeployment({ env })).rejects.toThrow(
      'port 6000 (gateway, set GATEWAY_MCP_PORT to change it) is one that fetch clients refuse to connect to',
    );
    for (const port of free) expect(await portInUse(port)).toBe(false);
  });

  it('starts every service, writes the endpoints file and the logs, and stops everything', async () => {
    const deployDir = tempDeployDir();
    const progress: string[] = [];
    const deployment = await startLocalDeployment({
      freePorts: true,
      env: { DEPLOY_DIR: deployDir, LAUNCHER_RESTART_DELAY_MS: '50' },
      onProgress: (line) => progress.push(line),
    });
    let stopped = false;
    try {
      expect(progress).toEqual([
        'starting maildev',
        'starting authorization-server',
        'starting stocks-api',
        'starting client-metadata',
        'starting utility-mcp-server',
        'starting gateway',
      ]);
      const written = JSON.parse(readFileSync(join(deployDir, 'endpoints.json'), 'utf8')) as typeof deployment.endpoints;
      expect(written).toEqual(deployment.endpoints);
      expect(written.users.map((user) => user.email)).toEqual(['john.doe@demo.example', 'jane.test@demo.example']);
      for (const url of [written.external.protectedResourceMetadata, written.external.authorizationServerMetadata, `${written.external.clientMetadata}console-client.json`]) {
        expect((await fetch(url)).status, url).toBe(200);
      }
      for (const service of ['maildev', 'authorization-server', 'stocks-api', 'client-metadata', 'utility-mcp-server', 'gateway', 'launcher']) {
        expect(existsSync(join(deployDir, 'logs', `${service}.log`)), service).toBe(true);
      }
      await deployment.stop();
      stopped = true;
      await expect(deployment.finished).resolves.toBeUndefined();
      const { replicas, ...internal } = deployment.endpoints.internal;
      const ports = [...Object.values(internal), ...Object.values(replicas).flat(), ...Object.values(deployment.endpoints.external)].map((url) => Number(new URL(url).port));
      for (const port of ports) expect(await portInUse(port), `port ${port}`).toBe(false);
      // Stopping the deployment is not an outage: nothing comes back after the restart delay.
      await new Promise((done) => setTimeout(done, 500));
      for (const port of ports) expect(await portInUse(port), `port ${port}`).toBe(false);
      expect(launcherMessages(deployDir).filter((message) => message.includes('exited unexpectedly'))).toEqual([]);
    } finally {
      if (!stopped) await deployment.stop();
    }
  });
});

describe('replicas', () => {
  it('runs two MCP servers and two authorization server nodes on a PostgreSQL of its own, balanced by the gateway, and lists them', async () => {
    const deployDir = tempDeployDir();
    const progress: string[] = [];
    const deployment = await startLocalDeployment({
      freePorts: true,
      env: { DEPLOY_DIR: deployDir, MCP_SERVER_REPLICAS: '2', AUTHORIZATION_SERVER_REPLICAS: '2' },
      onProgress: (line) => progress.push(line),
    });
    try {
      expect(progress[0]).toBe('starting PostgreSQL for the authorization server nodes');
      expect(deployment.serviceNames()).toEqual(
        expect.arrayContaining(['authorization-server', 'authorization-server-2', 'utility-mcp-server', 'utility-mcp-server-2']),
      );
      const { replicas } = deployment.endpoints.internal;
      expect(replicas['utility-mcp-server']).toHaveLength(2);
      expect(replicas['authorization-server']).toHaveLength(2);
      const written = JSON.parse(readFileSync(join(deployDir, 'endpoints.json'), 'utf8')) as typeof deployment.endpoints;
      expect(written.internal.replicas).toEqual(replicas);
      for (const origin of [...replicas['utility-mcp-server'], ...replicas['authorization-server']]) {
        expect(await status(`${origin}/health`), origin).toBe(200);
      }
      // One store: both nodes publish the same signing keys.
      const [first, second] = await Promise.all(
        replicas['authorization-server'].map((origin) => fetch(`${origin}/oauth/v2/oauth-anonymous/jwks`).then((response) => response.json())),
      );
      expect(first).toEqual(second);
      for (const service of ['authorization-server-2', 'utility-mcp-server-2']) {
        expect(existsSync(join(deployDir, 'logs', `${service}.log`)), service).toBe(true);
      }

      // With one MCP server stopped, every request through the gateway still gets an answer.
      await deployment.stopService('utility-mcp-server');
      const answers = await Promise.all(Array.from({ length: 6 }, () => status(deployment.endpoints.external.protectedResourceMetadata)));
      expect(answers).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await deployment.stop();
    }
  }, 90_000);
});

describe('supervision of a running deployment', () => {
  it('restarts a killed service, which serves through the gateway again; a service stopped on purpose stays stopped', async () => {
    const deployDir = tempDeployDir();
    const deployment = await startLocalDeployment({ freePorts: true, env: { DEPLOY_DIR: deployDir, LAUNCHER_RESTART_DELAY_MS: '50' } });
    try {
      // The protected resource metadata is served by the MCP server through the gateway.
      const throughGateway = deployment.endpoints.external.protectedResourceMetadata;
      expect(await status(throughGateway)).toBe(200);
      const killed = deployment.pidOf('utility-mcp-server') as number;
      expect(killed).toBeTypeOf('number');

      process.kill(killed, 'SIGKILL');

      await until('the MCP server to be restarted and healthy', () => launcherMessages(deployDir).includes('utility-mcp-server is healthy again'));
      expect(deployment.pidOf('utility-mcp-server')).not.toBe(killed);
      expect(await status(throughGateway)).toBe(200);
      expect(launcherMessages(deployDir)).toEqual(
        expect.arrayContaining(['utility-mcp-server exited unexpectedly (signal SIGKILL)', 'restarting utility-mcp-server in 50 ms (restart 1 of at most 5)']),
      );

      // An outage made on purpose (as the end-to-end tests do) is left alone.
      const stocksHealth = `${deployment.endpoints.internal.stocksApi}/health`;
      await deployment.stopService('stocks-api');
      await new Promise((done) => setTimeout(done, 500));
      expect(await status(stocksHealth)).toBe(0);
      expect(deployment.pidOf('stocks-api')).toBeUndefined();
      expect(launcherMessages(deployDir).filter((message) => message.startsWith('stocks-api exited'))).toEqual([]);

      await deployment.startService('stocks-api');
      expect(await status(stocksHealth)).toBe(200);
    } finally {
      await deployment.stop();
    }
  });
});

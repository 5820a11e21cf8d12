import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedParameterNames } from '../../../idsvr-config/test/support/crypto-env.ts';
import { loadCompose, serviceNamed, type Service } from '../src/compose.ts';
import { specificationProblems } from '../src/compose-spec.ts';
import { repoPath } from '../src/repo.ts';

/**
 * What a real Docker host would reject or get wrong in docker-compose.yml,
 * checked without one: the Compose Specification, the Compose version the
 * file needs, the commands health checks run in each image, the variables
 * each container reads, and the Curity configuration's #{...} parameters.
 */

const project = loadCompose();

/**
 * A parsed YAML tree the tests reach into and change; `any` because its
 * shape is what the checks under test establish.
 */
type Tree = Record<string, any>;

describe('the Compose Specification', () => {
  it('accepts docker-compose.yml', () => {
    expect(specificationProblems(project.raw)).toEqual([]);
  });

  it.each([
    ['a misspelt service key', (file: Tree) => (file.services.maildev.healthchek = file.services.maildev.healthcheck)],
    ['an unknown depends_on key', (file: Tree) => (file.services.idsvr.depends_on.dbinit.condtion = 'service_healthy')],
    ['an unknown env_file key', (file: Tree) => (file.services.idsvr.env_file[1].optional = true)],
    ['a restart policy Docker does not have', (file: Tree) => (file.services.maildev.restart = 'sometimes')],
    ['a health check test without CMD', (file: Tree) => (file.services.maildev.healthcheck.test = ['wget', 'x'])],
    ['a malformed duration', (file: Tree) => (file.services.maildev.healthcheck.interval = '10 seconds')],
    ['an unknown top-level key', (file: Tree) => (file.service = {})],
  ])('would refuse %s', (_case, change) => {
    const copy = structuredClone(project.raw) as Tree;
    change(copy);
    expect(specificationProblems(copy).length).toBeGreaterThan(0);
  });
});

/**
 * Compose features whose minimum version is documented, and how to find
 * them in the file. A feature the table does not know fails the test below,
 * so that its minimum version gets looked up and added.
 */
const VERSIONED_FEATURES: Array<{ feature: string; minimum: string; source: string; used: (raw: Tree) => boolean }> = [
  {
    feature: 'env_file entries with path and required',
    minimum: '2.24.0',
    source: 'Docker docs, "Set environment variables": "As of Docker Compose version 2.24.0, ... optional by using the required field"',
    used: (raw) => Object.values(raw.services).some((service: any) => Array.isArray(service.env_file) && service.env_file.some((entry: unknown) => typeof entry === 'object')),
  },
];

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let index = 0; index < 3; index += 1) {
    if ((a[index] ?? 0) !== (b[index] ?? 0)) return (a[index] ?? 0) > (b[index] ?? 0);
  }
  return true;
}

describe('the Compose version the file needs', () => {
  const raw = project.raw as Tree;
  const needed = VERSIONED_FEATURES.filter((feature) => feature.used(raw));

  it('uses no newer feature the table does not know', () => {
    const dependsOnKeys = Object.values(raw.services).flatMap((service: any) =>
      Object.values(service.depends_on ?? {}).flatMap((dependency: any) => Object.keys(dependency)),
    );
    expect([...new Set(dependsOnKeys)]).toEqual(['condition']);
    expect(Object.keys(raw).filter((key) => ['include', 'models', 'configs', 'secrets'].includes(key))).toEqual([]);
    expect(needed.map((feature) => feature.feature)).toEqual(['env_file entries with path and required']);
  });

  it.each(['build.sh', 'deploy.sh'])('is the minimum %s checks for', (script) => {
    const minimum = /^readonly MIN_COMPOSE_VERSION=(\d+\.\d+\.\d+)$/m.exec(readFileSync(repoPath(script), 'utf8'))?.[1];
    expect(minimum).toBeDefined();
    for (const feature of needed) expect(versionAtLeast(minimum ?? '0', feature.minimum), `${feature.feature}: ${feature.source}`).toBe(true);
  });

  it('is the one docs/docker.md names', () => {
    expect(readFileSync(repoPath('docs/docker.md'), 'utf8')).toContain('Docker Compose 2.24 or later');
  });
});

/**
 * The programs each third-party image has, with the evidence. Health checks
 * and one-shot jobs may only run these (shell builtins aside).
 */
const IMAGE_PROGRAMS: Array<{ image: RegExp; programs: string[]; source: string }> = [
  {
    image: /^maildev\/maildev:2\.2\.1$/,
    programs: ['wget'],
    source: 'maildev v2.2.1 Dockerfile: FROM node:22-alpine (BusyBox wget); its own HEALTHCHECK runs wget on /healthz',
  },
  {
    image: /^postgres:17$/,
    programs: ['pg_isready', 'psql', 'bash'],
    source: 'the official postgres image: the PostgreSQL client programs, and bash for its docker-entrypoint.sh',
  },
  {
    image: /^curity\.azurecr\.io\/curity\/idsvr:\d+\.\d+\.\d+$/,
    programs: ['bash', 'cp'],
    source:
      "Curity's examples run bash in the image (curityio/cloud-native-oauth-security-examples protect-secrets.sh: docker exec ... bash -c; its encrypt-util.sh uses the core utilities mktemp and cat there)",
  },
  {
    image: /^mcp-demo\/kong:latest$/,
    programs: ['kong'],
    source: 'built FROM kong:3.9.1, whose CLI has `kong health`',
  },
];

const SHELL_BUILTINS = new Set(['exec', 'exit', 'printf', 'echo', 'read', 'test', '[', '[[', 'true', 'false']);

/** The programs a shell command line starts (first word of each simple command). */
function programsOf(script: string): string[] {
  return script
    .split(/&&|\|\||[|;]/)
    .map((segment) => segment.trim().split(/\s+/)[0] ?? '')
    .filter((word) => word.length > 0 && !SHELL_BUILTINS.has(word) && !/^\d*[<>]/.test(word));
}

/** What a service runs: its health check, and for one-shot jobs the entrypoint or command. */
function commandsOf(service: Service): string[] {
  const programs: string[] = [];
  const collect = (words: string[]) => {
    const [program, flag, script] = words;
    if (!program) return;
    if ((program === 'bash' || program === 'sh') && flag === '-c' && script) programs.push(program, ...programsOf(script));
    else programs.push(program);
  };
  const test = service.healthcheck?.test;
  if (typeof test === 'string') programs.push(...programsOf(test));
  else if (Array.isArray(test) && test[0] === 'CMD') collect(test.slice(1));
  else if (Array.isArray(test) && test[0] === 'CMD-SHELL') programs.push(...programsOf(test[1] ?? ''));
  for (const key of ['entrypoint', 'command'] as const) {
    const value = service.raw[key];
    if (Array.isArray(value)) collect(value.map(String));
  }
  return programs;
}

describe('health checks and jobs', () => {
  it.each(project.services.filter((service) => !service.build || service.name === 'kong').map((service) => [service.name, service] as const))(
    '%s runs only programs its image has',
    (_name, service) => {
      const image = IMAGE_PROGRAMS.find((entry) => entry.image.test(service.image ?? ''));
      expect(image, `no evidence of what ${service.image} contains`).toBeDefined();
      for (const program of commandsOf(service)) expect(image?.programs, `${service.name} runs ${program}`).toContain(program);
    },
  );

  it('finds the programs behind shell syntax', () => {
    expect(programsOf("exec 3<>/dev/tcp/h/1 && printf 'x' >&3 && head -n 1 <&3 | grep -q ' 200 '")).toEqual(['head', 'grep']);
    expect(programsOf('wget -q -O /dev/null http://127.0.0.1:1080/healthz || exit 1')).toEqual(['wget']);
  });

  describe('the Curity health check, run by bash as the container would run it', () => {
    const servers: Server[] = [];
    afterAll(() => {
      for (const server of servers) server.close();
    });

    async function statusEndpoint(status: number): Promise<number> {
      const server = createServer((request, response) => {
        response.writeHead(request.url === '/serving' ? status : 404);
        response.end('{"isServing":' + String(status === 200) + '}');
      });
      servers.push(server);
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      return (server.address() as AddressInfo).port;
    }

    const test = serviceNamed(project, 'idsvr').healthcheck?.test as string[];
    const script = (port: number) => (test[3] ?? '').replace('/127.0.0.1/4465', `/127.0.0.1/${port}`);

    it('asks the status endpoint on port 4465 for /serving', () => {
      expect(test.slice(0, 3)).toEqual(['CMD', 'bash', '-c']);
      expect(test[3]).toContain('/dev/tcp/127.0.0.1/4465');
      expect(test[3]).toContain('GET /serving HTTP/1.0');
    });

    it('passes while the node serves requests, fails while it does not or is down', async () => {
      const serving = await statusEndpoint(200);
      const starting = await statusEndpoint(503);
      // Asynchronously: the status endpoints answer from this process.
      const run = (port: number) =>
        new Promise<number | null>((done) => {
          const child = spawn('bash', ['-c', script(port)], { stdio: 'ignore', timeout: 10_000 });
          child.on('exit', (code) => done(code));
        });
      expect(await run(serving)).toBe(0);
      expect(await run(starting)).not.toBe(0);
      const closed = await statusEndpoint(200);
      await new Promise((done) => servers.at(-1)?.close(done));
      expect(await run(closed)).not.toBe(0);
    });
  });
});

describe('the variables each third-party container reads', () => {
  it('gives maildev only the options it reads', () => {
    // maildev v2.2.1 lib/options.js: MAILDEV_SMTP_PORT, MAILDEV_WEB_PORT, ...
    expect(Object.keys(serviceNamed(project, 'maildev').environment).sort()).toEqual(['MAILDEV_SMTP_PORT', 'MAILDEV_WEB_PORT']);
  });

  it('gives the database what the postgres image reads to create it', () => {
    expect(Object.keys(serviceNamed(project, 'dbserver').environment).sort()).toEqual(['POSTGRES_DB', 'POSTGRES_PASSWORD', 'POSTGRES_USER']);
  });

  it('gives the database job every variable db/init.sh and libpq read, and nothing else', () => {
    const script = readFileSync(repoPath('idsvr-config/db/init.sh'), 'utf8');
    const read = new Set([...script.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((match) => match[1] as string));
    const libpq = ['PGHOST', 'PGDATABASE', 'PGUSER', 'PGPASSWORD'];
    const given = Object.keys(serviceNamed(project, 'dbinit').environment);
    for (const name of given) expect([...read, ...libpq], name).toContain(name);
    for (const name of libpq) expect(given, name).toContain(name);
  });
});

describe('the Curity configuration parameters', () => {
  const idsvr = serviceNamed(project, 'idsvr');
  const envFileNames = (path: string) =>
    readFileSync(repoPath(path), 'utf8')
      .split('\n')
      .flatMap((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? []);
  const committed = idsvr.envFiles.filter((file) => file.required).flatMap((file) => envFileNames(file.path));
  // deploy.sh writes the license key; create-crypto-env.sh prints the rest.
  const generated = ['LICENSE_KEY', ...generatedParameterNames()];
  const available = new Set([...committed, ...Object.keys(idsvr.environment), ...generated]);

  it('resolve, every one, from curity.env, the compose environment or the files deploy.sh writes', () => {
    const config = readFileSync(repoPath('idsvr-config/mounts.json'), 'utf8');
    const mounted = (JSON.parse(config) as { curity: Array<{ source: string }> }).curity.map((entry) => entry.source).filter((source) => source.endsWith('.xml'));
    expect(mounted.length).toBeGreaterThan(5);
    const used = mounted.flatMap((source) => [...readFileSync(repoPath('idsvr-config', source), 'utf8').matchAll(/#\{([^}]*)\}/g)].map((match) => match[1] as string));
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect(available.has(name), `#{${name}}`).toBe(true);
  });

  it('are all the container is given, besides the variables the server reads itself', () => {
    const used = new Set(
      readdirSync(repoPath('idsvr-config/config')).flatMap((file) =>
        [...readFileSync(repoPath('idsvr-config/config', file), 'utf8').matchAll(/#\{([^}]*)\}/g)].map((match) => match[1] as string),
      ),
    );
    // Read by the server: ADMIN (start the admin service in this container,
    // Curity's Docker documentation), LOGGING_LEVEL, CONFIG_ENCRYPTION_KEY
    // (decrypts the protected values, "Encrypted Configuration").
    const readByTheServer = ['ADMIN', 'LOGGING_LEVEL', 'CONFIG_ENCRYPTION_KEY'];
    for (const name of available) expect(used.has(name) || readByTheServer.includes(name), `${name} is given to idsvr but nothing reads it`).toBe(true);
  });

  it('reach the container: the generated ones through the env files deploy.sh writes', () => {
    const deploy = readFileSync(repoPath('deploy.sh'), 'utf8');
    const optional = idsvr.envFiles.filter((file) => !file.required).map((file) => file.path.replace(/^\.\//, ''));
    expect(optional).toEqual(['.deploy/curity-secrets.env', '.deploy/curity-license.env']);
    expect(deploy).toContain('write_private "$DEPLOY_DIR/curity-license.env" "LICENSE_KEY=$license_key"');
    expect(deploy).toContain('write_private "$DEPLOY_DIR/curity-secrets.env" "$secrets"');
  });

  it('come from one Curity version: the image deploy.sh converts keys with is the image compose runs', () => {
    const deployDefault = /CURITY_VERSION="\$\{CURITY_VERSION:-([^}]+)\}"/.exec(readFileSync(repoPath('deploy.sh'), 'utf8'))?.[1];
    expect(idsvr.image).toBe(`curity.azurecr.io/curity/idsvr:${deployDefault}`);
    expect(loadCompose({ CURITY_VERSION: '11.9.9' }).services.find((service) => service.name === 'idsvr')?.image).toBe('curity.azurecr.io/curity/idsvr:11.9.9');
  });

});

describe('authorization server discovery in the Docker profiles', () => {
  it('leads an MCP client first to the metadata URL deploy.sh prints, which both servers serve', async () => {
    const { buildDiscoveryUrls } = await import('@modelcontextprotocol/sdk/client/auth.js');
    const { DOCKER_ENDPOINTS } = await import('../../compose/src/endpoints.ts');
    // The protected resource metadata names this server in authorization_servers.
    const mcp = serviceNamed(project, 'utility-mcp-server').environment;
    const named = mcp.AUTHORIZATION_SERVER ?? mcp.ISSUER;
    expect(named).toBe(DOCKER_ENDPOINTS.issuer);
    const first = buildDiscoveryUrls(named ?? '')[0];
    expect(first?.type).toBe('oauth');
    expect(first?.url.href).toBe(DOCKER_ENDPOINTS.authorizationServerMetadata);
    // The form the Curity Identity Server serves: /.well-known/oauth-authorization-server/<issuer path>.
    expect(first?.url.pathname).toBe(`/.well-known/oauth-authorization-server${new URL(DOCKER_ENDPOINTS.issuer).pathname}`);
  });
});

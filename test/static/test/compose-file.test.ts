import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMPOSE_FILE, loadCompose, namesOf, profilesOf, serviceNamed, servicesOf, type Service } from '../src/compose.ts';
import { finalStage, lastInstruction, readDockerfile } from '../src/dockerfile.ts';
import { repoPath } from '../src/repo.ts';

const project = loadCompose();
const PROFILES = ['curity', 'open'];

function hasHealthCheck(service: Service): boolean {
  if (service.healthcheck) return service.healthcheck.disable !== true;
  if (!service.build) return false;
  const dockerfile = readDockerfile(repoPath(service.build.context, service.build.dockerfile));
  return lastInstruction(finalStage(dockerfile), 'HEALTHCHECK') !== undefined;
}

/** URLs in a service's environment that point at another container of the project. */
function internalUrls(service: Service): Array<{ variable: string; url: URL }> {
  return Object.entries(service.environment).flatMap(([variable, value]) => {
    if (!/^https?:\/\//.test(value)) return [];
    const url = new URL(value);
    return [{ variable, url }];
  });
}

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

describe('docker-compose.yml', () => {
  it('parses and defines the profiles open and curity', () => {
    expect(profilesOf(project)).toEqual(PROFILES);
  });

  it('runs the same gateway, services and inbox in both profiles, and one authorization server each', () => {
    const names = (profile: string) => servicesOf(project, profile).map((service) => service.name).sort();
    const shared = ['client-metadata', 'kong', 'maildev', 'stocks-api', 'utility-mcp-server'];
    expect(names('open')).toEqual([...shared, 'authorization-server', 'authorization-server-db', 'dbserver'].sort());
    expect(names('curity')).toEqual([...shared, 'dbinit', 'dbserver', 'idsvr', 'idsvr-schema'].sort());
  });

  describe.each(PROFILES)('profile %s', (profile) => {
    const services = servicesOf(project, profile);
    const byName = new Map(services.map((service) => [service.name, service]));
    const reachable = new Map(services.flatMap((service) => namesOf(service).map((name) => [name, service] as const)));

    it('has exactly one service answering as idsvr, so kong.yml works unchanged', () => {
      const answering = services.filter((service) => namesOf(service).includes('idsvr'));
      expect(answering.map((service) => service.name)).toHaveLength(1);
    });

    it('only depends on services of the same profile, with conditions that can be met', () => {
      for (const service of services) {
        for (const [target, { condition }] of Object.entries(service.dependsOn)) {
          const dependency = byName.get(target);
          expect(dependency, `${service.name} depends on ${target}, which ${profile} does not start`).toBeDefined();
          if (!dependency) continue;
          expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
          if (condition === 'service_healthy') {
            expect(hasHealthCheck(dependency), `${service.name} waits for ${target} to be healthy, but it has no health check`).toBe(true);
          }
          if (condition === 'service_completed_successfully') {
            expect(dependency.restart ?? 'no', `${target} is a one-shot job and must not restart`).toBe('no');
          }
        }
      }
    });

    it('has no dependency cycle', () => {
      const visiting = new Set<string>();
      const done = new Set<string>();
      const visit = (name: string, path: string[]) => {
        if (done.has(name)) return;
        expect(visiting.has(name), `dependency cycle: ${[...path, name].join(' -> ')}`).toBe(false);
        visiting.add(name);
        for (const target of Object.keys(byName.get(name)?.dependsOn ?? {})) visit(target, [...path, name]);
        visiting.delete(name);
        done.add(name);
      };
      for (const service of services) visit(service.name, []);
    });

    it('gives every long-running service a health check', () => {
      const jobs = services.filter((service) => service.restart === 'no').map((service) => service.name);
      for (const service of services.filter((candidate) => !jobs.includes(candidate.name))) {
        expect(hasHealthCheck(service), `${service.name} has no health check`).toBe(true);
      }
    });

    it('points every URL in a service environment at a name on the project network, on the port that service listens on', () => {
      for (const service of services) {
        for (const { variable, url } of internalUrls(service)) {
          const target = reachable.get(url.hostname);
          expect(target, `${service.name} ${variable}=${url.href}: no service answers as ${url.hostname} in ${profile}`).toBeDefined();
          const listening = target?.environment.PORT;
          if (listening !== undefined && target?.name !== 'kong') {
            expect(portOf(url), `${service.name} ${variable}=${url.href}: ${target?.name} listens on ${listening}`).toBe(Number(listening));
          }
        }
      }
    });
  });

  it('lets both authorization servers answer as idsvr on port 8443', () => {
    const open = serviceNamed(project, 'authorization-server');
    expect(namesOf(open)).toContain('idsvr');
    expect(open.environment.PORT).toBe('8443');

    const curity = serviceNamed(project, 'idsvr');
    expect(namesOf(curity)).toContain('idsvr');
    // The Curity runtime listens on 8443 unless the configuration says otherwise.
    const environment = readFileSync(repoPath('idsvr-config/config/environment.xml'), 'utf8');
    expect(environment).not.toMatch(/<port>(?!8443<)/);
  });

  describe('scale-out', () => {
    const scalable = ['authorization-server', 'utility-mcp-server'];

    it.each(scalable)('lets %s run as several replicas: no container name, no published port, no fixed hostname', (name) => {
      const service = serviceNamed(project, name);
      expect(service.raw.container_name, `${name} has a container_name`).toBeUndefined();
      expect(service.hostname, `${name} has a fixed hostname`).toBeUndefined();
      expect(service.ports).toEqual([]);
      // A named volume would be shared by every replica: the open authorization server keeps nothing on disk.
      expect(service.mounts.filter((mount) => mount.type === 'volume')).toEqual([]);
    });

    it('reaches the replicas by service name or alias from kong.yml, so Kong balances over their DNS records', () => {
      const kong = readFileSync(repoPath('kong/kong.yml'), 'utf8');
      expect(kong).toContain('url: http://utility-mcp-server:3000/');
      expect(kong).toContain('url: http://idsvr:8443');
      expect(namesOf(serviceNamed(project, 'authorization-server'))).toContain('idsvr');
      // Docker's DNS TTL is long; Kong re-resolves sooner so that --scale takes effect.
      expect(Number(serviceNamed(project, 'kong').environment.KONG_DNS_VALID_TTL)).toBeLessThanOrEqual(60);
    });

    it('runs the open authorization server on its own database on dbserver, created by its init job', () => {
      const server = serviceNamed(project, 'authorization-server');
      const url = new URL(server.environment.DATABASE_URL ?? '');
      expect(url.protocol).toBe('postgresql:');
      expect(namesOf(serviceNamed(project, 'dbserver'))).toContain(url.hostname);
      expect(url.port).toBe('5432');
      expect(url.username).toBe('authorization_server');
      expect(url.pathname).toBe('/authorization_server');
      expect(server.environment.DATA_DIR).toBeUndefined();
      expect(server.dependsOn['authorization-server-db']?.condition).toBe('service_completed_successfully');

      const job = serviceNamed(project, 'authorization-server-db');
      const mount = job.mounts.find((candidate) => candidate.type === 'bind');
      expect(job.raw.command).toEqual(['bash', mount?.target]);
      expect(existsSync(repoPath(mount?.source ?? '')), `${mount?.source} is missing`).toBe(true);
      expect(job.environment.PGHOST).toBe(url.hostname);

      // One password setting reaches both the role the job creates and the URL the server connects with.
      const custom = loadCompose({ AUTHORIZATION_SERVER_DB_PASSWORD: 'as-db-secret', DB_PASSWORD: 'db-secret' });
      expect(new URL(serviceNamed(custom, 'authorization-server').environment.DATABASE_URL ?? '').password).toBe('as-db-secret');
      expect(serviceNamed(custom, 'authorization-server-db').environment.AUTHORIZATION_SERVER_DB_PASSWORD).toBe('as-db-secret');
      expect(serviceNamed(custom, 'authorization-server-db').environment.PGPASSWORD).toBe('db-secret');
    });

    it('gives every authorization server replica the same cookie keys', () => {
      const keys = serviceNamed(loadCompose({ COOKIE_KEYS: 'k'.repeat(40) }), 'authorization-server').environment.COOKIE_KEYS;
      expect(keys).toBe('k'.repeat(40));
    });
  });

  it('publishes ports only for Kong: HTTPS on 443 and HTTP on 80', () => {
    for (const service of project.services.filter((candidate) => candidate.name !== 'kong')) {
      expect(service.ports, `${service.name} publishes ports`).toEqual([]);
    }
    const kong = serviceNamed(project, 'kong');
    expect(kong.ports).toEqual(['443:443', '80:80']);
    expect(loadCompose({ HTTPS_PORT: '8443', HTTP_PORT: '0' }).services.find((service) => service.name === 'kong')?.ports).toEqual([
      '8443:443',
      '0:80',
    ]);
  });

  it('pins every third-party image to a version', () => {
    for (const service of project.services.filter((candidate) => !candidate.build)) {
      expect(service.image, `${service.name} has no image`).toBeDefined();
      const tag = /:([^:/]+)$/.exec(service.image ?? '')?.[1];
      expect(tag, `${service.name} image ${service.image} has no tag`).toBeDefined();
      expect(tag, `${service.name} image ${service.image} is not pinned`).not.toBe('latest');
    }
  });

  it('builds each image of this repository from an existing Dockerfile', () => {
    const built = project.services.filter((service) => service.build);
    expect(built.map((service) => service.name).sort()).toEqual(['authorization-server', 'client-metadata', 'kong', 'stocks-api', 'utility-mcp-server']);
    for (const service of built) {
      const build = service.build as NonNullable<Service['build']>;
      expect(existsSync(repoPath(build.context, build.dockerfile)), `${service.name}: ${build.context}/${build.dockerfile}`).toBe(true);
      expect(service.image).toBe(`mcp-demo/${service.name}:latest`);
    }
  });

  it('mounts only files that exist or that certs/create.sh and deploy.sh create', () => {
    const createScript = readFileSync(repoPath('certs/create.sh'), 'utf8');
    for (const service of project.services) {
      for (const mount of service.mounts.filter((candidate) => candidate.type === 'bind')) {
        const source = mount.source ?? '';
        const generatedCertificate = /^\.\/certs\/[\w.-]+$/.test(source) && createScript.includes(source.slice('./certs/'.length));
        expect(existsSync(repoPath(source)) || generatedCertificate, `${service.name} mounts ${source}, which does not exist`).toBe(true);
        expect(mount.readOnly, `${service.name} mounts ${source} writable`).toBe(true);
      }
      for (const envFile of service.envFiles) {
        if (envFile.required) expect(existsSync(repoPath(envFile.path)), `${service.name} env_file ${envFile.path}`).toBe(true);
        // Optional ones are the generated secrets, kept out of git.
        else expect(envFile.path).toMatch(/^\.\/\.deploy\//);
      }
      for (const mount of service.mounts.filter((candidate) => candidate.type === 'volume' && candidate.source)) {
        expect(project.volumes, `${service.name} uses the undeclared volume ${mount.source}`).toContain(mount.source);
      }
    }
  });

  it('mounts exactly the Curity files listed in idsvr-config/mounts.json, read-only', () => {
    const listed = (JSON.parse(readFileSync(repoPath('idsvr-config/mounts.json'), 'utf8')) as { curity: Array<{ source: string; target: string }> })
      .curity;
    const mounted = serviceNamed(project, 'idsvr').mounts.map((mount) => ({
      source: (mount.source ?? '').replace(/^\.\/idsvr-config\//, ''),
      target: mount.target,
      readOnly: mount.readOnly,
    }));
    expect(mounted).toEqual(listed.map((entry) => ({ ...entry, readOnly: true })));
  });

  it('runs the Curity database job with the init script and seed of idsvr-config/db', () => {
    const dbinit = serviceNamed(project, 'dbinit');
    const seed = dbinit.mounts.find((mount) => mount.type === 'bind');
    expect(seed?.source).toBe('./idsvr-config/db');
    const command = (dbinit.raw.command as string[]).join(' ');
    const script = command.split(' ').find((word) => word.startsWith(`${seed?.target}/`)) ?? '';
    expect(existsSync(join(repoPath('idsvr-config/db'), script.slice(`${seed?.target}/`.length))), `${command} runs a missing script`).toBe(true);
    expect(existsSync(repoPath('idsvr-config/db/seed-users.sql'))).toBe(true);
    // The schema job writes the file where the init job reads it.
    const schema = serviceNamed(project, 'idsvr-schema');
    const copied = (schema.raw.entrypoint as string[]).at(-1);
    expect(copied).toBe(dbinit.environment.CURITY_SCHEMA_FILE);
  });

  it('uses the same Curity version for the server and the schema it copies', () => {
    expect(serviceNamed(project, 'idsvr-schema').image).toBe(serviceNamed(project, 'idsvr').image);
    expect(serviceNamed(project, 'idsvr').image).toMatch(/^curity\.azurecr\.io\/curity\/idsvr:\d+\.\d+\.\d+$/);
  });

  describe('secrets', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const raw = parse(text, { merge: true }) as { services: Record<string, { environment?: Record<string, unknown> }> };

    it('never writes a secret literally: each one is a variable with a default marked DEMO', () => {
      for (const [name, service] of Object.entries(raw.services)) {
        for (const [variable, value] of Object.entries(service.environment ?? {})) {
          if (!/SECRET|PASSWORD|COOKIE_KEYS/.test(variable)) continue;
          expect(String(value), `${name} ${variable}`).toMatch(/^\$\{[A-Z_]+:-[^}]+\}$/);
        }
      }
      const defaults = text.split('\n').filter((line) => /\$\{[A-Z_]+:-/.test(line) && /SECRET|PASSWORD|COOKIE_KEYS/.test(line));
      expect(defaults.length).toBeGreaterThan(0);
      for (const line of defaults) expect(line, 'a demo default without a "# DEMO" mark').toMatch(/# DEMO default/);
    });

    it('passes one setting of each client secret to every component that needs it, in both profiles', () => {
      const custom = loadCompose({ GATEWAY_CLIENT_SECRET: 'gateway-secret', MCP_SERVER_CLIENT_SECRET: 'mcp-secret', DB_PASSWORD: 'db-secret' });
      const env = (service: string) => serviceNamed(custom, service).environment;
      expect(env('kong').GATEWAY_CLIENT_SECRET).toBe('gateway-secret');
      expect(env('authorization-server').GATEWAY_CLIENT_SECRET).toBe('gateway-secret');
      expect(env('idsvr').API_GATEWAY_CLIENT_SECRET).toBe('gateway-secret');
      expect(env('utility-mcp-server').CLIENT_SECRET).toBe('mcp-secret');
      expect(env('authorization-server').MCP_SERVER_CLIENT_SECRET).toBe('mcp-secret');
      expect(env('idsvr').MCP_SERVER_CLIENT_SECRET).toBe('mcp-secret');
      expect(env('dbserver').POSTGRES_PASSWORD).toBe('db-secret');
      expect(env('dbinit').PGPASSWORD).toBe('db-secret');
      expect(env('idsvr').DB_PASSWORD).toBe('db-secret');
    });

    it('keeps the generated Curity secrets and license out of the repository', () => {
      const ignored = readFileSync(repoPath('.gitignore'), 'utf8').split('\n');
      expect(ignored).toContain('.deploy/');
      const optional = serviceNamed(project, 'idsvr').envFiles.filter((file) => !file.required).map((file) => file.path);
      expect(optional).toEqual(['./.deploy/curity-secrets.env', './.deploy/curity-license.env']);
    });
  });
});

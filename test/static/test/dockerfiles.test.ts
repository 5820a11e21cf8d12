import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompose, type Service } from '../src/compose.ts';
import { argumentsOf, copiesOf, envOf, finalStage, lastInstruction, readDockerfile, type Dockerfile } from '../src/dockerfile.ts';
import { isIgnored, readDockerignore } from '../src/dockerignore.ts';
import { repoPath } from '../src/repo.ts';
import { runtimeWorkspaceDependencies, workspaceFolders } from '../src/workspaces.ts';

const built = loadCompose().services.filter((service): service is Service & { build: NonNullable<Service['build']> } => service.build !== undefined);
const nodeServices = built.filter((service) => service.build.context === '.');

function dockerfileOf(service: Service & { build: NonNullable<Service['build']> }): Dockerfile {
  return readDockerfile(repoPath(service.build.context, service.build.dockerfile));
}

describe.each(built.map((service) => [service.name, service] as const))('%s image', (_name, service) => {
  const dockerfile = dockerfileOf(service);
  const context = repoPath(service.build.context);
  const ignoreRules = readDockerignore(context);

  it('copies only paths that exist in its build context and that .dockerignore lets through', () => {
    const sources = dockerfile.stages.flatMap((stage) => copiesOf(stage).filter((copy) => copy.from === undefined).flatMap((copy) => copy.sources));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(repoPath(service.build.context, source)), `${service.build.dockerfile} copies ${source}, which does not exist`).toBe(true);
      expect(isIgnored(source, ignoreRules), `${source} is excluded by ${service.build.context}/.dockerignore`).toBe(false);
    }
  });

  it('copies from build stages that exist', () => {
    const names = dockerfile.stages.map((stage) => stage.name).filter(Boolean);
    for (const stage of dockerfile.stages) {
      for (const copy of copiesOf(stage).filter((candidate) => candidate.from !== undefined)) expect(names).toContain(copy.from);
    }
  });
});

describe.each(nodeServices.map((service) => [service.name, service] as const))('%s Node image', (_name, service) => {
  const folder = dirname(service.build.dockerfile);
  const dockerfile = dockerfileOf(service);
  const [dependencies, runtime] = dockerfile.stages;
  if (!dependencies || !runtime || dockerfile.stages.length !== 2) throw new Error(`${service.build.dockerfile}: expected a dependency stage and a runtime stage`);
  const dependencyCopies = copiesOf(dependencies).flatMap((copy) => copy.sources);
  const runtimeCopies = copiesOf(runtime).filter((copy) => copy.from === undefined).flatMap((copy) => copy.sources);
  const needed = runtimeWorkspaceDependencies(folder);

  it('runs on node:24-slim in both stages', () => {
    expect(dockerfile.stages.map((stage) => stage.from)).toEqual(['node:24-slim', 'node:24-slim']);
  });

  it('installs the production dependencies of this workspace only, with the root lockfile', () => {
    const install = dependencies.instructions.find((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('npm ci'));
    expect(install, 'the dependency stage has no npm ci').toBeDefined();
    const words = argumentsOf(install?.args ?? '');
    expect(words).toContain('--omit=dev');
    expect(words).toContain('--include-workspace-root=false');
    expect(words[words.indexOf('--workspace') + 1]).toBe(folder);
    expect(dependencyCopies).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', `${folder}/package.json`]));
  });

  it('brings every workspace package the service imports at run time, and no other', () => {
    const packageFolders = [...workspaceFolders().values()];
    const copiedWorkspaces = (copies: string[]) =>
      packageFolders.filter((candidate) => candidate !== folder && copies.some((source) => source.startsWith(`${candidate}/`))).sort();
    expect(copiedWorkspaces(dependencyCopies)).toEqual(needed);
    expect(copiedWorkspaces(runtimeCopies)).toEqual(needed);
    for (const workspace of [...needed, folder]) {
      expect(dependencyCopies, `the dependency stage lacks ${workspace}/package.json`).toContain(`${workspace}/package.json`);
      expect(runtimeCopies, `the runtime stage lacks ${workspace}/src`).toContain(`${workspace}/src`);
    }
  });

  it('brings every file the service reads at run time next to its sources', () => {
    // Folders beside src/ that hold data (e.g. stocks-api/data): each must be copied.
    const entries = readdirSync(repoPath(folder), { withFileTypes: true });
    const dataFolders = entries
      .filter((entry) => entry.isDirectory() && !['src', 'test', 'node_modules', '.data'].includes(entry.name))
      .map((entry) => `${folder}/${entry.name}`);
    for (const dataFolder of dataFolders) expect(runtimeCopies, `${dataFolder} is not copied into the image`).toContain(dataFolder);
  });

  it('runs src/main.ts as the unprivileged node user in production mode, with a health check', () => {
    expect(envOf(runtime).NODE_ENV).toBe('production');
    expect(lastInstruction(runtime, 'USER')?.args).toBe('node');
    expect(lastInstruction(runtime, 'WORKDIR')?.args).toBe(posix.join('/app', folder));
    expect(argumentsOf(lastInstruction(runtime, 'CMD')?.args ?? '')).toEqual(['node', 'src/main.ts']);
    const healthcheck = lastInstruction(runtime, 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toContain("fetch('http://127.0.0.1:");
    expect(healthcheck).toContain("/health')");
    // The command the image runs exists.
    expect(existsSync(repoPath(folder, 'src/main.ts')), `${folder}/src/main.ts does not exist`).toBe(true);
  });
});

describe('kong image', () => {
  const kong = built.find((service) => service.name === 'kong');
  if (!kong) throw new Error('docker-compose.yml builds no kong image');
  const dockerfile = dockerfileOf(kong);
  const stage = finalStage(dockerfile);
  const env = envOf(stage);
  const copies = copiesOf(stage);

  it('starts from a pinned open-source Kong 3.x image', () => {
    expect(stage.from).toMatch(/^kong:3\.\d+\.\d+$/);
  });

  it('installs the phantom-token plugin on the Lua path and enables it', () => {
    const plugin = copies.find((copy) => copy.sources.includes('plugins/phantom-token'));
    expect(plugin?.destination).toBe('/usr/local/share/lua/5.1/kong/plugins/phantom-token');
    for (const module of ['handler.lua', 'schema.lua']) expect(existsSync(repoPath('kong/plugins/phantom-token', module))).toBe(true);
    expect(env.KONG_PLUGINS?.split(',')).toEqual(['bundled', 'phantom-token']);
  });

  it("declares the shared dict the plugin caches JWTs in, under the plugin's own name for it", () => {
    const sources = readdirSync(repoPath('kong/plugins/phantom-token'))
      .filter((file) => file.endsWith('.lua'))
      .map((file) => readFileSync(repoPath('kong/plugins/phantom-token', file), 'utf8'))
      .join('\n');
    const dict = /CACHE_DICT\s*=\s*"([^"]+)"/.exec(sources)?.[1];
    expect(dict, 'the plugin names no CACHE_DICT').toBeDefined();
    expect(env.KONG_NGINX_HTTP_LUA_SHARED_DICT).toMatch(new RegExp(`^${dict} \\d+[km]$`));
  });

  it('runs DB-less from the kong.yml it copies', () => {
    expect(env.KONG_DATABASE).toBe('off');
    const config = copies.find((copy) => copy.sources.includes('kong.yml'));
    expect(config?.destination).toBe(env.KONG_DECLARATIVE_CONFIG);
  });

  it('checks kong.yml while building and health-checks the gateway', () => {
    const parse = stage.instructions.find((instruction) => instruction.keyword === 'RUN' && instruction.args.startsWith('kong config parse'));
    expect(parse?.args).toBe(`kong config parse ${env.KONG_DECLARATIVE_CONFIG}`);
    expect(argumentsOf(lastInstruction(stage, 'HEALTHCHECK')?.args.replace(/^.*CMD\s+/, '') ?? '')).toEqual(['kong', 'health']);
  });
});

describe('root .dockerignore', () => {
  const rules = readDockerignore(repoPath('.'));

  it('keeps dependencies, tests, keys and local state out of the build context', () => {
    for (const path of ['node_modules', 'stocks-api/node_modules/x', '.git', 'certs/tls.key', 'stocks-api/test/a.test.ts', '.deploy/curity-secrets.env', '.env', 'authorization-server/.data/provider.sqlite']) {
      expect(isIgnored(path, rules), path).toBe(true);
    }
  });

  it('lets through what the service images copy', () => {
    for (const path of ['package.json', 'package-lock.json', 'data/users.json', 'packages/service-kit/src/index.ts', 'stocks-api/src/main.ts']) {
      expect(isIgnored(path, rules), path).toBe(false);
    }
  });
});

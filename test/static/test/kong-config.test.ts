import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKongConfig, type KongConfig } from '../../../local/gateway/index.ts';
import { describeTopology, launcherSchema } from '../../../local/launcher/topology.ts';
import { VECTORS_JSON as NODE_RUNNER_VECTORS } from '../../../local/test/gateway/helpers.ts';
import { loadCompose, namesOf, serviceNamed, servicesOf } from '../src/compose.ts';
import { REPO_ROOT, repoPath } from '../src/repo.ts';
import { commandExists, run } from '../src/run.ts';

/**
 * kong/kong.yml is shared by Kong (Docker profiles) and the Node gateway
 * (local profile). These checks read it with the local gateway's own loader
 * and hold it against docker-compose.yml.
 */

const KONG_FILE = repoPath('kong/kong.yml');

function loadKong(): KongConfig {
  return loadKongConfig(KONG_FILE);
}

const project = loadCompose();
const kong = serviceNamed(project, 'kong');

/** Upstreams that only the curity profile runs: the Curity admin UI. */
const CURITY_ONLY_SERVICES = new Set(['idsvr-admin']);

describe('kong/kong.yml', () => {
  it('exists', () => {
    expect(existsSync(KONG_FILE)).toBe(true);
  });

  it("is accepted by the local gateway's loader", () => {
    expect(loadKong().routes.length).toBeGreaterThan(0);
  });

  it('routes only host names that resolve to Kong inside the Docker network too', () => {
    const config = loadKong();
    const hosts = [...new Set(config.routes.flatMap((route) => route.hosts))];
    expect(hosts).toEqual(expect.arrayContaining(['mcp.demo.example', 'login.demo.example', 'www.client.example']));
    for (const host of hosts) expect(kong.aliases, `${host} is not a network alias of kong`).toContain(host);
  });

  it('sends every route to a container that exists in both profiles (the Curity admin UI: in its own), on the port it listens on', () => {
    const config = loadKong();
    // The admin UI is a listener of the Curity Identity Server; the open server has none.
    const curityOnly = CURITY_ONLY_SERVICES;
    expect(config.services.map((service) => service.name)).toEqual(expect.arrayContaining([...curityOnly]));
    for (const profile of ['open', 'curity']) {
      const services = servicesOf(project, profile);
      for (const upstream of config.services) {
        if (profile === 'open' && curityOnly.has(upstream.name)) continue;
        const target = services.find((service) => namesOf(service).includes(upstream.host));
        expect(target, `${profile}: kong.yml service ${upstream.name} goes to ${upstream.host}, which no container answers as`).toBeDefined();
        const port = target?.environment.PORT;
        if (port !== undefined) expect(upstream.port, `${profile}: ${upstream.name} -> ${target?.name}`).toBe(Number(port));
      }
    }
  });

  it(
    "takes the gateway's client secret from Kong's environment, the variable docker-compose.yml sets",
    () => {
      const config = loadKong();
      const phantom = config.routes.flatMap((route) => route.plugins.filter((plugin) => plugin.name === 'phantom-token'));
      expect(phantom.length).toBeGreaterThan(0);
      for (const plugin of phantom) {
        const reference = /^\{vault:\/\/env\/([A-Za-z0-9_-]+)\}$/.exec(String(plugin.config.client_secret));
        expect(reference, 'client_secret is written in kong.yml instead of read from the environment').not.toBeNull();
        const variable = (reference?.[1] ?? '').toUpperCase().replaceAll('-', '_');
        expect(kong.environment[variable], `kong has no ${variable} in docker-compose.yml`).toBeTruthy();
        // nginx strips the environment of its workers unless told otherwise.
        expect(kong.environment.KONG_NGINX_MAIN_ENV?.split(/[;\s]+/)).toContain(variable);
        expect(new URL(String(plugin.config.introspection_endpoint)).host).toBe('idsvr:8443');
      }
    },
  );
});

describe('kong/kong.yml in the local profile', () => {
  const topology = describeTopology(launcherSchema.parse({}), []);

  it('is served host by host by the local gateway, leaving out exactly the hosts of Curity-only upstreams', () => {
    const config = loadKong();
    const curityOnlyHosts = new Set(config.routes.filter((route) => CURITY_ONLY_SERVICES.has(route.service.name)).flatMap((route) => route.hosts));
    expect([...curityOnlyHosts]).toEqual(['admin.demo.example']);
    expect([...topology.gateway.unservedHosts].sort()).toEqual([...curityOnlyHosts].sort());

    const allHosts = [...new Set(config.routes.flatMap((route) => route.hosts))].sort();
    const served = Object.keys(topology.gateway.virtualHosts).sort();
    expect(served).toEqual(allHosts.filter((host) => !curityOnlyHosts.has(host)));
  });
});

describe('the phantom-token vectors shared by the Kong plugin and the Node gateway', () => {
  const VECTORS = repoPath('kong/phantom-token-vectors.json');
  const document = JSON.parse(readFileSync(VECTORS, 'utf8')) as { vectors: Array<{ name: string; steps: unknown[] }> };
  const names = document.vectors.map((vector) => vector.name);
  const BUSTED_MISSING = 'busted is not installed: run scripts/system-packages.sh (test.sh does) or apt-get install -y lua-busted lua-cjson';

  it('are a non-empty list of uniquely named vectors, each with steps', () => {
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size, 'two vectors share a name').toBe(names.length);
    for (const vector of document.vectors) expect(vector.steps.length, vector.name).toBeGreaterThan(0);
  });

  it("are the file the Node gateway's vitest runner reads", () => {
    expect(resolve(NODE_RUNNER_VECTORS)).toBe(VECTORS);
  });

  it("are the file the Lua plugin's busted runner reads, and busted passes every one of them", () => {
    expect(commandExists('busted'), BUSTED_MISSING).toBe(true);
    const located = run('lua', ['-e', 'package.path = "./kong/spec/?.lua;" .. package.path; io.write(require("support.vectors").path)']);
    expect(located.status, located.stderr).toBe(0);
    expect(resolve(REPO_ROOT, located.stdout)).toBe(VECTORS);

    const result = run('busted', ['--lpath=./?.lua;./kong/spec/?.lua', '--output=json', 'kong/spec/phantom_token_vectors_spec.lua']);
    const report = JSON.parse(result.stdout) as Record<'successes' | 'failures' | 'errors', Array<{ element: { name: string } }>>;
    expect([...report.failures, ...report.errors].map((test) => test.element.name)).toEqual([]);
    const passed = new Set(report.successes.map((test) => test.element.name));
    for (const name of names) expect(passed.has(name), `busted did not run the vector "${name}"`).toBe(true);
  });
});

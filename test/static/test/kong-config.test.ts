import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadKongConfig, type KongConfig } from '../../../local/gateway/index.ts';
import { loadCompose, namesOf, serviceNamed, servicesOf } from '../src/compose.ts';
import { repoPath } from '../src/repo.ts';

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
    const curityOnly = new Set(['idsvr-admin']);
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

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKongConfig, type KongConfig } from '../../../local/gateway/index.ts';
import { describeTopology, loadSettings } from '../../../local/topology/index.ts';
import { VECTORS_JSON as NODE_RUNNER_VECTORS } from '../../../local/test/gateway/helpers.ts';
import { loadCompose, namesOf, serviceNamed, servicesOf } from '../src/compose.ts';
import { REPO_ROOT, repoPath } from '../src/repo.ts';
import { commandExists, run } from '../src/run.ts';
import { parse } from 'yaml';
import {
  BUNDLED_PLUGINS_USED,
  checkDeclarativeConfig,
  configFieldsFromLua,
  listenerProtocols,
  pluginSchemas,
  serviceTarget,
} from '../src/kong-schema.ts';

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

  it('writes proxy access lines with the Mcp-Method and Mcp-Name headers, in a format Kong injects into its http block', () => {
    // KONG_NGINX_HTTP_LOG_FORMAT becomes `log_format <value>;` in Kong's http block.
    const format = /^(\w+)\s+'(.*)'$/.exec(kong.environment.KONG_NGINX_HTTP_LOG_FORMAT ?? '');
    expect(format, 'docker-compose.yml gives Kong no KONG_NGINX_HTTP_LOG_FORMAT of the form <name> \'<format>\'').not.toBeNull();
    const [, name = '', line = ''] = format ?? [];
    expect(line).toContain('mcp_method="$http_mcp_method"');
    expect(line).toContain('mcp_name="$http_mcp_name"');
    // Only nginx's own variables: the same format runs in plain nginx (test/nginx-gateway).
    expect(line.match(/\$\w+/g)?.filter((variable) => variable.startsWith('$kong'))).toEqual([]);
    expect(kong.environment.KONG_PROXY_ACCESS_LOG?.split(/\s+/)).toEqual(['/dev/stdout', name]);
  });
});

describe('kong/kong.yml in the local profile', () => {
  const topology = describeTopology(loadSettings({}), []);

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

describe("kong/kong.yml against Kong 3.9.1's declarative schema", () => {
  const PHANTOM_SCHEMA = repoPath('kong/plugins/phantom-token/schema.lua');
  const plugins = pluginSchemas(PHANTOM_SCHEMA);
  const raw = parse(readFileSync(KONG_FILE, 'utf8')) as { services: Record<string, unknown>[] };
  const problemsOf = (yaml: string) => checkDeclarativeConfig(parse(yaml), plugins);
  const service = (extra: string, route = '', plugin = '') => `_format_version: "3.0"
services:
  - name: s
    url: http://s:8080
${extra}    routes:
      - name: r
        hosts: [a.example]
${route}${plugin ? `        plugins:\n${plugin}` : ''}`;

  it('has only fields and values Kong 3.9.1 accepts, in every entity and plugin config', () => {
    expect(checkDeclarativeConfig(raw, plugins)).toEqual([]);
  });

  it("reads the phantom-token plugin's fields from its schema.lua", () => {
    const fields = configFieldsFromLua(PHANTOM_SCHEMA);
    expect(Object.keys(fields)).toEqual(['introspection_endpoint', 'client_id', 'client_secret', 'token_cache_seconds', 'scope', 'resource_metadata', 'scope_requirements', 'verify_ssl', 'timeout_ms']);
    expect(fields.scope_requirements).toMatchObject({ type: 'array', hasDefault: true, elements: { type: 'record', fields: { method: { required: true }, scopes: { type: 'array', lenMin: 1 } } } });
    expect(fields.token_cache_seconds).toMatchObject({ type: 'integer', between: [0, 2147483646] });
    expect(fields.introspection_endpoint).toMatchObject({ required: true, url: true });
  });

  it('finds what Kong would refuse', () => {
    const cases: [string, string][] = [
      [service('', '        methodz: [GET]\n'), 'services[0].routes[0].methodz: unknown field'],
      [service('', '        https_redirect_status_code: 303\n'), 'https_redirect_status_code: expected one of: 426, 301, 302, 307, 308'],
      [service('', '        protocols: [spdy]\n'), 'protocols[0]: expected one of'],
      [service('', '        protocols: []\n'), 'protocols: length must be at least 1'],
      [service('    read_timeout: 0\n'), 'services[0].read_timeout: value should be between 1 and 2147483646'],
      [service('    timeout: 5\n'), 'services[0].timeout: unknown field'],
      [service('', '', '          - name: cors\n            config:\n              allow_origin_absent: false\n'), 'config.allow_origin_absent: unknown field'],
      [service('', '', '          - name: rate-limiting\n            config:\n              limit_by: ip\n'), 'at least one of these fields must be non-empty'],
      [service('', '', '          - name: rate-limiting\n            config:\n              minute: 10\n              hour: 5\n'), 'The limit for hour cannot be lower than the limit for minute'],
      [service('', '', '          - name: rate-limiting\n            config:\n              minute: 10\n              policy: cluster\n'), 'config.policy: expected one of: local, redis'],
      [service('', '', '          - name: request-transformer\n            config:\n              add:\n                body: [client_uri]\n'), 'config.add.body[0]: invalid value: client_uri'],
      [service('', '', '          - name: request-transformer\n            config:\n              remove:\n                bodies: [a]\n'), 'config.remove.bodies: unknown field'],
      [service('', '', '          - name: phantom-token\n            config:\n              introspection_endpoint: http://i/x\n              client_id: c\n              client_secret: s\n              cache_seconds: 5\n'), 'config.cache_seconds: unknown field'],
      [service('', '', '          - name: phantom-token\n            config:\n              client_id: c\n              client_secret: s\n'), 'config.introspection_endpoint: required field missing'],
      [service('', '', '          - name: phantom-token\n            config:\n              introspection_endpoint: http://i/x\n              client_id: c\n              client_secret: s\n              scope_requirements:\n                - method: tools/call\n'), 'config.scope_requirements[0].scopes: required field missing'],
      [service('', '', '          - name: phantom-token\n            config:\n              introspection_endpoint: http://i/x\n              client_id: c\n              client_secret: s\n              scope_requirements:\n                - method: tools/call\n                  scopes: []\n'), 'config.scope_requirements[0].scopes: length must be at least 1'],
      [service('', '', '          - name: phantom-token\n            config:\n              introspection_endpoint: http://i/x\n              client_id: c\n              client_secret: s\n              scope_requirements:\n                - method: tools call\n                  scopes: [a]\n'), 'config.scope_requirements[0].method: invalid value: tools call'],
      [service('', '', '          - name: phantom-token\n            config:\n              introspection_endpoint: http://i/x\n              client_id: c\n              client_secret: s\n              scope_requirements:\n                - method: tools/call\n                  scopes: [\'a"b\']\n'), 'config.scope_requirements[0].scopes[0]: invalid value: a"b'],
      [service('', '', '          - name: phantom-token\n            config:\n              introspection_endpoint: http://i/x\n              client_id: c\n              client_secret: s\n              scope_requirements:\n                - method: tools/call\n                  tool: x\n                  scopes: [a]\n'), 'config.scope_requirements[0].tool: unknown field'],
      [service('', '', '          - name: response-transformer-advanced\n'), "plugin 'response-transformer-advanced' not enabled"],
      [service('', '', '          - name: cors\n            service: s\n'), 'plugins[0].service: unknown field'],
      [service('    host: s\n'), 'url cannot be combined with protocol, host, port or path'],
      [service('').replace('"3.0"', '"4.0"'), '_format_version: expected one of: 1.1, 2.1, 3.0'],
    ];
    for (const [yaml, expected] of cases) {
      const problems = problemsOf(yaml);
      expect(problems.some((problem) => problem.includes(expected)), `${expected}\n${problems.join('\n')}`).toBe(true);
    }
  });

  it("names only plugins that Kong 3.9.1 bundles or that the image adds (KONG_PLUGINS in kong/Dockerfile)", () => {
    const dockerfile = readFileSync(repoPath('kong/Dockerfile'), 'utf8');
    const enabled = /KONG_PLUGINS=(\S+)/.exec(dockerfile)?.[1]?.split(',') ?? [];
    expect(enabled).toContain('bundled');
    const used = new Set(
      raw.services.flatMap((entry) => [entry, ...((entry.routes as Record<string, unknown>[] | undefined) ?? [])]).flatMap((entity) => ((entity.plugins as { name: string }[] | undefined) ?? []).map((p) => p.name)),
    );
    for (const name of used) expect([...BUNDLED_PLUGINS_USED, ...enabled.filter((entry) => entry !== 'bundled')], name).toContain(name);
  });

  it('serves every route only over https, and redirects the plain HTTP listener that docker-compose.yml opens', () => {
    const listeners = listenerProtocols(kong.environment.KONG_PROXY_LISTEN ?? '');
    expect([...listeners].sort()).toEqual(['http', 'https']);
    for (const entry of raw.services.flatMap((s) => (s.routes as Record<string, unknown>[]) ?? [])) {
      expect(entry.protocols, String(entry.name)).toEqual(['https']);
      // Without a 3xx, Kong answers 426 on port 80 instead of sending the browser on.
      expect([301, 302, 307, 308], String(entry.name)).toContain(entry.https_redirect_status_code);
    }
  });

  it("speaks each upstream's own scheme on its own port: plain HTTP inside the network, Curity's listeners as environment.xml configures them", () => {
    const environment = readFileSync(repoPath('idsvr-config/config/environment.xml'), 'utf8');
    const adminHttp = /<admin-service>[\s\S]*?<http>([\s\S]*?)<\/http>/.exec(environment)?.[1] ?? '';
    const serviceRole = /<service-role>([\s\S]*?)<\/service-role>/.exec(environment)?.[1] ?? '';
    expect(adminHttp, 'environment.xml has no admin-service/http').not.toBe('');
    expect(serviceRole, 'environment.xml has no service-role').not.toBe('');
    // Curity's configuration reference: admin-service/http listening-port
    // defaults to 6749 and, "When no key is configured [ssl-server-keystore],
    // the admin will be served on a http connection instead of an https";
    // a service role listens on 8443 unless listening-port says otherwise.
    const admin = {
      protocol: /<ssl-server-keystore>/.test(adminHttp) ? 'https' : 'http',
      port: Number(/<listening-port>(\d+)</.exec(adminHttp)?.[1] ?? 6749),
    };
    const runtime = {
      protocol: /<protocol>(https?)<\/protocol>/.exec(serviceRole)?.[1] ?? 'https',
      port: Number(/<listening-port>(\d+)</.exec(serviceRole)?.[1] ?? 8443),
    };
    for (const entry of raw.services) {
      const target = serviceTarget(entry);
      if (target.host === 'idsvr') {
        const expected = target.port === admin.port ? admin : runtime;
        expect(target, String(entry.name)).toEqual({ ...expected, host: 'idsvr' });
      } else {
        // Every other upstream is a Node service or maildev serving plain HTTP.
        expect(target.protocol, String(entry.name)).toBe('http');
      }
    }
  });
});

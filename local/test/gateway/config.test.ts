import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GatewayMappingError, KongConfigError, loadKongConfig, parseKongConfig, startGateway, type Gateway } from '../../gateway/index.ts';
import { KONG_YML, quietLogger, startServer, type TestServer } from './helpers.ts';

const LOCAL_UPSTREAMS = {
  'utility-mcp-server:3000': 'http://127.0.0.1:3000',
  'stocks-api:3001': 'http://127.0.0.1:3001',
  'client-metadata:3002': 'http://127.0.0.1:3002',
  'idsvr:8443': 'http://127.0.0.1:8443',
  'maildev:1080': 'http://127.0.0.1:1080',
};
const ALL_HOSTS = ['mcp.demo.example', 'api.demo.example', 'login.demo.example', 'mail.demo.example', 'www.client.example'];
const anyPorts = (hosts = ALL_HOSTS) => Object.fromEntries(hosts.map((host) => [host, { port: 0 }]));

function problemsOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(KongConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

const minimal = (route: string, extra = '') => `_format_version: "3.0"
services:
  - name: demo
    url: http://demo:8080
    routes:
      - name: demo-route
        hosts:
          - demo.example
${route}
${extra}`;

describe('kong/kong.yml', () => {
  const config = loadKongConfig(KONG_YML);
  const route = (name: string) => {
    const found = config.routes.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`kong.yml has no route ${name}`);
    return found;
  };

  it('routes every external host to its Docker upstream', () => {
    const summary = config.routes.map((r) => [r.hosts.join(','), r.paths.join(','), `${r.service.protocol}://${r.service.host}:${r.service.port}`, r.stripPath, r.preserveHost]);
    expect(summary).toEqual([
      ['mcp.demo.example', '/', 'http://utility-mcp-server:3000', false, false],
      ['mcp.demo.example', '/.well-known/oauth-protected-resource', 'http://utility-mcp-server:3000', false, false],
      ['api.demo.example', '/stocks', 'http://stocks-api:3001', false, false],
      ['login.demo.example', '/', 'http://idsvr:8443', false, true],
      ['login.demo.example', '/.well-known/,/oauth/v2/oauth-anonymous', 'http://idsvr:8443', false, true],
      ['login.demo.example', '/oauth/v2/oauth-token', 'http://idsvr:8443', false, true],
      ['login.demo.example', '/token-service/oauth-registration', 'http://idsvr:8443', false, true],
      ['mail.demo.example', '/', 'http://maildev:1080', false, false],
      ['www.client.example', '/', 'http://client-metadata:3002', false, false],
      // Curity's admin service is plain HTTP without an ssl-server-keystore.
      ['admin.demo.example', '/', 'http://idsvr:6749', false, true],
    ]);
  });

  it('serves every route over https only, redirecting plain HTTP with 308', () => {
    const raw = parse(readFileSync(KONG_YML, 'utf8')) as { services: { routes: { name: string; https_redirect_status_code?: number }[] }[] };
    for (const entry of raw.services.flatMap((service) => service.routes)) expect(entry.https_redirect_status_code, entry.name).toBe(308);
    for (const entry of config.routes) expect(entry.protocols, entry.name).toEqual(['https']);
  });

  it('gives the authorization server services short timeouts, so a frozen server does not hold a login page a minute', () => {
    for (const name of ['idsvr', 'idsvr-oauth']) {
      const service = config.services.find((candidate) => candidate.name === name);
      expect(service, name).toMatchObject({ connectTimeoutMs: 5000, writeTimeoutMs: 10000, readTimeoutMs: 10000 });
    }
  });

  it('limits registration per caller, strips client_uri from it, and limits the token endpoint generously', () => {
    const registration = route('idsvr-registration-route');
    expect(registration.plugins.map((p) => p.name)).toEqual(['rate-limiting', 'request-transformer', 'cors']);
    expect(registration.plugins.find((p) => p.name === 'rate-limiting')?.config).toMatchObject({ minute: 60, hour: 600, limit_by: 'ip', policy: 'local' });
    expect(registration.plugins.find((p) => p.name === 'request-transformer')?.config).toMatchObject({ remove: { body: ['client_uri'] } });
    const token = route('idsvr-token-route');
    expect(token.plugins.map((p) => p.name)).toEqual(['rate-limiting', 'cors']);
    expect(token.plugins.find((p) => p.name === 'rate-limiting')?.config).toMatchObject({ minute: 300, hour: 3000, limit_by: 'ip', policy: 'local' });
  });

  it('protects the MCP entry point and the stocks API with the phantom token, not the metadata', () => {
    expect(route('mcp-server-route').plugins.map((p) => p.name)).toEqual(['cors', 'phantom-token']);
    expect(route('mcp-protected-resource-metadata-route').plugins.map((p) => p.name)).toEqual(['cors']);
    expect(route('stocks-api-route').plugins.map((p) => p.name)).toEqual(['phantom-token']);
    for (const name of ['idsvr-route', 'maildev-route', 'client-metadata-route']) expect(route(name).plugins).toEqual([]);
    expect(route('idsvr-metadata-route').plugins.map((p) => p.name)).toEqual(['cors']);
  });

  it('configures introspection as the seed does, with the secret from the environment vault', () => {
    const mcp = route('mcp-server-route').plugins.find((p) => p.name === 'phantom-token');
    expect(mcp?.config).toEqual({
      introspection_endpoint: 'http://idsvr:8443/oauth/v2/oauth-introspect',
      client_id: 'api-gateway-client',
      client_secret: '{vault://env/gateway_client_secret}',
      // A revoked token passes for at most this long (bounded by its lifetime).
      token_cache_seconds: 60,
      scope: 'stocks/read',
      resource_metadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
      // Step-up for the one tool that writes.
      scope_requirements: [{ method: 'tools/call', name: 'place-order', scopes: ['stocks/trade'] }],
      verify_ssl: true,
      timeout_ms: 5000,
    });
    const api = route('stocks-api-route').plugins.find((p) => p.name === 'phantom-token');
    expect(api?.config).toEqual({ ...mcp?.config, resource_metadata: undefined, scope_requirements: [] });
  });

  it('allows the MCP Inspector origin with the same CORS settings on both MCP routes', () => {
    const cors = route('mcp-server-route').plugins.find((p) => p.name === 'cors');
    expect(cors?.config).toMatchObject({
      origins: ['http://localhost:6274'],
      methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      headers: ['Authorization', 'Content-Type', 'Accept', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Mcp-Method', 'Mcp-Name', 'Last-Event-ID'],
      exposed_headers: ['WWW-Authenticate', 'Mcp-Session-Id'],
      credentials: false,
      preflight_continue: false,
    });
    expect(route('mcp-protected-resource-metadata-route').plugins.find((p) => p.name === 'cors')?.config).toEqual(cors?.config);
  });
});

describe('unsupported Kong configuration', () => {
  it('refuses an unknown plugin, naming it and where it is', () => {
    const message = problemsOf(() =>
      parseKongConfig(minimal('        plugins:\n          - name: response-ratelimiting\n            config:\n              limits:\n                sms:\n                  minute: 5'), 'kong.yml'),
    );
    expect(message).toContain('line 10: services[0].routes[0].plugins[0].name: plugin "response-ratelimiting" is not supported');
    expect(message).toContain('(supported: cors, phantom-token, rate-limiting, request-transformer)');
  });

  it('refuses the parts of rate-limiting and request-transformer it does not implement', () => {
    const plugin = (name: string, config: string) => minimal(`        plugins:\n          - name: ${name}\n            config:\n${config}`);
    const cases: [string, string][] = [
      [plugin('rate-limiting', '              minute: 5\n              policy: redis'), 'only the local policy is supported'],
      [plugin('rate-limiting', '              minute: 5\n              limit_by: header\n              header_name: x-caller'), 'limits per client address only'],
      [plugin('rate-limiting', '              limit_by: ip'), 'at least one of second, minute, hour, day, month, year is required'],
      [plugin('rate-limiting', '              minute: 50\n              hour: 10'), 'the limit for hour cannot be lower than the limit for minute'],
      [plugin('rate-limiting', '              minute: 5\n              sync_rate: 10'), 'sync_rate can only be used with the redis policy'],
      [plugin('request-transformer', '              add:\n                body:\n                  - a:b'), 'add.body is not supported by the local gateway'],
      [plugin('request-transformer', '              remove:\n                headers:\n                  - x-a'), 'remove.headers is not supported by the local gateway'],
      [plugin('request-transformer', '              http_method: GET'), 'http_method is not supported by the local gateway'],
      [plugin('cors', '              allow_origin_absent: false'), 'services[0].routes[0].plugins[0].config.allow_origin_absent: is not supported by the local gateway'],
      [minimal('        protocols: [grpcs]'), 'only http and https routes are supported by the local gateway'],
      [minimal('        protocols: [https]\n        https_redirect_status_code: 303'), 'services[0].routes[0].https_redirect_status_code'],
    ];
    for (const [yaml, expected] of cases) expect(problemsOf(() => parseKongConfig(yaml, 'kong.yml')), expected).toContain(expected);
  });

  it('accepts the Kong settings it implements', () => {
    const config = parseKongConfig(
      minimal(
        '        protocols: [https]\n        https_redirect_status_code: 308\n        plugins:\n          - name: rate-limiting\n            config:\n              second: 2\n              minute: 5\n              limit_by: consumer\n          - name: request-transformer\n            config:\n              remove:\n                body: [client_uri]',
      ),
      'kong.yml',
    );
    expect(config.routes[0]?.protocols).toEqual(['https']);
    expect(config.routes[0]?.plugins.map((p) => p.name)).toEqual(['rate-limiting', 'request-transformer']);
  });

  it('refuses route methods', () => {
    expect(problemsOf(() => parseKongConfig(minimal('        methods:\n          - GET'), 'kong.yml'))).toContain(
      'line 9: services[0].routes[0].methods: is not supported by the local gateway',
    );
  });

  it('refuses regex paths', () => {
    expect(problemsOf(() => parseKongConfig(minimal('        paths:\n          - ~/items/\\d+$'), 'kong.yml'))).toMatch(
      /line 10: services\[0\]\.routes\[0\]\.paths\[0\]: regex paths are not supported/,
    );
  });

  it('refuses unknown keys at every level', () => {
    const message = problemsOf(() =>
      parseKongConfig(
        minimal(
          '        plugins:\n          - name: phantom-token\n            config:\n              introspection_endpoint: http://idsvr:8443/i\n              client_id: gateway\n              client_secret: secret\n              cache_seconds: 60',
          'consumers:\n  - username: someone',
        ),
        'kong.yml',
      ),
    );
    expect(message).toContain('consumers: is not supported by the local gateway');
    // The document-level problem is reported first; fix it and the plugin one shows.
    const pluginMessage = problemsOf(() =>
      parseKongConfig(
        minimal(
          '        plugins:\n          - name: phantom-token\n            config:\n              introspection_endpoint: http://idsvr:8443/i\n              client_id: gateway\n              client_secret: secret\n              cache_seconds: 60',
        ),
        'kong.yml',
      ),
    );
    expect(pluginMessage).toContain('line 15: services[0].routes[0].plugins[0].config.cache_seconds: is not supported by the local gateway');
  });

  it('refuses wildcard hosts, other vaults, other format versions and other path handling', () => {
    const wildcard = minimal('').replace('- demo.example', '- "*.demo.example"');
    expect(problemsOf(() => parseKongConfig(wildcard, 'kong.yml'))).toContain('wildcard hosts are not supported');
    const vault = minimal(
      '        plugins:\n          - name: phantom-token\n            config:\n              introspection_endpoint: http://idsvr:8443/i\n              client_id: gateway\n              client_secret: "{vault://aws/secret}"',
    );
    expect(problemsOf(() => parseKongConfig(vault, 'kong.yml'))).toContain('config.client_secret: only {vault://env/<name>} references are supported');
    expect(problemsOf(() => parseKongConfig(minimal('').replace('"3.0"', '"2.1"'), 'kong.yml'))).toContain('_format_version must be "3.0"');
    expect(problemsOf(() => parseKongConfig(minimal('        path_handling: v1'), 'kong.yml'))).toContain('only path_handling v0');
  });

  it('refuses regex CORS origins and routes without hosts', () => {
    const regexOrigin = minimal('        plugins:\n          - name: cors\n            config:\n              origins:\n                - "https://.*\\\\.example"');
    expect(problemsOf(() => parseKongConfig(regexOrigin, 'kong.yml'))).toContain('regular expression origins are not supported');
    const noHosts = minimal('').replace('        hosts:\n          - demo.example\n', '        paths:\n          - /\n');
    expect(problemsOf(() => parseKongConfig(noHosts, 'kong.yml'))).toContain('services[0].routes[0].hosts');
  });

  it('refuses ambiguous routes and duplicate YAML keys', () => {
    const twice = `_format_version: "3.0"
services:
  - name: demo
    url: http://demo:8080
    routes:
      - name: first
        hosts: [demo.example]
        paths: [/a]
      - name: second
        hosts: [demo.example]
        paths: [/a]
`;
    expect(problemsOf(() => parseKongConfig(twice, 'kong.yml'))).toContain('host demo.example path /a is already routed by "first"');
    const duplicate = minimal('        strip_path: true\n        strip_path: false');
    expect(problemsOf(() => parseKongConfig(duplicate, 'kong.yml'))).toContain('line 10: Map keys must be unique');
  });

  it('names a file it cannot read', () => {
    expect(problemsOf(() => loadKongConfig('/nonexistent/kong.yml'))).toContain('/nonexistent/kong.yml: configuration not supported by the local gateway\n  - cannot be read: ENOENT');
  });
});

describe('local mapping', () => {
  let gateway: Gateway | undefined;
  let blocker: TestServer | undefined;
  afterEach(async () => {
    await gateway?.close();
    await blocker?.close();
    gateway = undefined;
    blocker = undefined;
  });

  const start = (overrides: Partial<Parameters<typeof startGateway>[0]> = {}) =>
    startGateway({
      kongConfigPath: KONG_YML,
      virtualHosts: anyPorts(),
      upstreams: LOCAL_UPSTREAMS,
      env: { GATEWAY_CLIENT_SECRET: 'Password1' },
      unservedHosts: ['admin.demo.example'],
      logger: quietLogger,
      ...overrides,
    });

  it('starts with every host and upstream mapped and reports the actual URLs', async () => {
    gateway = await start();
    expect(Object.keys(gateway.urls).sort()).toEqual([...ALL_HOSTS].sort());
    for (const host of ALL_HOSTS) expect(gateway.urls[host]).toBe(`http://127.0.0.1:${gateway.ports[host]}`);
  });

  it('names unmapped upstreams, hosts and secrets before opening any port', async () => {
    const { 'stocks-api:3001': _stocks, ...upstreams } = LOCAL_UPSTREAMS;
    const hosts = ALL_HOSTS.filter((host) => host !== 'api.demo.example');
    const error = await start({ upstreams, virtualHosts: { ...anyPorts(hosts), 'admin.demo.example': { port: 0 } }, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayMappingError);
    const message = (error as Error).message;
    expect(message).toContain('service stocks-api (services[1]) needs upstreams["stocks-api:3001"]');
    expect(message).toContain('host api.demo.example (services[1].routes[0]) has no entry in virtualHosts');
    expect(message).toContain('virtualHosts["admin.demo.example"] is not a host of any route');
    expect(message).toContain('refers to environment variable GATEWAY_CLIENT_SECRET, which is not set');
  });

  it('leaves out hosts declared unserved, and names them when they are neither mapped nor declared', async () => {
    gateway = await start();
    expect(Object.keys(gateway.urls)).not.toContain('admin.demo.example');
    await gateway.close();
    gateway = undefined;
    const error = await start({ unservedHosts: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayMappingError);
    expect((error as Error).message).toContain('host admin.demo.example (services[6].routes[0]) has no entry in virtualHosts');
    expect((error as Error).message).toContain('service idsvr-admin (services[6]) needs upstreams["idsvr:6749"]');
  });

  it('refuses to serve https-only routes to another machine over plain HTTP, and accepts loopback or https public URLs', async () => {
    const error = await start({ virtualHosts: { ...anyPorts(), 'login.demo.example': { port: 0, publicBaseUrl: 'http://gateway.example:3102' } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayMappingError);
    expect((error as Error).message).toContain(
      'virtualHosts["login.demo.example"].publicBaseUrl http://gateway.example:3102 is plain HTTP to another machine, but route idsvr-route (services[2].routes[0]) is https only',
    );
    for (const publicBaseUrl of ['http://127.0.0.1:3102', 'http://localhost:3102', 'http://[::1]:3102', 'https://login.example.org']) {
      gateway = await start({ virtualHosts: { ...anyPorts(), 'login.demo.example': { port: 0, publicBaseUrl } } });
      await gateway.close();
      gateway = undefined;
    }
  });

  it('serves a route that allows plain HTTP to any public URL', async () => {
    const file = (await import('./helpers.ts')).writeKongConfig(
      '_format_version: "3.0"\nservices:\n  - name: s\n    url: http://s:1\n    routes:\n      - name: r\n        hosts: [a.test]\n        protocols: [http, https]\n',
    );
    gateway = await startGateway({
      kongConfigPath: file,
      virtualHosts: { 'a.test': { port: 0, publicBaseUrl: 'http://a.example.org' } },
      upstreams: { 's:1': 'http://127.0.0.1:1' },
      logger: quietLogger,
    });
    expect(gateway.urls['a.test']).toBe('http://a.example.org');
  });

  it('names an unmapped introspection endpoint', async () => {
    const config = (await import('node:fs')).readFileSync(KONG_YML, 'utf8').replaceAll('http://idsvr:8443/oauth/v2/oauth-introspect', 'http://introspection:9000/introspect');
    const file = (await import('./helpers.ts')).writeKongConfig(config);
    await expect(start({ kongConfigPath: file })).rejects.toThrow('introspection endpoint http://introspection:9000/introspect (services[0].routes[0].plugins[1]) needs upstreams["introspection:9000"]');
  });

  it('refuses mapping values that are not origins', async () => {
    await expect(start({ upstreams: { ...LOCAL_UPSTREAMS, 'idsvr:8443': 'http://127.0.0.1:8443/oauth' } })).rejects.toThrow(
      'upstreams.idsvr:8443: must be an origin such as http://127.0.0.1:3000, without path or query',
    );
  });

  it('refuses nonsensical limits', async () => {
    await expect(start({ bodyLimitBytes: -1 })).rejects.toThrow('gateway: invalid options\n  - bodyLimitBytes:');
  });

  it('names the port and the virtual host when a port is taken', async () => {
    blocker = await startServer(() => undefined);
    const virtualHosts = { ...anyPorts(), 'login.demo.example': { port: blocker.port } };
    await expect(start({ virtualHosts })).rejects.toThrow(`virtual host login.demo.example: port ${blocker.port} on 127.0.0.1 is already in use`);
  });
});

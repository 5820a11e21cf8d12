import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateGateway, GatewayConfigError, type GatewayMapping } from '../src/gateway-config.ts';
import { mainConfig, NGINX_BINARY, nginxUnavailable, REPO_ROOT } from '../src/nginx.ts';

/**
 * The kong.yml -> nginx generator: what it routes, what it hands the Lua
 * plugin, and what it leaves to Kong (listed, never silently dropped). The
 * last test has nginx itself check the configuration made from the real
 * kong/kong.yml.
 */

const mapping: GatewayMapping = {
  virtualHosts: { 'mcp.demo.example': { port: 4100 }, 'api.demo.example': { port: 4101 }, 'login.demo.example': { port: 4102 } },
  upstreams: { 'mcp:3000': 'http://127.0.0.1:5000', 'api:3001': 'http://127.0.0.1:5001', 'idsvr:8443': 'http://127.0.0.1:5002' },
  publicUrls: { 'https://mcp.demo.example': 'http://127.0.0.1:4100' },
  unservedHosts: ['admin.demo.example'],
};

const phantomToken = `
          - name: phantom-token
            config:
              introspection_endpoint: http://idsvr:8443/oauth/v2/oauth-introspect
              client_id: api-gateway-client
              client_secret: "{vault://env/gateway-client_secret}"
              token_cache_seconds: 900
              resource_metadata: https://mcp.demo.example/.well-known/oauth-protected-resource`;

const yaml = `
_format_version: "3.0"
services:
  - name: mcp
    url: http://mcp:3000/
    read_timeout: 15000
    future_service_key: true
    routes:
      - name: mcp-route
        hosts: [mcp.demo.example]
        paths: [/]
        strip_path: false
        response_buffering: false
        protocols: [https]
        plugins:
          - name: cors
            config: { origins: [http://localhost:6274] }
${phantomToken}
  - name: api
    url: http://api:3001/v1
    routes:
      - name: api-route
        hosts: [api.demo.example]
        paths: [/stocks]
        plugins:
          - name: phantom-token
            enabled: false
            config: {}
  - name: idsvr
    url: http://idsvr:8443
    routes:
      - name: login-route
        hosts: [login.demo.example]
        preserve_host: true
        strip_path: false
  - name: admin
    url: https://idsvr:6749
    routes:
      - name: admin-route
        hosts: [admin.demo.example]
`;

describe('kong.yml to nginx', () => {
  const generated = generateGateway(yaml, mapping);

  it('serves each virtual host on its port, skipping unserved hosts and their services', () => {
    expect(generated.ports).toEqual([4100, 4101, 4102]);
    expect(generated.servers).toContain('listen 127.0.0.1:4100;');
    expect(generated.servers).not.toContain('6749');
  });

  it('hands the route its phantom-token settings with local addresses, leaving the vault reference to nginx', () => {
    expect(generated.plugins.routes['mcp-route']).toEqual([
      {
        name: 'phantom-token',
        config: {
          introspection_endpoint: 'http://127.0.0.1:5002/oauth/v2/oauth-introspect',
          client_id: 'api-gateway-client',
          client_secret: '{vault://env/gateway-client_secret}',
          token_cache_seconds: 900,
          resource_metadata: 'http://127.0.0.1:4100/.well-known/oauth-protected-resource',
        },
      },
    ]);
    expect(generated.env).toEqual(['GATEWAY_CLIENT_SECRET']);
    expect(generated.servers).toContain('access_by_lua_block { require("kong_adapter").access("mcp-route") }');
  });

  it('runs no plugin on a route whose plugin is disabled', () => {
    expect(generated.plugins.routes['api-route']).toBeUndefined();
    expect(generated.servers).not.toContain('access("api-route")');
  });

  it("applies the route's strip_path, preserve_host, buffering and the service's timeouts", () => {
    const block = (route: string) => generated.servers.split('location ').find((part) => part.includes(`# route ${route} `)) ?? '';
    expect(block('mcp-route')).toContain('proxy_pass http://127.0.0.1:5000;');
    expect(block('mcp-route')).toContain('proxy_buffering off;');
    expect(block('mcp-route')).toContain('proxy_read_timeout 15000ms;');
    expect(block('mcp-route')).toContain('proxy_set_header Host $proxy_host;');
    expect(block('api-route')).toMatch(/^\^~ \/stocks \{/);
    expect(block('api-route')).toContain('rewrite ^/stocks/?(.*)$ /v1/$1 break;');
    expect(block('login-route')).toContain('proxy_set_header Host $http_host;');
  });

  it("lists what it leaves to Kong with the reason, and does not run Kong's bundled plugins", () => {
    expect(generated.skipped).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^services\[0\]\.future_service_key: /),
        expect.stringMatching(/^services\[0\]\.routes\[0\]\.protocols \(route mcp-route\): the local profile listens on plain HTTP only/),
        expect.stringMatching(/^services\[0\]\.routes\[0\]\.plugins\[0\] plugin cors \(route mcp-route\): one of Kong's bundled plugins/),
        'services[3].routes[0] (route admin-route): admin.demo.example not served in this profile',
      ]),
    );
    expect(generated.skipped).toHaveLength(4);
    expect(JSON.stringify(generated.plugins)).not.toContain('cors');
  });

  it('lists a route without hosts instead of guessing a port for it', () => {
    const hostless = generateGateway(`${yaml}      - name: anywhere-route\n        paths: [/anywhere]\n`, mapping);
    expect(hostless.skipped).toContain('services[3].routes[1] (route anywhere-route): a route without hosts; the local profile serves each host on its own port');
  });

  it('routes a second route with the same host and path only once, and says so', () => {
    const twin = '  - name: idsvr-posts\n    url: http://idsvr:8443\n    routes:\n      - name: login-twin-route\n        hosts: [login.demo.example]\n        methods: [POST]\n';
    const twice = generateGateway(`${yaml}${twin}`, mapping);
    expect(twice.skipped).toEqual(
      expect.arrayContaining([
        'services[4].routes[0].methods (route login-twin-route): a Kong route setting this nginx gateway does not reproduce',
        'services[4].routes[0].paths / (route login-twin-route): host login.demo.example path / is already routed by login-route',
      ]),
    );
  });

  it('refuses what it cannot route, naming every problem', () => {
    const broken = yaml.replace('url: http://api:3001/v1', 'url: http://elsewhere:9/').replace('hosts: [login.demo.example]', 'hosts: [other.example]');
    expect(() => generateGateway(broken, mapping)).toThrow(GatewayConfigError);
    expect(() => generateGateway(broken, mapping)).toThrow(/upstream elsewhere:9 has no local address[\s\S]*host other\.example has no port/);
  });

  it.skipIf(nginxUnavailable())('makes a configuration of kong/kong.yml that nginx accepts', () => {
    const topology = {
      virtualHosts: {
        'mcp.demo.example': { port: 4100 },
        'api.demo.example': { port: 4101 },
        'login.demo.example': { port: 4102 },
        'mail.demo.example': { port: 4103 },
        'www.client.example': { port: 4104 },
      },
      upstreams: {
        'utility-mcp-server:3000': 'http://127.0.0.1:5000',
        'stocks-api:3001': 'http://127.0.0.1:5001',
        'idsvr:8443': 'http://127.0.0.1:5002',
        'maildev:1080': 'http://127.0.0.1:5003',
        'client-metadata:3002': 'http://127.0.0.1:5004',
      },
      publicUrls: {},
      unservedHosts: ['admin.demo.example'],
    };
    const real = generateGateway(readFileSync(join(REPO_ROOT, 'kong/kong.yml'), 'utf8'), topology);
    expect(Object.keys(real.plugins.routes).length).toBeGreaterThan(0);
    const prefix = mkdtempSync(join(tmpdir(), 'nginx-check-'));
    mkdirSync(join(prefix, 'temp'));
    try {
      const pluginsFile = join(prefix, 'plugins.json');
      writeFileSync(pluginsFile, JSON.stringify(real.plugins));
      writeFileSync(join(prefix, 'nginx.conf'), mainConfig({ prefix, env: real.env, pluginsFile, http: real.servers }));
      const check = spawnSync(NGINX_BINARY, ['-t', '-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', GATEWAY_CLIENT_SECRET: 'demo' },
      });
      expect(check.stderr).toContain('test is successful');
      expect(check.status).toBe(0);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});

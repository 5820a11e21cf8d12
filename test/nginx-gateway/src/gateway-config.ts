import { parse } from 'yaml';
import { mapPublicUrl, upstreamKey } from '../../../local/gateway/mapping.ts';

/**
 * Turns kong/kong.yml into nginx server blocks for the local profile: one
 * server per virtual host port, one location per route path, proxying to
 * where the launcher runs each upstream, with the phantom-token plugin in
 * the access phase of the routes that configure it.
 *
 * It reproduces what Kong's own router and proxy do with the keys it knows
 * (hosts, paths, strip_path, preserve_host, request/response_buffering,
 * service url and timeouts). Everything else is Kong's own code, not this
 * project's: bundled plugins, TLS-only routing, and keys added later are
 * skipped, each with the reason in `skipped`, rather than pretended to run.
 * It reads kong.yml tolerantly; only what it cannot route is an error.
 */

/** Plugins of this repository, run for real in nginx; every other name is one of Kong's. */
export const OWN_PLUGINS = ['phantom-token'];

const ROUTE_KEYS_HANDLED = ['name', 'hosts', 'paths', 'strip_path', 'preserve_host', 'request_buffering', 'response_buffering', 'plugins', 'tags', 'path_handling'];
const SERVICE_KEYS_HANDLED = ['name', 'url', 'protocol', 'host', 'port', 'path', 'connect_timeout', 'read_timeout', 'write_timeout', 'routes', 'plugins', 'tags'];

const SKIP_REASONS: Record<string, string> = {
  protocols: 'the local profile listens on plain HTTP only; which protocols Kong accepts on its HTTPS listener is not reproduced',
  https_redirect_status_code: 'Kong answers HTTP requests on HTTPS-only routes with this status; the local profile has no HTTPS listener',
};

export interface GatewayMapping {
  virtualHosts: Record<string, { port: number }>;
  /** "<host>:<port>" as kong.yml names an upstream -> local origin. */
  upstreams: Record<string, string>;
  /** External URL prefixes in plugin settings -> local ones. */
  publicUrls: Record<string, string>;
  unservedHosts: string[];
}

export interface GeneratedGateway {
  /** server { } blocks for the http context. */
  servers: string;
  /** The file kong_adapter.init() reads: plugins by route name. */
  plugins: { routes: Record<string, Array<{ name: string; config: Record<string, unknown> }>> };
  /** Environment variables that {vault://env/...} references name (nginx must pass them on). */
  env: string[];
  ports: number[];
  /** What kong.yml asks for that nginx does not do here, one line each, with the reason. */
  skipped: string[];
}

type Entry = Record<string, unknown>;

const isEntry = (value: unknown): value is Entry => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const strings = (value: unknown): string[] => list(value).filter((item): item is string => typeof item === 'string');

export class GatewayConfigError extends Error {
  constructor(problems: string[]) {
    super(`kong.yml cannot be served by nginx:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'GatewayConfigError';
  }
}

interface Target {
  origin: string;
  /** undefined: no path (Kong treats it as "/"). */
  path: string | undefined;
}

function serviceTarget(service: Entry, mapping: GatewayMapping, at: string, problems: string[]): Target | undefined {
  let url: URL;
  let path: string | undefined;
  if (typeof service.url === 'string') {
    url = new URL(service.url);
    path = /^[a-z]+:\/\/[^/]+\//i.test(service.url) ? url.pathname : undefined;
  } else {
    const protocol = typeof service.protocol === 'string' ? service.protocol : 'http';
    url = new URL(`${protocol}://${String(service.host)}${service.port ? `:${String(service.port)}` : ''}`);
    path = typeof service.path === 'string' ? service.path : undefined;
  }
  const key = upstreamKey(url);
  const origin = mapping.upstreams[key];
  if (!origin) {
    problems.push(`${at}: upstream ${key} has no local address in the mapping`);
    return undefined;
  }
  return { origin: origin.replace(/\/+$/, ''), path };
}

/** The most specific configuration of each plugin wins: route, then service, then global (Kong's rule). */
function pluginsOf(levels: Array<{ entries: unknown[]; at: string }>): Array<{ name: string; config: Entry; enabled: boolean; at: string }> {
  const byName = new Map<string, { name: string; config: Entry; enabled: boolean; at: string }>();
  for (const level of levels) {
    level.entries.forEach((entry, index) => {
      if (!isEntry(entry) || typeof entry.name !== 'string' || byName.has(entry.name)) return;
      byName.set(entry.name, { name: entry.name, config: isEntry(entry.config) ? entry.config : {}, enabled: entry.enabled !== false, at: `${level.at}.plugins[${index}]` });
    });
  }
  return [...byName.values()];
}

const ENV_VAULT = /^\{vault:\/\/env\/([A-Za-z0-9_-]+)\}$/;

/** The plugin's settings with kong.yml's Docker names replaced by where things run locally. */
function localPhantomTokenConfig(config: Entry, mapping: GatewayMapping, at: string, problems: string[], env: Set<string>): Entry {
  const local: Entry = { ...config };
  if (typeof config.introspection_endpoint === 'string') {
    const endpoint = new URL(config.introspection_endpoint);
    const origin = mapping.upstreams[upstreamKey(endpoint)];
    if (origin) local.introspection_endpoint = `${origin.replace(/\/+$/, '')}${endpoint.pathname}${endpoint.search}`;
    else problems.push(`${at}: introspection endpoint ${config.introspection_endpoint} has no local address in the mapping`);
  }
  if (typeof config.resource_metadata === 'string') local.resource_metadata = mapPublicUrl(config.resource_metadata, mapping.publicUrls);
  const reference = typeof config.client_secret === 'string' ? ENV_VAULT.exec(config.client_secret) : null;
  if (reference?.[1]) env.add(reference[1].toUpperCase().replaceAll('-', '_'));
  return local;
}

function milliseconds(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

interface Location {
  host: string;
  path: string;
  route: string;
  block: string;
}

export function generateGateway(kongYaml: string, mapping: GatewayMapping): GeneratedGateway {
  const document: unknown = parse(kongYaml);
  if (!isEntry(document)) throw new GatewayConfigError(['the document is not a mapping']);
  const problems: string[] = [];
  const skipped: string[] = [];
  const env = new Set<string>();
  const plugins: GeneratedGateway['plugins'] = { routes: {} };
  const locations: Location[] = [];
  const unserved = new Set(mapping.unservedHosts.map((host) => host.toLowerCase()));
  const globalPlugins = list(document.plugins);

  for (const key of Object.keys(document)) {
    if (!['_format_version', '_transform', 'services', 'plugins'].includes(key)) skipped.push(`${key}: top-level entity Kong loads; nginx routes only services and their routes`);
  }

  list(document.services).forEach((service, serviceIndex) => {
    const serviceAt = `services[${serviceIndex}]`;
    if (!isEntry(service)) return;
    for (const key of Object.keys(service)) {
      if (!SERVICE_KEYS_HANDLED.includes(key)) skipped.push(`${serviceAt}.${key}: ${SKIP_REASONS[key] ?? "a Kong setting this nginx gateway does not reproduce"}`);
    }
    const routes = list(service.routes).filter(isEntry);
    const servedRoutes = routes.filter((route) => strings(route.hosts).some((host) => !unserved.has(host.toLowerCase())));
    // Only a service some served route uses needs a local address.
    const target = servedRoutes.length > 0 ? serviceTarget(service, mapping, serviceAt, problems) : undefined;

    list(service.routes).forEach((route, routeIndex) => {
      const at = `${serviceAt}.routes[${routeIndex}]`;
      if (!isEntry(route)) return;
      const name = typeof route.name === 'string' ? route.name : at;
      const allHosts = strings(route.hosts).map((host) => host.toLowerCase());
      if (allHosts.length === 0) {
        skipped.push(`${at} (route ${name}): a route without hosts; the local profile serves each host on its own port`);
        return;
      }
      const hosts = allHosts.filter((host) => !unserved.has(host));
      if (hosts.length === 0) {
        skipped.push(`${at} (route ${name}): ${allHosts.join(', ')} not served in this profile`);
        return;
      }
      if (!target) return;
      for (const key of Object.keys(route)) {
        if (!ROUTE_KEYS_HANDLED.includes(key)) skipped.push(`${at}.${key} (route ${name}): ${SKIP_REASONS[key] ?? 'a Kong route setting this nginx gateway does not reproduce'}`);
      }

      const routePlugins = pluginsOf([
        { entries: list(route.plugins), at },
        { entries: list(service.plugins), at: serviceAt },
        { entries: globalPlugins, at: '(global)' },
      ]);
      const own: Array<{ name: string; config: Entry }> = [];
      for (const plugin of routePlugins) {
        if (!plugin.enabled) continue;
        if (!OWN_PLUGINS.includes(plugin.name)) {
          skipped.push(`${plugin.at} plugin ${plugin.name} (route ${name}): one of Kong's bundled plugins, not this project's code; only ${OWN_PLUGINS.join(', ')} runs in nginx`);
          continue;
        }
        own.push({ name: plugin.name, config: localPhantomTokenConfig(plugin.config, mapping, plugin.at, problems, env) });
      }
      if (own.length > 0) plugins.routes[name] = own;

      const stripPath = route.strip_path !== false;
      const lines: string[] = [`# route ${name} (${at})`];
      if (own.length > 0) lines.push(`access_by_lua_block { require("kong_adapter").access(${JSON.stringify(name)}) }`);
      lines.push(
        'proxy_http_version 1.1;',
        `proxy_set_header Host ${route.preserve_host === true ? '$http_host' : '$proxy_host'};`,
        'proxy_set_header Connection "";',
        'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        'proxy_set_header X-Forwarded-Proto $scheme;',
        'proxy_set_header X-Forwarded-Host $host;',
        'proxy_set_header X-Forwarded-Port $server_port;',
        'proxy_set_header X-Real-IP $remote_addr;',
        `proxy_connect_timeout ${milliseconds(service.connect_timeout, 60_000)}ms;`,
        `proxy_send_timeout ${milliseconds(service.write_timeout, 60_000)}ms;`,
        `proxy_read_timeout ${milliseconds(service.read_timeout, 60_000)}ms;`,
      );
      if (route.response_buffering === false) lines.push('proxy_buffering off;');
      if (route.request_buffering === false) lines.push('proxy_request_buffering off;');

      const paths = route.paths === undefined ? ['/'] : strings(route.paths);
      for (const path of paths) {
        if (!path.startsWith('/')) {
          skipped.push(`${at}.paths ${path} (route ${name}): only prefix paths are routed here, not Kong's regex paths`);
          continue;
        }
        const pass: string[] = [];
        const base = (target.path ?? '/').replace(/\/+$/, '');
        if (stripPath && path !== '/') {
          // Kong's path_handling v0: the service path, then what follows the route prefix.
          pass.push(`rewrite ^${path.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/?(.*)$ ${base}/$1 break;`);
        } else if (base !== '') {
          pass.push(`rewrite ^(.*)$ ${base}$1 break;`);
        }
        // Without a URI part, proxy_pass sends the (possibly rewritten) request URI as it is.
        pass.push(`proxy_pass ${target.origin};`);
        for (const host of hosts) {
          if (!mapping.virtualHosts[host]) {
            problems.push(`${at}: host ${host} has no port in the mapping`);
            continue;
          }
          const earlier = locations.find((location) => location.host === host && location.path === path);
          if (earlier) {
            // Kong may tell such routes apart by methods or headers; an nginx location cannot.
            skipped.push(`${at}.paths ${path} (route ${name}): host ${host} path ${path} is already routed by ${earlier.route}`);
            continue;
          }
          const matcher = path === '/' ? '/' : `^~ ${path}`;
          locations.push({ host, path, route: name, block: `    location ${matcher} {\n${[...lines, ...pass].map((line) => `      ${line}`).join('\n')}\n    }` });
        }
      }
    });
  });

  if (problems.length > 0) throw new GatewayConfigError(problems);

  const servers: string[] = [];
  const ports: number[] = [];
  for (const [host, { port }] of Object.entries(mapping.virtualHosts)) {
    const own = locations.filter((location) => location.host === host.toLowerCase());
    if (own.length === 0) continue;
    ports.push(port);
    servers.push(`  # ${host}
  server {
    listen 127.0.0.1:${port};
    # Kong's default: no limit on request bodies.
    client_max_body_size 0;
${own.map((location) => location.block).join('\n')}
  }`);
  }
  return { servers: servers.join('\n\n'), plugins, env: [...env].sort(), ports, skipped };
}

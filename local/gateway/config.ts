import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { corsConfigSchema, type CorsConfig } from './plugins/cors.ts';
import { phantomTokenConfigSchema, type PhantomTokenConfig } from './plugins/phantom-token.ts';
import { rateLimitingConfigSchema, type RateLimitingConfig } from './plugins/rate-limiting.ts';
import { requestTransformerConfigSchema, type RequestTransformerConfig } from './plugins/request-transformer.ts';
import { MAX_INTEGER } from './limits.ts';

/**
 * Reads a Kong 3.x declarative configuration and keeps it only if every key
 * in it is one the local gateway implements. Anything else (another plugin,
 * route methods, regex paths, consumers...) stops the start with a message
 * naming the place in the file, because silently ignoring a security setting
 * would make the local profile behave differently from Kong.
 */

export type PluginDefinition =
  | { name: 'cors'; config: CorsConfig; at: string }
  | { name: 'phantom-token'; config: PhantomTokenConfig; at: string }
  | { name: 'rate-limiting'; config: RateLimitingConfig; at: string }
  | { name: 'request-transformer'; config: RequestTransformerConfig; at: string };

/** One target of a Kong upstream: "host:port" as kong.yml names it (port 8000 when left out, as in Kong). */
export interface TargetDefinition {
  host: string;
  port: number;
  /** Share of the requests relative to the other targets; 0 takes the target out of rotation. */
  weight: number;
}

/** A Kong upstream: a virtual host name that services use in place of a real host, balanced over targets. */
export interface UpstreamDefinition {
  name: string;
  targets: TargetDefinition[];
  at: string;
}

export interface ServiceDefinition {
  name: string;
  protocol: 'http' | 'https';
  /** A host name, or the name of one of kong.yml's upstreams (then `upstream` is set). */
  host: string;
  port: number;
  /** The upstream `host` names, when it names one: its targets are balanced instead of `host:port`. */
  upstream: UpstreamDefinition | undefined;
  /** Kong's retries: further attempts, each on the next target, after a failed connection. Default 5. */
  retries: number;
  /** undefined: no path, which Kong treats as "/". */
  path: string | undefined;
  connectTimeoutMs: number;
  writeTimeoutMs: number;
  readTimeoutMs: number;
  at: string;
}

export interface RouteDefinition {
  name: string;
  hosts: string[];
  paths: string[];
  stripPath: boolean;
  preserveHost: boolean;
  /** Whether the request body is read completely before it goes upstream (Kong's default). */
  requestBuffering: boolean;
  /** Kong's route protocols; the local gateway's loopback listener stands in for https (see README). */
  protocols: ('http' | 'https')[];
  service: ServiceDefinition;
  /** Route, service and global plugins merged as Kong does: the most specific one of each name wins. */
  plugins: PluginDefinition[];
  at: string;
}

export interface KongConfig {
  file: string;
  upstreams: UpstreamDefinition[];
  services: ServiceDefinition[];
  routes: RouteDefinition[];
}

export class KongConfigError extends Error {
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(`${file}: configuration not supported by the local gateway\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KongConfigError';
    this.problems = problems;
  }
}

const timeout = z.int().min(1).max(MAX_INTEGER).default(60_000);
const tags = z.array(z.string()).optional();

const hostname = z
  .string()
  .refine((host) => !host.includes('*'), { error: 'wildcard hosts are not supported by the local gateway', abort: true })
  .refine((host) => /^[A-Za-z0-9.-]+$/.test(host), { error: 'a host must be a plain host name without port' })
  .transform((host) => host.toLowerCase());

const routePath = z
  .string()
  .refine((path) => !path.startsWith('~'), { error: 'regex paths are not supported by the local gateway', abort: true })
  .refine((path) => path.startsWith('/'), { error: 'a path must start with "/"' });

const pluginEntry = z.strictObject({
  name: z.string().min(1),
  config: z.record(z.string(), z.unknown()).nullish(),
  enabled: z.boolean().default(true),
  tags,
});

// Kong 3.9 routes (kong/db/schema/entities/routes.lua): a non-empty set,
// default [http, https]; grpc, tcp and the other stream protocols are not
// served by the local gateway.
const protocols = z
  .array(z.enum(['http', 'https'], { error: 'only http and https routes are supported by the local gateway' }))
  .min(1)
  .refine((list) => new Set(list).size === list.length, { error: 'protocols is a set: no value twice' })
  .default(['http', 'https']);

const route = z.strictObject({
  name: z.string().min(1),
  protocols,
  https_redirect_status_code: z.union([z.literal(426), z.literal(301), z.literal(302), z.literal(307), z.literal(308)]).default(426),
  hosts: z.array(hostname).min(1, { error: 'the local gateway serves each host on its own port, so every route needs hosts' }),
  paths: z.array(routePath).min(1).optional(),
  strip_path: z.boolean().default(true),
  preserve_host: z.boolean().default(false),
  path_handling: z.literal('v0', { error: 'only path_handling v0 (the default) is supported' }).default('v0'),
  // Kong's default buffers the request body before proxying; the local
  // gateway does the same (bounded by its body limit), which also lets it
  // resend a request once when a kept-alive upstream connection was closed
  // under it. Responses always stream in the local gateway.
  request_buffering: z.boolean().default(true),
  response_buffering: z.boolean().optional(),
  plugins: z.array(pluginEntry).default([]),
  tags,
});

// Kong 3.9 upstreams (kong/db/schema/entities/upstreams.lua and targets.lua)
// with the round-robin balancer only; health checks, hashing and the other
// algorithms are not implemented by the local gateway and so refused.
const TARGET = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const upstreamTarget = z.strictObject({
  target: z.string().regex(TARGET, { error: 'a target is "<host>" or "<host>:<port>"' }),
  weight: z.int().min(0).max(65535).default(100),
  tags,
});

const upstream = z.strictObject({
  name: hostname,
  algorithm: z.literal('round-robin', { error: 'only the round-robin algorithm is supported by the local gateway' }).default('round-robin'),
  slots: z.int().min(10).max(65536).default(10000),
  targets: z.array(upstreamTarget).default([]),
  tags,
});

const service = z
  .strictObject({
    name: z.string().min(1),
    url: z.url({ protocol: /^https?$/ }).optional(),
    protocol: z.enum(['http', 'https']).optional(),
    host: z.string().min(1).optional(),
    port: z.int().min(1).max(65535).optional(),
    path: z.string().startsWith('/').optional(),
    connect_timeout: timeout,
    write_timeout: timeout,
    read_timeout: timeout,
    retries: z.int().min(0).max(32767).default(5),
    routes: z.array(route).default([]),
    plugins: z.array(pluginEntry).default([]),
    tags,
  })
  .superRefine((value, context) => {
    const parts = value.protocol !== undefined || value.host !== undefined || value.port !== undefined || value.path !== undefined;
    if (value.url !== undefined && parts) {
      context.addIssue({ code: 'custom', message: 'url cannot be combined with protocol, host, port or path' });
    } else if (value.url === undefined && value.host === undefined) {
      context.addIssue({ code: 'custom', message: 'a service needs url or host' });
    }
  });

const document = z.strictObject({
  _format_version: z.literal('3.0', { error: '_format_version must be "3.0"' }),
  upstreams: z.array(upstream).default([]),
  services: z.array(service).default([]),
  // Global plugins; scoping them with route/service/consumer keys is not supported.
  plugins: z.array(pluginEntry).default([]),
});

type PluginEntry = z.output<typeof pluginEntry>;
type Path = readonly (string | number)[];

function formatPath(path: Path): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('') || '(document)';
}

interface Located {
  problem(path: Path, message: string): string;
}

/** Prefixes problems with the line of the YAML node they are about (the key, for a map entry). */
function locator(yaml: Document, lines: LineCounter): Located {
  const rangeOf = (path: Path): [number, number, number] | undefined => {
    const parent = path.length > 1 ? yaml.getIn(path.slice(0, -1), true) : yaml.contents;
    const last = path.at(-1);
    if (isMap(parent) && typeof last === 'string') {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
      if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range;
    }
    const node: unknown = path.length > 0 ? yaml.getIn(path, true) : yaml.contents;
    return (node as { range?: [number, number, number] } | null)?.range ?? undefined;
  };
  return {
    problem(path, message) {
      let range: [number, number, number] | undefined;
      for (let depth = path.length; depth >= 0 && !range; depth -= 1) range = rangeOf(path.slice(0, depth));
      const line = range ? `line ${lines.linePos(range[0]).line}: ` : '';
      return `${line}${formatPath(path)}: ${message}`;
    },
  };
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: Path, located: Located): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map((part) => (typeof part === 'number' ? part : String(part)))];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => located.problem([...path, key], 'is not supported by the local gateway'));
    }
    return [located.problem(path, issue.message)];
  });
}

const PLUGIN_SCHEMAS = {
  cors: corsConfigSchema,
  'phantom-token': phantomTokenConfigSchema,
  'rate-limiting': rateLimitingConfigSchema,
  'request-transformer': requestTransformerConfigSchema,
} as const;

type PluginName = keyof typeof PLUGIN_SCHEMAS;

function isPluginName(name: string): name is PluginName {
  return Object.hasOwn(PLUGIN_SCHEMAS, name);
}

function parsePlugin(entry: PluginEntry, path: Path, located: Located, problems: string[]): PluginDefinition | undefined {
  const at = formatPath(path);
  const { name } = entry;
  if (!isPluginName(name)) {
    const supported = Object.keys(PLUGIN_SCHEMAS).join(', ');
    problems.push(located.problem([...path, 'name'], `plugin "${name}" is not supported by the local gateway (supported: ${supported})`));
    return undefined;
  }
  const parsed = PLUGIN_SCHEMAS[name].safeParse(entry.config ?? {});
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error.issues, [...path, 'config'], located));
    return undefined;
  }
  // The schema chosen by name produced this config.
  return { name, config: parsed.data, at } as PluginDefinition;
}

function parsePlugins(entries: PluginEntry[], path: Path, located: Located, problems: string[]): PluginDefinition[] {
  const plugins: PluginDefinition[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const entryPath = [...path, index];
    if (seen.has(entry.name)) {
      problems.push(located.problem([...entryPath, 'name'], `plugin "${entry.name}" is configured twice at this level`));
    }
    seen.add(entry.name);
    const plugin = parsePlugin(entry, entryPath, located, problems);
    if (plugin && entry.enabled) plugins.push(plugin);
  });
  return plugins;
}

/** The most specific configuration of each plugin wins: route, then service, then global. */
function mergePlugins(...levels: PluginDefinition[][]): PluginDefinition[] {
  const byName = new Map<string, PluginDefinition>();
  for (const level of levels) for (const plugin of level) if (!byName.has(plugin.name)) byName.set(plugin.name, plugin);
  return [...byName.values()];
}

function parseUpstreams(entries: z.output<typeof upstream>[], located: Located, problems: string[]): Map<string, UpstreamDefinition> {
  const byName = new Map<string, UpstreamDefinition>();
  entries.forEach((entry, index) => {
    const path: Path = ['upstreams', index];
    if (byName.has(entry.name)) problems.push(located.problem([...path, 'name'], `upstream name "${entry.name}" is used twice`));
    const targets = entry.targets.map((target) => {
      const [, host = '', port] = TARGET.exec(target.target) ?? [];
      return { host: host.toLowerCase(), port: port === undefined ? 8000 : Number(port), weight: target.weight };
    });
    targets.forEach((target, targetIndex) => {
      if (target.port < 1 || target.port > 65535) problems.push(located.problem([...path, 'targets', targetIndex, 'target'], 'the port must be between 1 and 65535'));
    });
    byName.set(entry.name, { name: entry.name, targets, at: formatPath(path) });
  });
  return byName;
}

function serviceTarget(value: z.output<typeof service>): Pick<ServiceDefinition, 'protocol' | 'host' | 'port' | 'path'> {
  if (value.url !== undefined) {
    const url = new URL(value.url);
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    // new URL() reports "/" for both "http://a" and "http://a/"; Kong treats them alike too.
    const path = url.pathname === '/' && !/^https?:\/\/[^/]+\//.test(value.url) ? undefined : url.pathname;
    return { protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80, path };
  }
  const protocol = value.protocol ?? 'http';
  return { protocol, host: value.host ?? '', port: value.port ?? (protocol === 'https' ? 443 : 80), path: value.path };
}

/** Validates parsed YAML (or JSON) content; `file` only names it in messages. */
export function parseKongConfig(text: string, file: string): KongConfig {
  const lines = new LineCounter();
  const yaml = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (yaml.errors.length > 0) {
    throw new KongConfigError(
      file,
      yaml.errors.map((error) => {
        const position = error.linePos?.[0];
        const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return `${position ? `line ${position.line}: ` : ''}${message}`;
      }),
    );
  }
  const located = locator(yaml, lines);
  const parsed = document.safeParse(yaml.toJS());
  if (!parsed.success) throw new KongConfigError(file, describeIssues(parsed.error.issues, [], located));

  const problems: string[] = [];
  const globalPlugins = parsePlugins(parsed.data.plugins, ['plugins'], located, problems);
  const upstreams = parseUpstreams(parsed.data.upstreams, located, problems);
  const services: ServiceDefinition[] = [];
  const routes: RouteDefinition[] = [];
  const serviceNames = new Set<string>();
  const routeNames = new Set<string>();
  const claimed = new Map<string, string>();

  parsed.data.services.forEach((serviceEntry, serviceIndex) => {
    const servicePath: Path = ['services', serviceIndex];
    if (serviceNames.has(serviceEntry.name)) problems.push(located.problem([...servicePath, 'name'], `service name "${serviceEntry.name}" is used twice`));
    serviceNames.add(serviceEntry.name);
    const target = serviceTarget(serviceEntry);
    const definition: ServiceDefinition = {
      name: serviceEntry.name,
      ...target,
      upstream: upstreams.get(target.host),
      retries: serviceEntry.retries,
      connectTimeoutMs: serviceEntry.connect_timeout,
      writeTimeoutMs: serviceEntry.write_timeout,
      readTimeoutMs: serviceEntry.read_timeout,
      at: formatPath(servicePath),
    };
    services.push(definition);
    const servicePlugins = parsePlugins(serviceEntry.plugins, [...servicePath, 'plugins'], located, problems);

    serviceEntry.routes.forEach((routeEntry, routeIndex) => {
      const path: Path = [...servicePath, 'routes', routeIndex];
      if (routeNames.has(routeEntry.name)) problems.push(located.problem([...path, 'name'], `route name "${routeEntry.name}" is used twice`));
      routeNames.add(routeEntry.name);
      const paths = routeEntry.paths ?? ['/'];
      // Kong would pick one of two identical matches by creation order; say so instead.
      for (const host of routeEntry.hosts) {
        for (const prefix of paths) {
          const owner = claimed.get(`${host} ${prefix}`);
          if (owner) problems.push(located.problem(path, `host ${host} path ${prefix} is already routed by "${owner}"`));
          claimed.set(`${host} ${prefix}`, routeEntry.name);
        }
      }
      const routePlugins = parsePlugins(routeEntry.plugins, [...path, 'plugins'], located, problems);
      routes.push({
        name: routeEntry.name,
        hosts: routeEntry.hosts,
        paths,
        stripPath: routeEntry.strip_path,
        preserveHost: routeEntry.preserve_host,
        requestBuffering: routeEntry.request_buffering,
        protocols: routeEntry.protocols,
        service: definition,
        plugins: mergePlugins(routePlugins, servicePlugins, globalPlugins),
        at: formatPath(path),
      });
    });
  });

  if (problems.length > 0) throw new KongConfigError(file, problems);
  return { file, upstreams: [...upstreams.values()], services, routes };
}

export function loadKongConfig(file: string): KongConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KongConfigError(file, [`cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  return parseKongConfig(text, file);
}

import { z } from 'zod';
import type { KongConfig, ServiceDefinition } from './config.ts';
import { ENV_VAULT_REFERENCE } from './plugins/phantom-token.ts';

/**
 * How the hosts named in kong.yml map onto this machine. kong.yml keeps the
 * Docker names (utility-mcp-server:3000, mcp.demo.example...); the caller
 * says which loopback port serves each virtual host and where each upstream
 * really listens, so one kong.yml serves both deployments unchanged.
 */

const origin = z.url({ protocol: /^https?$/ }).refine(
  (value) => {
    const url = new URL(value);
    return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  },
  { error: 'must be an origin such as http://127.0.0.1:3000, without path or query' },
);

const baseUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => !new URL(value).search && !new URL(value).hash, { error: 'must not carry a query or fragment' })
  .transform((value) => value.replace(/\/+$/, ''));

export const mappingSchema = z.strictObject({
  virtualHosts: z
    .record(
      z.string().min(1).transform((host) => host.toLowerCase()),
      z.strictObject({
        port: z.int().min(0).max(65535),
        /** The URL clients use for this host; defaults to http://<listen host>:<port>. */
        publicBaseUrl: baseUrl.optional(),
      }),
    )
    .refine((hosts) => Object.keys(hosts).length > 0, { error: 'at least one virtual host is needed' }),
  /**
   * "<host>:<port>" as kong.yml names a service's host or an upstream's
   * target -> the origin where it runs locally, or several origins (replicas
   * of one service, as a DNS name with several addresses), balanced in turn.
   */
  upstreams: z.record(
    z.string().regex(/^[^:\s]+:\d+$/, { error: 'keys are "<host>:<port>" as kong.yml names them' }),
    z.union([origin, z.array(origin).min(1)]).transform((value) => (Array.isArray(value) ? value : [value])),
  ),
  /** External URL prefixes in plugin settings -> local ones; defaults to https://<virtual host> -> its local URL. */
  publicUrls: z.record(baseUrl, baseUrl).optional(),
  /**
   * Hosts of kong.yml this deployment deliberately does not serve, such as the
   * Curity admin UI, which exists only in the Docker curity profile. Their
   * routes, and services no other route uses, are left out.
   */
  unservedHosts: z.array(z.string().min(1).transform((host) => host.toLowerCase())).default([]),
});

/** The mapping plus the gateway's own limits, checked together. */
export const optionsSchema = mappingSchema.extend({
  bodyLimitBytes: z.int().positive().optional(),
  statusPort: z.int().min(0).max(65535).optional(),
  closeGraceMs: z.int().min(0).optional(),
  maxTokenCacheEntries: z.int().positive().optional(),
});

export type GatewayMapping = z.input<typeof mappingSchema>;
export type ResolvedMapping = z.output<typeof mappingSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;

export class GatewayMappingError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], heading = 'the local mapping does not fit kong.yml') {
    super(`gateway: ${heading}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'GatewayMappingError';
    this.problems = problems;
  }
}

export function parseOptions(input: unknown): ResolvedOptions {
  const parsed = optionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new GatewayMappingError(
    parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.') || '(options)';
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${path}: ${issue.message}${keys}`;
    }),
    'invalid options',
  );
}

/** "host:port" of a URL the way kong.yml names an upstream, default ports made explicit. */
export function upstreamKey(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/** A local address a service's requests are balanced over, with the weight of its kong.yml target. */
export interface LocalTarget {
  origin: string;
  weight: number;
}

/**
 * The "<host>:<port>" names kong.yml gives a service's upstream: the targets
 * of the upstream its host names (weight 0 left out, as Kong does), or the
 * host and port themselves.
 */
export function targetKeys(service: ServiceDefinition): Array<{ key: string; weight: number }> {
  if (!service.upstream) return [{ key: `${service.host}:${service.port}`, weight: 1 }];
  return service.upstream.targets.filter((target) => target.weight > 0).map((target) => ({ key: `${target.host}:${target.port}`, weight: target.weight }));
}

/** Where a service's requests go on this machine: every origin each of its targets maps to. */
export function localTargets(service: ServiceDefinition, mapping: ResolvedMapping): LocalTarget[] {
  return targetKeys(service).flatMap(({ key, weight }) => (mapping.upstreams[key] ?? []).map((origin) => ({ origin: new URL(origin).origin, weight })));
}

/** Replaces a known external prefix; the next character must end the prefix's authority or path. */
export function mapPublicUrl(url: string, publicUrls: Record<string, string>): string {
  const prefixes = Object.keys(publicUrls).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (!url.startsWith(prefix)) continue;
    const next = url.charAt(prefix.length);
    if (next === '' || next === '/' || next === '?' || next === '#') return `${publicUrls[prefix]}${url.slice(prefix.length)}`;
  }
  return url;
}

/**
 * Kong's environment variable vault: {vault://env/gateway_client_secret}
 * reads GATEWAY_CLIENT_SECRET (upper case, dashes become underscores).
 */
export function resolveSecret(value: string, env: Record<string, string | undefined>): { value: string } | { missing: string } {
  const match = ENV_VAULT_REFERENCE.exec(value);
  if (!match?.[1]) return { value };
  const variable = match[1].toUpperCase().replaceAll('-', '_');
  const resolved = env[variable];
  return resolved ? { value: resolved } : { missing: variable };
}

/** kong.yml without the routes of unserved hosts, and without services left with no route. */
export function withoutHosts(config: KongConfig, unserved: readonly string[]): KongConfig {
  if (unserved.length === 0) return config;
  const routes = config.routes
    .map((route) => ({ ...route, hosts: route.hosts.filter((host) => !unserved.includes(host)) }))
    .filter((route) => route.hosts.length > 0);
  const services = config.services.filter((service) => routes.some((route) => route.service === service));
  return { ...config, routes, services };
}

/** 127.0.0.0/8, ::1 and localhost: names that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Kong serves a route with protocols [https] only over TLS and redirects
 * plain HTTP. The local gateway listens on loopback only, in plain HTTP,
 * which stands in for TLS because the traffic never leaves the machine
 * (browsers likewise treat http://127.0.0.1 as a secure context). A public
 * URL that sends such a host's clients over plain HTTP to another machine
 * would serve those routes in clear text: refused.
 */
function httpsOnlyProblems(config: KongConfig, mapping: ResolvedMapping): string[] {
  const problems = new Set<string>();
  for (const route of config.routes) {
    if (route.protocols.includes('http')) continue;
    for (const host of route.hosts) {
      const publicBaseUrl = mapping.virtualHosts[host]?.publicBaseUrl;
      if (publicBaseUrl === undefined) continue;
      const url = new URL(publicBaseUrl);
      if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        problems.add(`virtualHosts["${host}"].publicBaseUrl ${publicBaseUrl} is plain HTTP to another machine, but route ${route.name} (${route.at}) is https only`);
      }
    }
  }
  return [...problems];
}

/** Every problem between kong.yml and the mapping at once, so one run shows them all. */
export function checkMapping(config: KongConfig, mapping: ResolvedMapping, env: Record<string, string | undefined>): void {
  const problems: string[] = [];
  const usedHosts = new Set<string>();

  for (const route of config.routes) {
    for (const host of route.hosts) {
      usedHosts.add(host);
      if (!mapping.virtualHosts[host]) problems.push(`host ${host} (${route.at}) has no entry in virtualHosts`);
    }
    for (const plugin of route.plugins) {
      if (plugin.name !== 'phantom-token') continue;
      const key = upstreamKey(new URL(plugin.config.introspection_endpoint));
      if (!mapping.upstreams[key]) problems.push(`introspection endpoint ${plugin.config.introspection_endpoint} (${plugin.at}) needs upstreams["${key}"]`);
      const secret = resolveSecret(plugin.config.client_secret, env);
      if ('missing' in secret) problems.push(`client_secret (${plugin.at}) refers to environment variable ${secret.missing}, which is not set`);
    }
  }
  for (const service of config.services) {
    const keys = targetKeys(service);
    if (service.upstream && keys.length === 0) {
      problems.push(`service ${service.name} (${service.at}) uses upstream ${service.upstream.name} (${service.upstream.at}), which has no target with a weight above 0`);
    }
    for (const { key } of keys) {
      const what = service.upstream ? `target ${key} of upstream ${service.upstream.name}` : `service ${service.name}`;
      if (!mapping.upstreams[key]) problems.push(`${what} (${service.upstream?.at ?? service.at}) needs upstreams["${key}"]`);
    }
  }
  for (const host of Object.keys(mapping.virtualHosts)) {
    if (!usedHosts.has(host)) problems.push(`virtualHosts["${host}"] is not a host of any route in ${config.file}`);
  }
  const ports = new Map<number, string>();
  for (const [host, { port }] of Object.entries(mapping.virtualHosts)) {
    if (port === 0) continue;
    const other = ports.get(port);
    if (other) problems.push(`virtualHosts["${host}"] and virtualHosts["${other}"] both use port ${port}`);
    ports.set(port, host);
  }
  problems.push(...httpsOnlyProblems(config, mapping));
  if (problems.length > 0) throw new GatewayMappingError(problems);
}

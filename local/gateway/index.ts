import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { createLogger, listen, type RunningServer } from '@mcp-demo/service-kit';
import { loadKongConfig, type PluginDefinition, type RouteDefinition, type ServiceDefinition } from './config.ts';
import { createRequestHandler, type RuntimeRoute } from './gateway.ts';
import { createBalancer, type Balancer } from './balancer.ts';
import { checkMapping, localTargets, mapPublicUrl, parseOptions, resolveSecret, upstreamKey, withoutHosts, type GatewayMapping } from './mapping.ts';
import { createUpstreamPools, isConnectFailure } from './proxy.ts';
import { createRouter } from './routing.ts';
import { corsPlugin } from './plugins/cors.ts';
import { createIntrospectionClient } from './plugins/introspection.ts';
import { createPhantomToken, phantomTokenPlugin, type Introspect, type PhantomTokenConfig } from './plugins/phantom-token.ts';
import { rateLimitingPlugin } from './plugins/rate-limiting.ts';
import { requestTransformerPlugin } from './plugins/request-transformer.ts';
import { createTokenCache } from './plugins/token-cache.ts';
import type { GatewayPlugin } from './plugins/types.ts';

export { KongConfigError, loadKongConfig, parseKongConfig, type KongConfig, type RouteDefinition, type ServiceDefinition } from './config.ts';
export { GatewayMappingError, type GatewayMapping } from './mapping.ts';
export {
  createPhantomToken,
  cacheKey,
  phantomTokenConfigSchema,
  IntrospectionProtocolError,
  type Introspect,
  type IntrospectionRequest,
  type IntrospectionResponse,
  type PhantomToken,
  type PhantomTokenConfig,
  type PhantomTokenOutcome,
} from './plugins/phantom-token.ts';
export { createTokenCache, type TokenCache } from './plugins/token-cache.ts';

const LOOPBACK = '127.0.0.1';

export interface GatewayOptions extends GatewayMapping {
  /** The Kong declarative configuration to serve, normally kong/kong.yml. */
  kongConfigPath: string;
  logger?: Logger;
  /** Where {vault://env/...} references are looked up; process.env by default. */
  env?: Record<string, string | undefined>;
  /** Larger request bodies are refused with 413. Default 10 MiB. */
  bodyLimitBytes?: number;
  /** Serves GET /health on this loopback port when set (0 picks a free port). */
  statusPort?: number;
  /** How long close() lets open requests (event streams included) finish. Default 5 s. */
  closeGraceMs?: number;
  /** Bound of the token cache shared by every phantom-token route. Default 10 000. */
  maxTokenCacheEntries?: number;
}

export interface Gateway {
  /** Base URL of each virtual host, e.g. { 'mcp.demo.example': 'http://127.0.0.1:3100' }. */
  urls: Record<string, string>;
  ports: Record<string, number>;
  /** Base URL of the health endpoint, when statusPort was given. */
  statusUrl: string | undefined;
  close(): Promise<void>;
}

export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

/**
 * Starts one loopback listener per virtual host of kong.yml and serves its
 * routes and plugins. Every problem with kong.yml or the mapping is reported
 * before any port is opened.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { logger: givenLogger, env: givenEnv, kongConfigPath, ...checked } = options;
  const mapping = parseOptions(checked);
  const config = withoutHosts(loadKongConfig(resolve(kongConfigPath)), mapping.unservedHosts);
  const env = givenEnv ?? process.env;
  checkMapping(config, mapping, env);

  const logger = givenLogger ?? createLogger('gateway');
  const bodyLimitBytes = mapping.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const router = createRouter(config.routes);
  const pools = createUpstreamPools();
  const introspection = createIntrospectionClient();
  const tokenCache = createTokenCache({ maxEntries: mapping.maxTokenCacheEntries });
  let runtime: Map<RouteDefinition, RuntimeRoute> | undefined;

  const servers: RunningServer[] = [];
  const ports: Record<string, number> = {};
  const closeServers = () => Promise.all(servers.map((running) => running.close()));
  try {
    for (const [host, { port }] of Object.entries(mapping.virtualHosts)) {
      const handler = createRequestHandler({
        host,
        port: () => ports[host] ?? port,
        router,
        runtime: () => runtime,
        bodyLimitBytes,
        logger: logger.child({ vhost: host }),
      });
      const running = await listen(handler, port, LOOPBACK).catch((error: unknown) => {
        throw new Error(`gateway: virtual host ${host}: ${error instanceof Error ? error.message : String(error)}`);
      });
      servers.push(running);
      ports[host] = running.port;
    }
    if (mapping.statusPort !== undefined) servers.push(await startStatusServer(mapping.statusPort));
  } catch (error) {
    await closeServers();
    await Promise.all([pools.close(), introspection.close()]);
    throw error;
  }

  const urls = Object.fromEntries(
    Object.entries(mapping.virtualHosts).map(([host, { publicBaseUrl }]) => [host, publicBaseUrl ?? `http://${LOOPBACK}:${ports[host]}`]),
  );
  const publicUrls = mapping.publicUrls ?? Object.fromEntries(Object.entries(urls).map(([host, url]) => [`https://${host}`, url]));

  // checkMapping made sure every introspection endpoint is mapped.
  const introspectionOrigins = (endpoint: URL): string[] => mapping.upstreams[upstreamKey(endpoint)] ?? [];
  const localIntrospect = (config: PhantomTokenConfig) => introspectEach(introspection.introspect, introspectionOrigins(new URL(config.introspection_endpoint)));

  const localPhantomTokenConfig = (config: PhantomTokenConfig): PhantomTokenConfig => {
    const endpoint = new URL(config.introspection_endpoint);
    const secret = resolveSecret(config.client_secret, env);
    return {
      ...config,
      introspection_endpoint: new URL(`${endpoint.pathname}${endpoint.search}`, introspectionOrigins(endpoint)[0]).toString(),
      client_secret: 'value' in secret ? secret.value : config.client_secret,
      resource_metadata: config.resource_metadata === undefined ? undefined : mapPublicUrl(config.resource_metadata, publicUrls),
    };
  };

  const createPlugin = (plugin: PluginDefinition, route: RouteDefinition): GatewayPlugin => {
    switch (plugin.name) {
      case 'cors':
        return corsPlugin(plugin.config);
      case 'rate-limiting':
        return rateLimitingPlugin(plugin.config);
      case 'request-transformer':
        return requestTransformerPlugin(plugin.config);
      case 'phantom-token':
        return phantomTokenPlugin(
          createPhantomToken({
            config: localPhantomTokenConfig(plugin.config),
            introspect: localIntrospect(plugin.config),
            cache: tokenCache,
            logger: logger.child({ route: route.name }),
          }),
        );
    }
  };
  // One instance per configured plugin, as in Kong: a service-level
  // rate-limiting plugin counts the requests of all its routes together.
  const instances = new Map<PluginDefinition, GatewayPlugin>();
  const instanceOf = (plugin: PluginDefinition, route: RouteDefinition): GatewayPlugin => {
    let instance = instances.get(plugin);
    if (!instance) {
      instance = createPlugin(plugin, route);
      instances.set(plugin, instance);
    }
    return instance;
  };

  // One balancer per service, shared by its routes, as Kong keeps one per upstream.
  const balancers = new Map<ServiceDefinition, Balancer>();
  const balancerOf = (service: ServiceDefinition): Balancer => {
    let balancer = balancers.get(service);
    if (!balancer) {
      const targets = localTargets(service, mapping).map(({ origin, weight }) => ({
        target: { origin, host: new URL(origin).host, dispatcher: pools.get(origin, service.connectTimeoutMs) },
        weight,
      }));
      balancer = createBalancer(targets);
      balancers.set(service, balancer);
    }
    return balancer;
  };

  runtime = new Map(
    config.routes.map((route) => [
      route,
      {
        plugins: route.plugins.map((plugin) => instanceOf(plugin, route)).sort((a, b) => b.priority - a.priority),
        balancer: balancerOf(route.service),
        retries: route.service.retries,
        writeTimeoutMs: route.service.writeTimeoutMs,
        readTimeoutMs: route.service.readTimeoutMs,
      },
    ]),
  );

  const statusServer = mapping.statusPort === undefined ? undefined : servers.at(-1);
  logger.info({ config: config.file, urls, statusUrl: statusServer?.url }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    urls,
    ports,
    statusUrl: statusServer?.url,
    close() {
      closing ??= (async () => {
        const force = setTimeout(() => {
          for (const running of servers) running.server.closeAllConnections();
        }, mapping.closeGraceMs ?? 5_000);
        force.unref();
        await closeServers();
        clearTimeout(force);
        await Promise.all([pools.close(), introspection.close()]);
      })();
      return closing;
    },
  };
}

/**
 * Introspection over the authorization server's replicas, in turn. Kong's
 * plugin resolves the endpoint's host name through DNS, which in Docker
 * lists every running replica; a replica that refuses the connection here
 * stands for one DNS no longer lists, so the next one is asked.
 */
function introspectEach(introspect: Introspect, origins: readonly string[]): Introspect {
  if (origins.length <= 1) return introspect;
  let turn = 0;
  return async (request) => {
    const url = new URL(request.url);
    const first = turn;
    turn = (turn + 1) % origins.length;
    let lastError: unknown;
    for (let offset = 0; offset < origins.length; offset += 1) {
      const origin = origins[(first + offset) % origins.length] as string;
      try {
        return await introspect({ ...request, url: new URL(`${url.pathname}${url.search}`, origin).toString() });
      } catch (error) {
        if (!isConnectFailure(error)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  };
}

/** GET /health on a port of its own, so that no path of a virtual host is taken from its upstream. */
async function startStatusServer(port: number): Promise<RunningServer> {
  const running = await listen(
    (req, res) => {
      const ok = req.method === 'GET' && req.url === '/health';
      const body = JSON.stringify(ok ? { status: 'ok' } : { code: 'not_found', message: 'The requested resource does not exist' });
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    },
    port,
    LOOPBACK,
  ).catch((error: unknown) => {
    throw new Error(`gateway: status port: ${error instanceof Error ? error.message : String(error)}`);
  });
  return running;
}

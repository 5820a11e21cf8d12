import { resolve } from 'node:path';
import { ISSUER_PATH, ROUTES } from '../../authorization-server/src/provider/paths.ts';
import { loadKongConfig, type KongConfig } from '../gateway/config.ts';
import { targetKeys, upstreamKey, withoutHosts, type GatewayMapping } from '../gateway/mapping.ts';
import { REPO_ROOT, REPLICATED, standardReplicaPorts, type PortName, type ReplicaPorts, type ReplicatedService, type Settings } from './settings.ts';

/**
 * The local profile's one description of where everything listens and how
 * each service is configured. The gateway mapping, the services' environment
 * and the endpoints file are all derived from the settings, so a port can be
 * changed in one place (or by environment variable) and everything follows.
 */

export const KONG_CONFIG_PATH = resolve(REPO_ROOT, 'kong/kong.yml');

const LOOPBACK = '127.0.0.1';
const local = (port: number) => `http://${LOOPBACK}:${port}`;

/** A port a service listens on, and the setting that moves it (named in port conflicts). */
export interface ServicePort {
  port: number;
  setting: string;
}

export interface ServiceSpec {
  /** Unique: replicas after the first are `<service>-2`, `<service>-3`... */
  name: string;
  /** Arguments after the Node binary. */
  args: string[];
  env: Record<string, string>;
  healthUrl: string;
  ports: ServicePort[];
}

export interface Endpoints {
  profile: 'local';
  external: {
    mcp: string;
    protectedResourceMetadata: string;
    stocksApi: string;
    issuer: string;
    authorizationServerMetadata: string;
    inbox: string;
    clientMetadata: string;
  };
  internal: {
    /** The first replica; every replica is in `replicas`. */
    utilityMcpServer: string;
    stocksApi: string;
    /** The first node; every node is in `replicas`. */
    authorizationServer: string;
    clientMetadata: string;
    inboxWeb: string;
    smtp: string;
    replicas: Record<ReplicatedService, string[]>;
  };
  clientMetadataDocuments: { consoleClient: string; mcpInspector: string };
  users: Array<{ email: string; region: string; name?: string }>;
  logs: string;
}

export interface Topology {
  services: ServiceSpec[];
  gateway: Required<Omit<GatewayMapping, 'upstreams'>> & { upstreams: Record<string, string[]> };
  /** Ports of the gateway's virtual hosts. */
  gatewayPorts: ServicePort[];
  endpoints: Endpoints;
}

export interface TopologyOptions {
  /** Ports of each replica; default the documented ones (see standardReplicaPorts). */
  replicaPorts?: ReplicaPorts;
  /** The authorization server's PostgreSQL database; default settings.DATABASE_URL (unset: SQLite). */
  databaseUrl?: string;
  /** default kong/kong.yml */
  kongConfigPath?: string;
}

// The Curity admin UI exists only in the Docker curity profile.
const UNSERVED_HOSTS = ['admin.demo.example'];

/** Replica n of a service: the first keeps the plain name, so one replica looks as before. */
const replicaName = (service: string, index: number) => (index === 0 ? service : `${service}-${index + 1}`);

/**
 * kong.yml's services (by name) -> where they run here. The "<host>:<port>"
 * keys the gateway needs are read from kong.yml: a service's host and port,
 * or the targets of the upstream it names; an introspection endpoint's host
 * is the host of the service it belongs to.
 */
function upstreamsFromKong(config: KongConfig, origins: Record<string, string[]>): Record<string, string[]> {
  const upstreams: Record<string, string[]> = {};
  const problems: string[] = [];
  const put = (key: string, list: string[] | undefined, what: string) => {
    if (!list) return problems.push(`${what} has no local service`);
    const existing = upstreams[key];
    if (existing && existing.join() !== list.join()) problems.push(`${key} (${what}) is mapped to two different local services`);
    upstreams[key] = list;
  };
  for (const service of config.services) {
    for (const { key } of targetKeys(service)) put(key, origins[service.name], `kong.yml service ${service.name}`);
  }
  for (const route of config.routes) {
    for (const plugin of route.plugins) {
      if (plugin.name !== 'phantom-token') continue;
      const endpoint = new URL(plugin.config.introspection_endpoint);
      const owner = config.services.find((service) => service.host === endpoint.hostname);
      const key = upstreamKey(endpoint);
      if (!upstreams[key]) put(key, owner && origins[owner.name], `introspection endpoint of ${route.name}`);
    }
  }
  if (problems.length > 0) throw new Error(`local topology: kong.yml does not fit the local services\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return upstreams;
}

export function describeTopology(settings: Settings, users: Endpoints['users'], options: TopologyOptions = {}): Topology {
  const replicaPorts = options.replicaPorts ?? standardReplicaPorts(settings);
  const databaseUrl = options.databaseUrl ?? settings.DATABASE_URL;
  const mcpBase = local(settings.GATEWAY_MCP_PORT);
  const apiBase = local(settings.GATEWAY_API_PORT);
  const loginBase = local(settings.GATEWAY_LOGIN_PORT);
  const mailBase = local(settings.GATEWAY_MAIL_PORT);
  const clientBase = local(settings.GATEWAY_CLIENT_PORT);
  const issuer = `${loginBase}${ISSUER_PATH}`;
  const mcpServers = replicaPorts['utility-mcp-server'].map(local);
  const authorizationServers = replicaPorts['authorization-server'].map(local);
  const authorizationServer = authorizationServers[0] as string;
  // The MCP server and the API call a lone authorization server directly, as
  // they call idsvr in Docker. Several nodes they reach through the gateway's
  // login host, which balances over the nodes and skips one that is down:
  // what Docker's DNS does for a scaled idsvr. Any node will do, since they
  // share their keys and store.
  const authorizationServerForServices = authorizationServers.length > 1 ? loginBase : authorizationServer;
  const jwksUri = `${authorizationServerForServices}${ROUTES.jwks}`;
  const deployDir = resolve(REPO_ROOT, settings.DEPLOY_DIR);
  // Clients request the MCP server's own URL as the resource (RFC 8707), so in
  // this profile the MCP audience is the local entry point, not mcp.demo.example.
  const mcpAudience = `${mcpBase}/`;
  const common = { HOST: LOOPBACK, LOG_LEVEL: settings.LOG_LEVEL };

  const replicas = (service: ReplicatedService, spec: (port: number) => Omit<ServiceSpec, 'name' | 'ports'>): ServiceSpec[] =>
    replicaPorts[service].map((port, index) => ({
      name: replicaName(service, index),
      ...spec(port),
      ports: [{ port, setting: index === 0 ? REPLICATED[service].port : `${REPLICATED[service].port} (replica ${index + 1})` }],
    }));
  const one = (port: PortName) => [{ port: settings[port], setting: port }];

  const services: ServiceSpec[] = [
    {
      name: 'maildev',
      args: [
        resolve(REPO_ROOT, 'node_modules/maildev/dist/bin/maildev.js'),
        '--smtp', String(settings.SMTP_PORT),
        '--web', String(settings.MAILDEV_WEB_PORT),
        '--ip', LOOPBACK,
        '--web-ip', LOOPBACK,
      ],
      env: {},
      healthUrl: `${local(settings.MAILDEV_WEB_PORT)}/api/healthz`,
      ports: [...one('SMTP_PORT'), ...one('MAILDEV_WEB_PORT')],
    },
    ...replicas('authorization-server', (port) => ({
      args: [resolve(REPO_ROOT, 'authorization-server/src/main.ts')],
      env: {
        ...common,
        PORT: String(port),
        PUBLIC_BASE_URL: loginBase,
        DATA_DIR: resolve(deployDir, 'authorization-server'),
        // Several nodes share one database, which also holds the signing and cookie keys.
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        SMTP_HOST: LOOPBACK,
        SMTP_PORT: String(settings.SMTP_PORT),
        GATEWAY_CLIENT_SECRET: settings.GATEWAY_CLIENT_SECRET,
        MCP_SERVER_CLIENT_SECRET: settings.MCP_SERVER_CLIENT_SECRET,
        MCP_AUDIENCES: mcpAudience,
        API_AUDIENCE: settings.API_AUDIENCE,
        CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: 'true',
        // The client metadata documents are served on loopback, through the gateway's client port.
        CLIENT_METADATA_PRIVATE_ORIGINS: clientBase,
      },
      healthUrl: `${local(port)}/health`,
    })),
    {
      name: 'stocks-api',
      args: [resolve(REPO_ROOT, 'stocks-api/src/main.ts')],
      env: { ...common, PORT: String(settings.STOCKS_API_PORT), ISSUER: issuer, JWKS_URI: jwksUri, AUDIENCE: settings.API_AUDIENCE },
      healthUrl: `${local(settings.STOCKS_API_PORT)}/health`,
      ports: one('STOCKS_API_PORT'),
    },
    {
      name: 'client-metadata',
      args: [resolve(REPO_ROOT, 'clients/client-metadata/src/main.ts')],
      env: { ...common, PORT: String(settings.CLIENT_METADATA_PORT), PUBLIC_BASE_URL: clientBase },
      healthUrl: `${local(settings.CLIENT_METADATA_PORT)}/health`,
      ports: one('CLIENT_METADATA_PORT'),
    },
    ...replicas('utility-mcp-server', (port) => ({
      args: [resolve(REPO_ROOT, 'utility-mcp-server/src/main.ts')],
      env: {
        ...common,
        PORT: String(port),
        EXTERNAL_BASE_URL: mcpBase,
        ISSUER: issuer,
        JWKS_URI: jwksUri,
        AUDIENCE: mcpAudience,
        TOKEN_ENDPOINT: `${authorizationServerForServices}${ROUTES.token}`,
        CLIENT_SECRET: settings.MCP_SERVER_CLIENT_SECRET,
        API_AUDIENCE: settings.API_AUDIENCE,
        STOCKS_API_URL: local(settings.STOCKS_API_PORT),
      },
      healthUrl: `${local(port)}/health`,
    })),
  ];

  const virtualHosts = {
    'mcp.demo.example': { port: settings.GATEWAY_MCP_PORT, publicBaseUrl: mcpBase, setting: 'GATEWAY_MCP_PORT' },
    'api.demo.example': { port: settings.GATEWAY_API_PORT, publicBaseUrl: apiBase, setting: 'GATEWAY_API_PORT' },
    'login.demo.example': { port: settings.GATEWAY_LOGIN_PORT, publicBaseUrl: loginBase, setting: 'GATEWAY_LOGIN_PORT' },
    'mail.demo.example': { port: settings.GATEWAY_MAIL_PORT, publicBaseUrl: mailBase, setting: 'GATEWAY_MAIL_PORT' },
    'www.client.example': { port: settings.GATEWAY_CLIENT_PORT, publicBaseUrl: clientBase, setting: 'GATEWAY_CLIENT_PORT' },
  } satisfies Record<string, { port: number; publicBaseUrl: string; setting: PortName }>;

  const kong = withoutHosts(loadKongConfig(options.kongConfigPath ?? KONG_CONFIG_PATH), UNSERVED_HOSTS);
  const upstreams = upstreamsFromKong(kong, {
    'utility-mcp-server': mcpServers,
    'stocks-api': [local(settings.STOCKS_API_PORT)],
    idsvr: authorizationServers,
    'idsvr-oauth': authorizationServers,
    maildev: [local(settings.MAILDEV_WEB_PORT)],
    'client-metadata': [local(settings.CLIENT_METADATA_PORT)],
  });

  const gateway: Topology['gateway'] = {
    virtualHosts: Object.fromEntries(Object.entries(virtualHosts).map(([host, { port, publicBaseUrl }]) => [host, { port, publicBaseUrl }])),
    upstreams,
    publicUrls: Object.fromEntries(Object.entries(virtualHosts).map(([host, { publicBaseUrl }]) => [`https://${host}`, publicBaseUrl])),
    unservedHosts: UNSERVED_HOSTS,
  };

  const endpoints: Endpoints = {
    profile: 'local',
    external: {
      mcp: `${mcpBase}/`,
      protectedResourceMetadata: `${mcpBase}/.well-known/oauth-protected-resource`,
      stocksApi: `${apiBase}/stocks`,
      issuer,
      authorizationServerMetadata: `${loginBase}/.well-known/oauth-authorization-server`,
      inbox: `${mailBase}/`,
      clientMetadata: `${clientBase}/`,
    },
    internal: {
      utilityMcpServer: mcpServers[0] as string,
      stocksApi: local(settings.STOCKS_API_PORT),
      authorizationServer,
      clientMetadata: local(settings.CLIENT_METADATA_PORT),
      inboxWeb: local(settings.MAILDEV_WEB_PORT),
      smtp: `smtp://${LOOPBACK}:${settings.SMTP_PORT}`,
      replicas: { 'utility-mcp-server': mcpServers, 'authorization-server': authorizationServers },
    },
    clientMetadataDocuments: {
      consoleClient: `${clientBase}/console-client.json`,
      mcpInspector: `${clientBase}/mcp-inspector.json`,
    },
    users,
    logs: resolve(deployDir, 'logs'),
  };

  const gatewayPorts = Object.values(virtualHosts).map(({ port, setting }) => ({ port, setting }));
  return { services, gateway, gatewayPorts, endpoints };
}

import { resolve } from 'node:path';
import { z } from 'zod';
import { env } from '@mcp-demo/service-kit';

/**
 * The local profile's one description of where everything listens and how
 * each service is configured. The gateway mapping, the services' environment
 * and the endpoints file are all derived from the ports below, so a port can
 * be changed in one place (or by environment variable) and everything follows.
 */
export const portsSchema = z.object({
  GATEWAY_MCP_PORT: env.port(3100),
  GATEWAY_API_PORT: env.port(3101),
  GATEWAY_LOGIN_PORT: env.port(3102),
  GATEWAY_MAIL_PORT: env.port(3103),
  GATEWAY_CLIENT_PORT: env.port(3104),
  MCP_SERVER_PORT: env.port(3000),
  STOCKS_API_PORT: env.port(3001),
  CLIENT_METADATA_PORT: env.port(3002),
  AUTHORIZATION_SERVER_PORT: env.port(8443),
  SMTP_PORT: env.port(1025),
  MAILDEV_WEB_PORT: env.port(1080),
});

export const launcherSchema = portsSchema.extend({
  DEPLOY_DIR: z.string().default('.deploy'),
  LOG_LEVEL: env.logLevel(),
  /** Demo value: every secret below defaults to the seed's `Password1` so the stack runs out of the box. */
  GATEWAY_CLIENT_SECRET: z.string().min(1).default('Password1'),
  MCP_SERVER_CLIENT_SECRET: z.string().min(1).default('Password1'),
  API_AUDIENCE: z.string().default('https://api.demo.example'),
  // Supervision: a service that exits is restarted after a delay that doubles
  // from LAUNCHER_RESTART_DELAY_MS up to LAUNCHER_RESTART_MAX_DELAY_MS. Once it
  // has been restarted LAUNCHER_RESTART_LIMIT times within the window, the
  // launcher stops everything rather than keep a broken stack looking alive.
  LAUNCHER_RESTART_LIMIT: env.integer(5, { max: 100 }),
  LAUNCHER_RESTART_WINDOW_SECONDS: env.seconds(300, 86_400),
  LAUNCHER_RESTART_DELAY_MS: env.integer(500, { max: 60_000 }),
  LAUNCHER_RESTART_MAX_DELAY_MS: env.integer(30_000, { max: 600_000 }),
  /** How long a (re)started service has to answer its health URL. */
  LAUNCHER_HEALTH_TIMEOUT_SECONDS: env.integer(30, { min: 1, max: 600 }),
});

export type LauncherSettings = z.output<typeof launcherSchema>;
export type PortName = keyof z.output<typeof portsSchema>;
export type Ports = Record<PortName, number>;

export const PORT_NAMES = Object.keys(portsSchema.shape) as PortName[];

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

const LOOPBACK = '127.0.0.1';
const local = (port: number) => `http://${LOOPBACK}:${port}`;

export interface ServiceSpec {
  name: string;
  /** Arguments after the Node binary. */
  args: string[];
  env: Record<string, string>;
  healthUrl: string;
  ports: PortName[];
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
    utilityMcpServer: string;
    stocksApi: string;
    authorizationServer: string;
    clientMetadata: string;
    inboxWeb: string;
    smtp: string;
  };
  clientMetadataDocuments: { consoleClient: string; mcpInspector: string };
  users: Array<{ email: string; region: string; name?: string }>;
  logs: string;
}

export interface GatewayMapping {
  virtualHosts: Record<string, { port: number; publicBaseUrl: string }>;
  upstreams: Record<string, string>;
  publicUrls: Record<string, string>;
  unservedHosts: string[];
}

export interface Topology {
  services: ServiceSpec[];
  gateway: GatewayMapping;
  endpoints: Endpoints;
}

export function describeTopology(settings: LauncherSettings, users: Endpoints['users']): Topology {
  const p = settings;
  const mcpBase = local(p.GATEWAY_MCP_PORT);
  const loginBase = local(p.GATEWAY_LOGIN_PORT);
  const clientBase = local(p.GATEWAY_CLIENT_PORT);
  const issuer = `${loginBase}/oauth/v2/oauth-anonymous`;
  const authorizationServer = local(p.AUTHORIZATION_SERVER_PORT);
  const jwksUri = `${authorizationServer}/oauth/v2/oauth-anonymous/jwks`;
  const deployDir = resolve(REPO_ROOT, settings.DEPLOY_DIR);
  // Clients request the MCP server's own URL as the resource (RFC 8707), so in
  // this profile the MCP audience is the local entry point, not mcp.demo.example.
  const mcpAudience = `${mcpBase}/`;
  const common = { HOST: LOOPBACK, LOG_LEVEL: settings.LOG_LEVEL };

  const services: ServiceSpec[] = [
    {
      name: 'maildev',
      args: [
        resolve(REPO_ROOT, 'node_modules/maildev/dist/bin/maildev.js'),
        '--smtp', String(p.SMTP_PORT),
        '--web', String(p.MAILDEV_WEB_PORT),
        '--ip', LOOPBACK,
        '--web-ip', LOOPBACK,
      ],
      env: {},
      healthUrl: `${local(p.MAILDEV_WEB_PORT)}/api/healthz`,
      ports: ['SMTP_PORT', 'MAILDEV_WEB_PORT'],
    },
    {
      name: 'authorization-server',
      args: [resolve(REPO_ROOT, 'authorization-server/src/main.ts')],
      env: {
        ...common,
        PORT: String(p.AUTHORIZATION_SERVER_PORT),
        PUBLIC_BASE_URL: loginBase,
        DATA_DIR: resolve(deployDir, 'authorization-server'),
        SMTP_HOST: LOOPBACK,
        SMTP_PORT: String(p.SMTP_PORT),
        GATEWAY_CLIENT_SECRET: settings.GATEWAY_CLIENT_SECRET,
        MCP_SERVER_CLIENT_SECRET: settings.MCP_SERVER_CLIENT_SECRET,
        MCP_AUDIENCES: mcpAudience,
        API_AUDIENCE: settings.API_AUDIENCE,
        CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: 'true',
        // The client metadata documents are served on loopback, through the gateway's client port.
        CLIENT_METADATA_PRIVATE_ORIGINS: clientBase,
      },
      healthUrl: `${authorizationServer}/health`,
      ports: ['AUTHORIZATION_SERVER_PORT'],
    },
    {
      name: 'stocks-api',
      args: [resolve(REPO_ROOT, 'stocks-api/src/main.ts')],
      env: { ...common, PORT: String(p.STOCKS_API_PORT), ISSUER: issuer, JWKS_URI: jwksUri, AUDIENCE: settings.API_AUDIENCE },
      healthUrl: `${local(p.STOCKS_API_PORT)}/health`,
      ports: ['STOCKS_API_PORT'],
    },
    {
      name: 'client-metadata',
      args: [resolve(REPO_ROOT, 'clients/client-metadata/src/main.ts')],
      env: { ...common, PORT: String(p.CLIENT_METADATA_PORT), PUBLIC_BASE_URL: clientBase },
      healthUrl: `${local(p.CLIENT_METADATA_PORT)}/health`,
      ports: ['CLIENT_METADATA_PORT'],
    },
    {
      name: 'utility-mcp-server',
      args: [resolve(REPO_ROOT, 'utility-mcp-server/src/main.ts')],
      env: {
        ...common,
        PORT: String(p.MCP_SERVER_PORT),
        EXTERNAL_BASE_URL: mcpBase,
        ISSUER: issuer,
        JWKS_URI: jwksUri,
        AUDIENCE: mcpAudience,
        TOKEN_ENDPOINT: `${authorizationServer}/oauth/v2/oauth-token`,
        CLIENT_SECRET: settings.MCP_SERVER_CLIENT_SECRET,
        API_AUDIENCE: settings.API_AUDIENCE,
        STOCKS_API_URL: local(p.STOCKS_API_PORT),
      },
      healthUrl: `${local(p.MCP_SERVER_PORT)}/health`,
      ports: ['MCP_SERVER_PORT'],
    },
  ];

  const gateway: GatewayMapping = {
    virtualHosts: {
      'mcp.demo.example': { port: p.GATEWAY_MCP_PORT, publicBaseUrl: mcpBase },
      'api.demo.example': { port: p.GATEWAY_API_PORT, publicBaseUrl: local(p.GATEWAY_API_PORT) },
      'login.demo.example': { port: p.GATEWAY_LOGIN_PORT, publicBaseUrl: loginBase },
      'mail.demo.example': { port: p.GATEWAY_MAIL_PORT, publicBaseUrl: local(p.GATEWAY_MAIL_PORT) },
      'www.client.example': { port: p.GATEWAY_CLIENT_PORT, publicBaseUrl: clientBase },
    },
    upstreams: {
      'utility-mcp-server:3000': local(p.MCP_SERVER_PORT),
      'stocks-api:3001': local(p.STOCKS_API_PORT),
      'idsvr:8443': authorizationServer,
      'maildev:1080': local(p.MAILDEV_WEB_PORT),
      'client-metadata:3002': local(p.CLIENT_METADATA_PORT),
    },
    publicUrls: {
      'https://mcp.demo.example': mcpBase,
      'https://api.demo.example': local(p.GATEWAY_API_PORT),
      'https://login.demo.example': loginBase,
      'https://mail.demo.example': local(p.GATEWAY_MAIL_PORT),
      'https://www.client.example': clientBase,
    },
    // The Curity admin UI exists only in the Docker curity profile.
    unservedHosts: ['admin.demo.example'],
  };

  const endpoints: Endpoints = {
    profile: 'local',
    external: {
      mcp: `${mcpBase}/`,
      protectedResourceMetadata: `${mcpBase}/.well-known/oauth-protected-resource`,
      stocksApi: `${local(p.GATEWAY_API_PORT)}/stocks`,
      issuer,
      authorizationServerMetadata: `${loginBase}/.well-known/oauth-authorization-server`,
      inbox: `${local(p.GATEWAY_MAIL_PORT)}/`,
      clientMetadata: `${clientBase}/`,
    },
    internal: {
      utilityMcpServer: local(p.MCP_SERVER_PORT),
      stocksApi: local(p.STOCKS_API_PORT),
      authorizationServer,
      clientMetadata: local(p.CLIENT_METADATA_PORT),
      inboxWeb: local(p.MAILDEV_WEB_PORT),
      smtp: `smtp://${LOOPBACK}:${p.SMTP_PORT}`,
    },
    clientMetadataDocuments: {
      consoleClient: `${clientBase}/console-client.json`,
      mcpInspector: `${clientBase}/mcp-inspector.json`,
    },
    users,
    logs: resolve(deployDir, 'logs'),
  };

  return { services, gateway, endpoints };
}

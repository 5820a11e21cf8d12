import { resolve } from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@mcp-demo/service-kit';

/**
 * The local profile's settings: where everything listens, how many replicas
 * run, the demo secrets and the launcher's supervision. Read by the launcher
 * and, for the standard ports, by the gateway run alone.
 */

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

const portsSchema = z.object({
  GATEWAY_MCP_PORT: env.port(3100),
  GATEWAY_API_PORT: env.port(3101),
  GATEWAY_LOGIN_PORT: env.port(3102),
  GATEWAY_MAIL_PORT: env.port(3103),
  GATEWAY_CLIENT_PORT: env.port(3104),
  /** The first MCP server; replica n listens REPLICA_PORT_STEP * (n - 1) above it. */
  MCP_SERVER_PORT: env.port(3000),
  STOCKS_API_PORT: env.port(3001),
  CLIENT_METADATA_PORT: env.port(3002),
  /** The first authorization server node; node n listens REPLICA_PORT_STEP * (n - 1) above it. */
  AUTHORIZATION_SERVER_PORT: env.port(8443),
  SMTP_PORT: env.port(1025),
  MAILDEV_WEB_PORT: env.port(1080),
});

/** Distance between the ports of two replicas of one service: 3000, 3010, 3020... */
export const REPLICA_PORT_STEP = 10;

/**
 * The seed's demo client secret, which the launcher gives the authorization
 * server, the gateway and the MCP server unless set, so that the local stack
 * runs out of the box. A demo value, public: set GATEWAY_CLIENT_SECRET and
 * MCP_SERVER_CLIENT_SECRET for anything else.
 */
export const DEMO_CLIENT_SECRET = 'Password1';

export const settingsSchema = portsSchema.extend({
  DEPLOY_DIR: env.text('.deploy'),
  LOG_LEVEL: env.logLevel(),
  GATEWAY_CLIENT_SECRET: env.demoSecret(DEMO_CLIENT_SECRET),
  MCP_SERVER_CLIENT_SECRET: env.demoSecret(DEMO_CLIENT_SECRET),
  API_AUDIENCE: env.optionalUrl().transform((value) => value ?? 'https://api.demo.example'),
  /** Processes of the MCP server, balanced by the gateway. */
  MCP_SERVER_REPLICAS: env.integer(1, { min: 1, max: 16 }),
  /** Authorization server nodes, balanced by the gateway; more than one share a PostgreSQL database. */
  AUTHORIZATION_SERVER_REPLICAS: env.integer(1, { min: 1, max: 16 }),
  /**
   * The authorization server's PostgreSQL database. Unset: one node keeps
   * SQLite in the deploy directory, and several nodes get a throwaway
   * PostgreSQL the launcher starts (and removes when it stops).
   */
  DATABASE_URL: env.optionalPostgresUrl(),
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

export type Settings = z.output<typeof settingsSchema>;
export type PortName = keyof z.output<typeof portsSchema>;
export type Ports = Record<PortName, number>;

export const PORT_NAMES = Object.keys(portsSchema.shape) as PortName[];

export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig('launcher', settingsSchema, source);
}

/** The services that run as several replicas, with the setting of their first port. */
export const REPLICATED = {
  'utility-mcp-server': { port: 'MCP_SERVER_PORT', replicas: 'MCP_SERVER_REPLICAS' },
  'authorization-server': { port: 'AUTHORIZATION_SERVER_PORT', replicas: 'AUTHORIZATION_SERVER_REPLICAS' },
} as const satisfies Record<string, { port: PortName; replicas: keyof Settings }>;

export type ReplicatedService = keyof typeof REPLICATED;

/** The ports of each replica, first one first. */
export type ReplicaPorts = Record<ReplicatedService, number[]>;

/** The documented ports: the setting's port, then one REPLICA_PORT_STEP above the other. */
export function standardReplicaPorts(settings: Settings): ReplicaPorts {
  const ports = (service: ReplicatedService) =>
    Array.from({ length: settings[REPLICATED[service].replicas] }, (_, index) => settings[REPLICATED[service].port] + REPLICA_PORT_STEP * index);
  return { 'utility-mcp-server': ports('utility-mcp-server'), 'authorization-server': ports('authorization-server') };
}

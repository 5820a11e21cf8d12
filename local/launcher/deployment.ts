import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger, errorFields, type Logger } from '@mcp-demo/service-kit';
import type { TestPostgres } from '@mcp-demo/testing';
import { startGateway } from '../gateway/index.ts';
import {
  describeTopology,
  KONG_CONFIG_PATH,
  loadSettings,
  PORT_NAMES,
  REPLICATED,
  REPO_ROOT,
  standardReplicaPorts,
  type Endpoints,
  type ReplicaPorts,
  type Settings,
  type Topology,
} from '../topology/index.ts';
import { createLauncherLogger } from './launcher-log.ts';
import { assertFetchablePorts, assertPortsFree, assertPortsDistinct, pickFreePorts } from './ports.ts';
import { superviseService, type RestartPolicy, type ServiceFailure, type SupervisedService } from './supervisor.ts';

export type { ServiceFailure } from './supervisor.ts';

export interface LocalDeployment {
  endpoints: Endpoints;
  settings: Settings;
  /** The launcher's own log (`<deploy dir>/logs/launcher.log`): service starts, exits, restarts. */
  logger: Logger;
  /** The running services by name, replicas included (`utility-mcp-server-2`...), in start order. */
  serviceNames(): string[];
  /** Stops one service (by name) without touching the others, e.g. to test an outage; it is not restarted. */
  stopService(name: string): Promise<void>;
  /** Starts a previously stopped service again with the same configuration. */
  startService(name: string): Promise<void>;
  /** The process id of a running service. */
  pidOf(name: string): number | undefined;
  stop(): Promise<void>;
  /**
   * Settles once the deployment has stopped: with undefined after `stop()`,
   * with the failure when a service kept exiting and the launcher gave up on
   * it (everything is stopped by then).
   */
  finished: Promise<ServiceFailure | undefined>;
}

export interface StartOptions {
  /** Environment-style settings (MCP_SERVER_REPLICAS, DATABASE_URL...); defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Use free ports instead of the documented defaults (tests). */
  freePorts?: boolean;
  onProgress?: (message: string) => void;
  /** Also print the launcher log's messages here (`npm start` passes stdout). */
  console?: NodeJS.WritableStream;
  /** Starts another gateway in place of the Node one (tests run nginx with the Kong plugin this way). */
  gateway?: GatewayStarter;
}

/** What a gateway is given: kong.yml, the host/port mapping (a list of origins per upstream), the environment and a log file. */
export type GatewayStartOptions = Topology['gateway'] & {
  kongConfigPath: string;
  env: Record<string, string | undefined>;
  logFile: string;
};

export type GatewayStarter = (options: GatewayStartOptions) => Promise<{ close(): Promise<void> }>;

function readUsers(): Endpoints['users'] {
  const file = JSON.parse(readFileSync(resolve(REPO_ROOT, 'data/users.json'), 'utf8')) as { users: Endpoints['users'] };
  return file.users;
}

/** The settings, and with freePorts every port (replicas included) replaced by a free one. */
async function resolvePorts(settings: Settings, freePorts: boolean): Promise<{ settings: Settings; replicaPorts: ReplicaPorts }> {
  if (!freePorts) return { settings, replicaPorts: standardReplicaPorts(settings) };
  const replicas = Object.values(REPLICATED).map(({ replicas }) => settings[replicas]);
  const free = await pickFreePorts(PORT_NAMES.length + replicas.reduce((sum, count) => sum + count - 1, 0));
  const ports = Object.fromEntries(PORT_NAMES.map((name, index) => [name, free[index]]));
  const moved = { ...settings, ...ports };
  let next = PORT_NAMES.length;
  const replicaPorts = Object.fromEntries(
    Object.entries(REPLICATED).map(([service, { port, replicas }]) => {
      const extra = free.slice(next, next + moved[replicas] - 1);
      next += moved[replicas] - 1;
      return [service, [moved[port], ...extra]];
    }),
  ) as ReplicaPorts;
  return { settings: moved, replicaPorts };
}

function restartPolicyOf(settings: Settings): RestartPolicy {
  return {
    limit: settings.LAUNCHER_RESTART_LIMIT,
    windowMs: settings.LAUNCHER_RESTART_WINDOW_SECONDS * 1000,
    initialDelayMs: settings.LAUNCHER_RESTART_DELAY_MS,
    maxDelayMs: settings.LAUNCHER_RESTART_MAX_DELAY_MS,
    healthTimeoutMs: settings.LAUNCHER_HEALTH_TIMEOUT_SECONDS * 1000,
  };
}

/** Every port checked before anything starts: distinct, reachable by fetch clients, and free. */
async function checkPorts(topology: Topology): Promise<void> {
  const uses = [
    ...topology.services.flatMap((service) => service.ports.map(({ port, setting }) => ({ port, setting, purpose: `${service.name}, set ${setting} to change it` }))),
    ...topology.gatewayPorts.map(({ port, setting }) => ({ port, setting, purpose: `gateway, set ${setting} to change it` })),
  ];
  assertPortsDistinct(uses);
  // Every port but SMTP's is spoken to over HTTP by fetch clients.
  assertFetchablePorts(uses.filter(({ setting }) => setting !== 'SMTP_PORT'));
  await assertPortsFree(uses);
}

/**
 * Starts the whole local profile: the test inbox, the authorization server
 * (N nodes, on a shared PostgreSQL when N > 1), the stocks API, the client
 * metadata host and the MCP server (N replicas) as processes, then the
 * gateway serving kong/kong.yml in front of them. Writes the endpoints file
 * and one log file per service under the deploy directory.
 */
export async function startLocalDeployment(options: StartOptions = {}): Promise<LocalDeployment> {
  const progress = options.onProgress ?? (() => {});
  const { settings, replicaPorts } = await resolvePorts(loadSettings(options.env ?? process.env), options.freePorts ?? false);
  const users = readUsers();
  // Checked on the topology without a database first: nothing is started before the ports are known to be usable.
  await checkPorts(describeTopology(settings, users, { replicaPorts }));

  const deployDir = resolve(REPO_ROOT, settings.DEPLOY_DIR);
  const logDir = resolve(deployDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = (name: string) => resolve(logDir, `${name}.log`);
  const logger = createLauncherLogger(logFile('launcher'), settings.LOG_LEVEL, options.console);

  // Several authorization server nodes share one database; without one given, a throwaway one.
  let database: TestPostgres | undefined;
  let databaseUrl: string | undefined;
  if (settings.AUTHORIZATION_SERVER_REPLICAS > 1 && !settings.DATABASE_URL) {
    progress('starting PostgreSQL for the authorization server nodes');
    // Loaded only here: the package also holds the test helpers.
    const { startPostgres } = await import('@mcp-demo/testing');
    database = await startPostgres();
    try {
      databaseUrl = await database.createDatabase('authorization_server');
    } catch (error) {
      await database.stop();
      throw error;
    }
    logger.info({ port: database.port }, `PostgreSQL for the authorization server nodes listens on port ${database.port}; its data is removed when the deployment stops`);
  }
  const topology = describeTopology(settings, users, { replicaPorts, databaseUrl });

  const policy = restartPolicyOf(settings);
  const running = new Map<string, SupervisedService>();
  let gateway: { close(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  let settle: (failure: ServiceFailure | undefined) => void = () => {};
  const finished = new Promise<ServiceFailure | undefined>((resolve) => {
    settle = resolve;
  });

  // Stopping twice (Ctrl+C while giving up on a service) waits for the one stop.
  const stop = (failure?: ServiceFailure) => {
    stopping ??= (async () => {
      for (const service of running.values()) service.expectExit();
      await gateway?.close();
      gateway = undefined;
      for (const service of [...running.values()].reverse()) await service.stop();
      running.clear();
      await database?.stop();
      settle(failure);
    })();
    return stopping;
  };

  const giveUp = (failure: ServiceFailure) => {
    logger.error({ serviceName: failure.service, logFile: failure.logFile }, `giving up on ${failure.service}, stopping every service`);
    stop(failure).catch((error: unknown) => logger.error(errorFields(error), 'stopping after a failed service did not complete'));
  };

  // A service given up on while later ones start stops the deployment; what
  // was starting meanwhile must not be left running behind the stop.
  const unlessStopped = async (what: string, close: () => Promise<void>) => {
    if (!stopping) return;
    await close();
    const failure = await finished;
    throw new Error(failure?.message ?? `the deployment was stopped while ${what} was starting`);
  };

  const launch = async (name: string) => {
    const spec = topology.services.find((service) => service.name === name);
    if (!spec) throw new Error(`unknown service ${name}`);
    progress(`starting ${name}`);
    const service = await superviseService(spec, logFile(name), { policy, logger, onGiveUp: giveUp });
    await unlessStopped(name, service.stop);
    running.set(name, service);
  };

  try {
    for (const service of topology.services) await launch(service.name);
    progress('starting gateway');
    const gatewayOptions: GatewayStartOptions = {
      ...topology.gateway,
      kongConfigPath: KONG_CONFIG_PATH,
      // kong.yml reads the introspection secret from the environment ({vault://env/...}).
      env: { ...process.env, GATEWAY_CLIENT_SECRET: settings.GATEWAY_CLIENT_SECRET },
      logFile: logFile('gateway'),
    };
    const { logFile: gatewayLog, ...nodeGatewayOptions } = gatewayOptions;
    const started = options.gateway
      ? await options.gateway(gatewayOptions)
      : await startGateway({ ...nodeGatewayOptions, logger: createLogger('gateway', settings.LOG_LEVEL, gatewayLog) });
    await unlessStopped('the gateway', started.close);
    gateway = started;
  } catch (error) {
    await stop();
    throw error;
  }

  writeFileSync(resolve(deployDir, 'endpoints.json'), `${JSON.stringify(topology.endpoints, null, 2)}\n`);

  return {
    endpoints: topology.endpoints,
    settings,
    logger,
    serviceNames: () => [...running.keys()],
    stop: () => stop(),
    stopService: async (name) => {
      await running.get(name)?.stop();
      running.delete(name);
    },
    startService: launch,
    pidOf: (name) => running.get(name)?.pid(),
    finished,
  };
}

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger, errorFields, loadConfig, type Logger } from '@mcp-demo/service-kit';
import { startGateway } from '../gateway/index.ts';
import { createLauncherLogger } from './launcher-log.ts';
import { assertFetchablePorts, assertPortsFree, pickFreePorts } from './ports.ts';
import { superviseService, type RestartPolicy, type ServiceFailure, type SupervisedService } from './supervisor.ts';
import { describeTopology, launcherSchema, PORT_NAMES, REPO_ROOT, type Endpoints, type LauncherSettings, type Ports } from './topology.ts';

export type { ServiceFailure } from './supervisor.ts';

export interface LocalDeployment {
  endpoints: Endpoints;
  settings: LauncherSettings;
  /** The launcher's own log (`<deploy dir>/logs/launcher.log`): service starts, exits, restarts. */
  logger: Logger;
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
  /** Environment-style settings; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Use free ports instead of the documented defaults (tests). */
  freePorts?: boolean;
  onProgress?: (message: string) => void;
  /** Also print the launcher log's messages here (`npm start` passes stdout). */
  console?: NodeJS.WritableStream;
  /** Starts another gateway in place of the Node one (tests run nginx with the Kong plugin this way). */
  gateway?: GatewayStarter;
}

/** What the Node gateway is given: kong.yml, the host/port mapping, the environment and a log file. */
export interface GatewayStartOptions {
  kongConfigPath: string;
  virtualHosts: Record<string, { port: number }>;
  upstreams: Record<string, string>;
  publicUrls: Record<string, string>;
  unservedHosts: string[];
  env: Record<string, string | undefined>;
  logFile: string;
}

export type GatewayStarter = (options: GatewayStartOptions) => Promise<{ close(): Promise<void> }>;

function readUsers(): Endpoints['users'] {
  const file = JSON.parse(readFileSync(resolve(REPO_ROOT, 'data/users.json'), 'utf8')) as { users: Endpoints['users'] };
  return file.users;
}

async function resolveSettings(options: StartOptions): Promise<LauncherSettings> {
  const settings = loadConfig('launcher', launcherSchema, options.env ?? process.env);
  if (!options.freePorts) return settings;
  const free = await pickFreePorts(PORT_NAMES.length);
  const ports = Object.fromEntries(PORT_NAMES.map((name, index) => [name, free[index]])) as Ports;
  return { ...settings, ...ports };
}

function restartPolicyOf(settings: LauncherSettings): RestartPolicy {
  return {
    limit: settings.LAUNCHER_RESTART_LIMIT,
    windowMs: settings.LAUNCHER_RESTART_WINDOW_SECONDS * 1000,
    initialDelayMs: settings.LAUNCHER_RESTART_DELAY_MS,
    maxDelayMs: settings.LAUNCHER_RESTART_MAX_DELAY_MS,
    healthTimeoutMs: settings.LAUNCHER_HEALTH_TIMEOUT_SECONDS * 1000,
  };
}

/**
 * Starts the whole local profile: the test inbox, the authorization server,
 * the stocks API, the client metadata host and the MCP server as processes,
 * then the gateway serving kong/kong.yml in front of them. Writes the
 * endpoints file and one log file per service under the deploy directory.
 */
export async function startLocalDeployment(options: StartOptions = {}): Promise<LocalDeployment> {
  const progress = options.onProgress ?? (() => {});
  const settings = await resolveSettings(options);
  const topology = describeTopology(settings, readUsers());
  const deployDir = resolve(REPO_ROOT, settings.DEPLOY_DIR);
  const logDir = resolve(deployDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const owners = new Map<string, string>();
  for (const service of topology.services) for (const port of service.ports) owners.set(port, service.name);
  const portUses = PORT_NAMES.map((name) => ({
    name,
    port: settings[name],
    purpose: `${owners.get(name) ?? 'gateway'}, set ${name} to change it`,
  }));
  // Every port but SMTP's is spoken to over HTTP by fetch clients.
  assertFetchablePorts(portUses.filter(({ name }) => name !== 'SMTP_PORT'));
  await assertPortsFree(portUses);

  const logFile = (name: string) => resolve(logDir, `${name}.log`);
  const logger = createLauncherLogger(logFile('launcher'), settings.LOG_LEVEL, options.console);
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
      await gateway?.close();
      gateway = undefined;
      for (const service of [...running.values()].reverse()) await service.stop();
      running.clear();
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
      kongConfigPath: resolve(REPO_ROOT, 'kong/kong.yml'),
      virtualHosts: Object.fromEntries(Object.entries(topology.gateway.virtualHosts).map(([host, { port }]) => [host, { port }])),
      upstreams: topology.gateway.upstreams,
      publicUrls: topology.gateway.publicUrls,
      unservedHosts: topology.gateway.unservedHosts,
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

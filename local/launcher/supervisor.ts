import { errorFields, type Logger } from '@mcp-demo/service-kit';
import { describeExit, spawnService, tail, waitHealthy, type ProcessExit, type ServiceProcess } from './processes.ts';
import type { ServiceSpec } from '../topology/index.ts';

export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; 0 gives up at the first exit. */
  limit: number;
  windowMs: number;
  /** Delay before the first restart in the window; it doubles for each further one. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** How long a (re)started service has to answer its health URL. */
  healthTimeoutMs: number;
}

/** Why the launcher gave up on a service. */
export interface ServiceFailure {
  service: string;
  logFile: string;
  message: string;
}

export interface SupervisedService {
  name: string;
  /** The process id of the current instance, if one runs. */
  pid(): number | undefined;
  /** Stops the service on purpose: no restart follows. */
  stop(): Promise<void>;
  /**
   * From now on an exit is expected and not restarted. The deployment calls
   * it on every service before stopping them one by one, because Ctrl+C in a
   * terminal signals the launcher and its services together: a service that
   * exits before its turn is shutting down, not crashing.
   */
  expectExit(): void;
}

/** Exponential back-off: the delay before the restart that follows `restartsInWindow` earlier ones. */
export function restartDelayMs(policy: RestartPolicy, restartsInWindow: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** restartsInWindow);
}

function giveUpMessage(spec: ServiceSpec, logFile: string, exit: ProcessExit, policy: RestartPolicy, restarts: number): string {
  const limit =
    policy.limit === 0
      ? 'restarts are disabled (LAUNCHER_RESTART_LIMIT=0)'
      : `it was already restarted ${restarts} time${restarts === 1 ? '' : 's'} within ${policy.windowMs / 1000}s (LAUNCHER_RESTART_LIMIT=${policy.limit}, LAUNCHER_RESTART_WINDOW_SECONDS=${policy.windowMs / 1000})`;
  return `${spec.name} stopped unexpectedly (${describeExit(exit)}) and ${limit}; stopping the deployment.\nIts log is ${logFile}; last lines:\n${tail(logFile)}`;
}

/**
 * Starts a service, waits for its health URL, then keeps it running: an exit
 * nobody asked for is logged and followed by a restart after an
 * exponentially growing delay, and each restarted instance must answer its
 * health URL again. When the restarts within the window reach the policy's
 * limit, `onGiveUp` is told instead, once.
 *
 * A service that fails its very first start is not retried: that is a
 * configuration or port problem, reported at once by the rejection.
 */
export async function superviseService(
  spec: ServiceSpec,
  logFile: string,
  options: { policy: RestartPolicy; logger: Logger; onGiveUp: (failure: ServiceFailure) => void },
): Promise<SupervisedService> {
  const { policy, logger } = options;
  const log = logger.child({ serviceName: spec.name });
  let current: ServiceProcess | undefined;
  let stopped = false;
  let pendingRestart: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;
  /** When each restart within the window was scheduled. */
  let restarts: number[] = [];

  const launch = async (): Promise<ServiceProcess> => {
    const started = await spawnService(spec, logFile);
    current = started;
    log.info({ pid: started.child.pid }, `${spec.name} started (pid ${started.child.pid})`);
    return started;
  };

  const onExit = (instance: ServiceProcess, exit: ProcessExit) => {
    if (stopped || instance !== current) return;
    current = undefined;
    const now = Date.now();
    restarts = restarts.filter((at) => at > now - policy.windowMs);
    log.error({ pid: instance.child.pid, exitCode: exit.code, signal: exit.signal, logFile }, `${spec.name} exited unexpectedly (${describeExit(exit)})`);
    if (restarts.length >= policy.limit) {
      stopped = true;
      log.error({ restarts: restarts.length, limit: policy.limit }, `${spec.name}: restart limit reached, giving up`);
      options.onGiveUp({ service: spec.name, logFile, message: giveUpMessage(spec, logFile, exit, policy, restarts.length) });
      return;
    }
    const delayMs = restartDelayMs(policy, restarts.length);
    restarts.push(now);
    log.warn({ attempt: restarts.length, limit: policy.limit, delayMs }, `restarting ${spec.name} in ${delayMs} ms (restart ${restarts.length} of at most ${policy.limit})`);
    pendingRestart = setTimeout(() => {
      pendingRestart = undefined;
      restarting = restart().finally(() => {
        restarting = undefined;
      });
    }, delayMs);
  };

  const watch = (instance: ServiceProcess) => {
    void instance.exited.then((exit) => onExit(instance, exit));
  };

  const restart = async () => {
    if (stopped) return;
    let instance: ServiceProcess;
    try {
      instance = await launch();
    } catch (error) {
      // The log file could not be opened: nothing to restart into.
      stopped = true;
      log.error(errorFields(error), `${spec.name} could not be restarted`);
      options.onGiveUp({ service: spec.name, logFile, message: `${spec.name} could not be restarted: ${errorFields(error).errorMessage ?? 'unknown error'}` });
      return;
    }
    if (stopped) {
      await instance.stop();
      return;
    }
    // Watched from the start: dying during start-up counts as another exit.
    watch(instance);
    try {
      await waitHealthy(instance, policy.healthTimeoutMs);
      if (instance === current) log.info({ pid: instance.child.pid }, `${spec.name} is healthy again`);
    } catch {
      // Still running but not healthy in time: end it, and its exit leads to the next attempt.
      if (!instance.hasExited() && instance === current) {
        log.error({ pid: instance.child.pid, timeoutMs: policy.healthTimeoutMs }, `${spec.name} did not answer its health URL in time after a restart`);
        await instance.stop();
      }
    }
  };

  const first = await launch();
  try {
    await waitHealthy(first, policy.healthTimeoutMs);
  } catch (error) {
    stopped = true;
    await first.stop();
    throw error;
  }
  watch(first);

  const expectExit = () => {
    stopped = true;
    clearTimeout(pendingRestart);
    pendingRestart = undefined;
  };

  return {
    name: spec.name,
    pid: () => current?.child.pid,
    stop: async () => {
      expectExit();
      await current?.stop();
      // A restart under way ends quickly now: its process is gone or is
      // stopped as soon as it has been spawned.
      await restarting;
      current = undefined;
    },
    expectExit,
  };
}

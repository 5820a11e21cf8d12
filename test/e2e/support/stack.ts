import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalDeployment, type GatewayStarter, type LocalDeployment } from '../../../local/launcher/deployment.ts';

export type { LocalDeployment } from '../../../local/launcher/deployment.ts';

/**
 * Starts the whole local profile on free ports with its own deploy directory
 * (logs, authorization server data), so test runs never touch a developer's
 * running stack or each other.
 */
export interface Stack extends LocalDeployment {
  deployDir: string;
  logLines(service: string): Array<Record<string, unknown>>;
  /** Resolves once no service has written to its log for a moment: longer than the services' log flush interval (service-kit's logger). */
  logsSettled(): Promise<void>;
}

/**
 * `gateway` replaces the Node gateway, e.g. by nginx with the Kong plugin;
 * `env` adds launcher settings (replicas, a database).
 */
export async function startStack(options: { gateway?: GatewayStarter; env?: Record<string, string> } = {}): Promise<Stack> {
  const deployDir = mkdtempSync(join(tmpdir(), 'mcp-e2e-'));
  const deployment = await startLocalDeployment({
    freePorts: true,
    env: { ...options.env, DEPLOY_DIR: deployDir, LOG_LEVEL: 'debug' },
    ...(options.gateway ? { gateway: options.gateway } : {}),
  });
  return {
    ...deployment,
    deployDir,
    stop: async () => {
      await deployment.stop();
      if (!process.env.KEEP_E2E_LOGS) rmSync(deployDir, { recursive: true, force: true });
    },
    logsSettled: async () => {
      const logDir = join(deployDir, 'logs');
      const sizes = () => readdirSync(logDir).map((file) => statSync(join(logDir, file)).size).join(',');
      let last = sizes();
      for (let round = 0; round < 50; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const now = sizes();
        if (now === last) return;
        last = now;
      }
    },
    logLines: (service) =>
      readFileSync(join(deployDir, 'logs', `${service}.log`), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalDeployment, type LocalDeployment } from '../../../local/launcher/deployment.ts';

export type { LocalDeployment } from '../../../local/launcher/deployment.ts';

/**
 * Starts the whole local profile on free ports with its own deploy directory
 * (logs, authorization server data), so test runs never touch a developer's
 * running stack or each other.
 */
export async function startStack(): Promise<LocalDeployment & { deployDir: string; logLines(service: string): Array<Record<string, unknown>> }> {
  const deployDir = mkdtempSync(join(tmpdir(), 'mcp-e2e-'));
  const deployment = await startLocalDeployment({
    freePorts: true,
    env: { DEPLOY_DIR: deployDir, LOG_LEVEL: 'debug' },
  });
  return {
    ...deployment,
    deployDir,
    stop: async () => {
      await deployment.stop();
      if (!process.env.KEEP_E2E_LOGS) rmSync(deployDir, { recursive: true, force: true });
    },
    logLines: (service) =>
      readFileSync(join(deployDir, 'logs', `${service}.log`), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

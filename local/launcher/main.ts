import { resolve } from 'node:path';
import { describeDeployment } from './banner.ts';
import { startLocalDeployment } from './deployment.ts';
import { REPO_ROOT } from './topology.ts';

/**
 * `npm start` / `./deploy.sh --local`: runs the whole deployment as local
 * processes until Ctrl+C or SIGTERM, then stops every service cleanly.
 */
async function main(): Promise<void> {
  const deployment = await startLocalDeployment({ onProgress: (message) => process.stdout.write(`  ${message}\n`) });
  const endpointsFile = resolve(REPO_ROOT, deployment.settings.DEPLOY_DIR, 'endpoints.json');
  process.stdout.write(describeDeployment(deployment.endpoints, endpointsFile));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\nReceived ${signal}, stopping services...\n`);
    deployment.stop().then(
      () => {
        process.stdout.write('All services stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`Error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nThe local deployment could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

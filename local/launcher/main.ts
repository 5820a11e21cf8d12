import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { describeDeployment } from './banner.ts';
import { startLocalDeployment } from './deployment.ts';
import { REPO_ROOT } from '../topology/index.ts';

/**
 * `npm start` / `./deploy.sh --local`: runs the whole deployment as local
 * processes until Ctrl+C or SIGTERM, then stops every service cleanly. A
 * service that keeps exiting despite restarts ends the run with exit code 1.
 *
 * `--replicas N` runs N MCP servers and N authorization server nodes (the
 * same as MCP_SERVER_REPLICAS=N AUTHORIZATION_SERVER_REPLICAS=N).
 */
function environment(args: string[]): Record<string, string | undefined> {
  const { values } = parseArgs({ args, options: { replicas: { type: 'string' } }, strict: true, allowPositionals: false });
  if (values.replicas === undefined) return process.env;
  return { ...process.env, MCP_SERVER_REPLICAS: values.replicas, AUTHORIZATION_SERVER_REPLICAS: values.replicas };
}

async function main(): Promise<void> {
  const deployment = await startLocalDeployment({
    env: environment(process.argv.slice(2)),
    onProgress: (message) => process.stdout.write(`  ${message}\n`),
    console: process.stdout,
  });
  const endpointsFile = resolve(REPO_ROOT, deployment.settings.DEPLOY_DIR, 'endpoints.json');
  process.stdout.write(describeDeployment(deployment.endpoints, endpointsFile));

  // Exits 0 once everything has stopped; the services get up to 8 s each,
  // and the deployment has no connections of its own to cut short.
  shutdownOnSignals({ close: deployment.stop }, deployment.logger);

  const failure = await deployment.finished;
  if (failure) {
    process.stderr.write(`\nThe local deployment stopped: ${failure.message}\n`);
    process.exit(1);
  }
}

runMain('launcher', main);

import { fileURLToPath } from 'node:url';
import { startPostgres, startServiceProcess, startTestInbox, unusedPort, type ServiceProcess, type TestInbox, type TestPostgres } from '@mcp-demo/testing';
import { API_AUDIENCE, GATEWAY_SECRET, MCP_AUDIENCE, MCP_SERVER_SECRET, mailSettings } from '../../../authorization-server/test/support/server.ts';
import { startFront, type Front } from './front.ts';

const AUTHORIZATION_SERVER_MAIN = fileURLToPath(new URL('../../../authorization-server/src/main.ts', import.meta.url));

// The same client secrets and audiences as the in-process test server: the
// OAuth steps of authorization-server/test/support/oauth.ts assume them.
export { API_AUDIENCE, GATEWAY_SECRET, MCP_AUDIENCE, MCP_SERVER_SECRET };

export interface Node {
  name: string;
  url: string;
  process: ServiceProcess;
}

/** Authorization server nodes on one PostgreSQL database behind one front. */
export interface Cluster {
  front: Front;
  inbox: TestInbox;
  postgres: TestPostgres;
  nodes: Map<string, Node>;
  /** Stops a node as an operator would (SIGTERM) and takes it out of the front's rotation. */
  stopNode(name: string): Promise<void>;
  /** Starts a stopped node again on its port and puts it back. */
  startNode(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  /** Settings every node gets on top of the cluster's own. */
  env?: Record<string, string>;
}

/**
 * Starts a throwaway PostgreSQL, an inbox and `nodes` authorization server
 * processes (the real main.ts) with the same DATABASE_URL and the same
 * public origin: the front's. Keys are not configured: the first node
 * generates them into the database and the others read them, as in a
 * deployment without COOKIE_KEYS.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const postgres = await startPostgres();
  const inbox = await startTestInbox();
  const databaseUrl = await postgres.createDatabase('authorization_server');
  const names = Array.from({ length: options.nodes ?? 2 }, (_, index) => `node-${String.fromCharCode(97 + index)}`);
  const ports = new Map<string, number>();
  for (const name of names) ports.set(name, await unusedPort());
  const front = await startFront(Object.fromEntries(names.map((name) => [name, `http://127.0.0.1:${ports.get(name)}`])));
  const nodes = new Map<string, Node>();

  const launch = async (name: string) => {
    const port = ports.get(name) as number;
    const child = startServiceProcess(AUTHORIZATION_SERVER_MAIN, {
      env: {
        PORT: String(port),
        PUBLIC_BASE_URL: front.url,
        DATABASE_URL: databaseUrl,
        GATEWAY_CLIENT_SECRET: GATEWAY_SECRET,
        MCP_SERVER_CLIENT_SECRET: MCP_SERVER_SECRET,
        MCP_AUDIENCES: MCP_AUDIENCE,
        API_AUDIENCE,
        ...mailSettings(inbox),
        ...options.env,
      },
    });
    const listening = child.logLine('listening');
    await listening.catch(async (error: unknown) => {
      const { stderr, stdout } = await child.exited;
      throw new Error(`${name} did not start: ${(error as Error).message}\n${stdout}${stderr}`);
    });
    nodes.set(name, { name, url: `http://127.0.0.1:${port}`, process: child });
    front.setAvailable(name, true);
  };

  const stopNode = async (name: string) => {
    const node = nodes.get(name);
    front.setAvailable(name, false);
    if (!node) return;
    node.process.child.kill('SIGTERM');
    await node.process.exited;
    nodes.delete(name);
  };

  try {
    // Nodes start together, as a deployment's replicas do: migrations and first keys race.
    await Promise.all(names.map(launch));
  } catch (error) {
    for (const name of names) await stopNode(name);
    await front.close();
    await inbox.close();
    await postgres.stop();
    throw error;
  }

  return {
    front,
    inbox,
    postgres,
    nodes,
    stopNode,
    startNode: launch,
    close: async () => {
      for (const name of [...nodes.keys()]) await stopNode(name);
      await front.close();
      await inbox.close();
      await postgres.stop();
    },
  };
}

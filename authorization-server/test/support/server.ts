import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@mcp-demo/service-kit';
import type { TestInbox } from '@mcp-demo/testing';
import { createAuthorizationServer, type AuthorizationServer, type AuthorizationServerOptions } from '../../src/app.ts';
import { loadSettings, type Settings } from '../../src/config.ts';

export const GATEWAY_SECRET = 'gateway-test-secret';
export const MCP_SERVER_SECRET = 'mcp-server-test-secret';
export const MCP_AUDIENCE = 'https://mcp.demo.example/';
export const API_AUDIENCE = 'https://api.demo.example';

/** The settings that send the server's one-time codes to the test inbox. */
export function mailSettings(inbox: TestInbox): { SMTP_HOST: string; SMTP_PORT: string } {
  return { SMTP_HOST: inbox.smtpHost, SMTP_PORT: String(inbox.smtpPort) };
}

export interface RunningAuthorizationServer {
  baseUrl: string;
  issuer: string;
  settings: Settings;
  server: AuthorizationServer;
  dataDir: string;
  /** Stops the HTTP server and closes storage; the data directory stays. */
  stop(): Promise<void>;
  /** Starts again on the same port and data directory (a restart). */
  restart(): Promise<RunningAuthorizationServer>;
  /** Stops and deletes the data directory. */
  destroy(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  /** Where the server logs (default: nowhere). */
  logger?: Logger;
  openStorage?: AuthorizationServerOptions['openStorage'];
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Starts the real authorization server on a free loopback port. The port is
 * bound first so that PUBLIC_BASE_URL can name it: every redirect and
 * metadata URL then points back at this very server.
 */
export async function startAuthorizationServer(options: StartOptions = {}): Promise<RunningAuthorizationServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'authorization-server-test-'));
  const http = createServer();
  http.keepAliveTimeout = 1_000;
  const port = await listenOn(http, options.port ?? 0);
  const baseUrl = `http://127.0.0.1:${port}`;
  const settings = loadSettings({
    PUBLIC_BASE_URL: baseUrl,
    DATA_DIR: dataDir,
    GATEWAY_CLIENT_SECRET: GATEWAY_SECRET,
    MCP_SERVER_CLIENT_SECRET: MCP_SERVER_SECRET,
    MCP_AUDIENCES: MCP_AUDIENCE,
    API_AUDIENCE,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const server = await createAuthorizationServer(settings, {
    logger: options.logger ?? createLogger('authorization-server-test', 'silent'),
    ...(options.openStorage ? { openStorage: options.openStorage } : {}),
  });
  http.on('request', server.app);

  const stop = async () => {
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await server.close();
  };
  return {
    baseUrl,
    issuer: server.issuer,
    settings,
    server,
    dataDir,
    stop,
    restart: () => startAuthorizationServer({ ...options, dataDir, port }),
    destroy: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import { Agent, buildConnector, getGlobalDispatcher, setGlobalDispatcher, fetch as undiciFetch } from 'undici';
import type { Fetch, FetchInit, FetchResponse } from '../../e2e/scenarios/index.ts';

/**
 * A fetch that reaches the deployment's public host names (mcp.demo.example,
 * login.demo.example, ...) without /etc/hosts: connections for those names go
 * to the gateway's published port on this machine, while the URL, the Host
 * header and the TLS server name stay the public ones. The gateway's
 * certificate is verified against the development CA, as a real client would.
 */

export type { Fetch, FetchInit, FetchResponse };

export interface GatewayFetchOptions {
  /** Host names to send to the gateway; any other host is refused. */
  hosts: readonly string[];
  /** Where the gateway's HTTPS port is published. */
  address: string;
  port: number;
  /** PEM of the CA that signed the gateway's certificate. */
  ca: string | Buffer;
}

export interface GatewayFetch {
  fetch: Fetch;
  /**
   * Sends the process's global fetch through the gateway too, until the
   * returned function is called. Code that takes no fetch of its own (the
   * MCP SDK client and sign-in helpers of test/e2e/support, the inbox reader
   * of @mcp-demo/testing) then reaches the Docker deployment unchanged.
   * While installed, the global fetch reaches no other host.
   */
  installGlobally(): () => void;
  close(): Promise<void>;
}

export function createGatewayFetch(options: GatewayFetchOptions): GatewayFetch {
  const hosts = new Set(options.hosts.map((host) => host.toLowerCase()));
  const connectTls = buildConnector({ ca: options.ca, timeout: 10_000 });
  const agent = new Agent({
    connect: (connectOptions, callback) => {
      const host = connectOptions.hostname.toLowerCase();
      if (!hosts.has(host)) {
        callback(new Error(`${host} is not a host of the deployment's gateway`), null);
        return;
      }
      connectTls({ ...connectOptions, hostname: options.address, port: String(options.port), servername: host }, callback);
    },
  });
  return {
    fetch: (url, init) => undiciFetch(url, { ...init, dispatcher: agent }),
    installGlobally: () => {
      const previous = getGlobalDispatcher();
      setGlobalDispatcher(agent);
      return () => setGlobalDispatcher(previous);
    },
    close: () => agent.close(),
  };
}

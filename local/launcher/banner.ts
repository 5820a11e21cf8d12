import type { Endpoints } from '../topology/index.ts';

/** What a person needs after `npm start`: where everything is and how to connect a client. */
export function describeDeployment(endpoints: Endpoints, endpointsFile: string): string {
  const external = endpoints.external;
  const replicas = endpoints.internal.replicas;
  const rows: Array<[string, string]> = [
    ['MCP server entry point', external.mcp],
    ['Protected resource metadata', external.protectedResourceMetadata],
    ['Stocks API', external.stocksApi],
    ['Authorization server issuer', external.issuer],
    ['Authorization server metadata', external.authorizationServerMetadata],
    ['Test e-mail inbox', external.inbox],
    ['Client metadata documents', external.clientMetadata],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    '',
    'The local deployment is running.',
    '',
    ...rows.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`),
    '',
    // RFC 9728: the resource in the metadata must equal the URL the client
    // connected to, and the SDK clients compare them strictly.
    `Use these URLs exactly as printed: ${external.mcp.replace('127.0.0.1', 'localhost')} names a different resource,`,
    `and MCP clients refuse it with a resource mismatch (RFC 9728). Use ${external.mcp}.`,
    '',
    `Replicas behind the gateway: MCP server ${replicas['utility-mcp-server'].join(', ')}`,
    `                             authorization server ${replicas['authorization-server'].join(', ')}`,
    '',
    'Test users (sign in with the e-mail address, then read the one-time code in the test inbox):',
    ...endpoints.users.map((user) => `  ${user.email.padEnd(28)} region ${user.region}`),
    '',
    'Connect a client:',
    `  Console client   npm start -w @mcp-demo/console-client -- ${external.mcp}`,
    `  MCP Inspector    bash clients/mcp-inspector/run.sh   (Streamable HTTP, URL ${external.mcp}, scope stocks/read)`,
    `  Claude Desktop   "command": "npx", "args": ["-y", "mcp-remote@0.15.1", "${external.mcp}", "--transport", "http-only"]  (see clients/claude-desktop/README.md)`,
    '',
    `Endpoints file: ${endpointsFile}`,
    `Service logs:   ${endpoints.logs}`,
    'Press Ctrl+C to stop everything.',
    '',
  ];
  return lines.join('\n');
}

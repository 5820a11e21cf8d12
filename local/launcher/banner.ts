import type { Endpoints } from './topology.ts';

/** What a person needs after `npm start`: where everything is and how to connect a client. */
export function describeDeployment(endpoints: Endpoints, endpointsFile: string): string {
  const e = endpoints.external;
  const rows: Array<[string, string]> = [
    ['MCP server entry point', e.mcp],
    ['Protected resource metadata', e.protectedResourceMetadata],
    ['Stocks API', e.stocksApi],
    ['Authorization server issuer', e.issuer],
    ['Authorization server metadata', e.authorizationServerMetadata],
    ['Test e-mail inbox', e.inbox],
    ['Client metadata documents', e.clientMetadata],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    '',
    'The local deployment is running.',
    '',
    ...rows.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`),
    '',
    'Test users (sign in with the e-mail address, then read the one-time code in the test inbox):',
    ...endpoints.users.map((user) => `  ${user.email.padEnd(28)} region ${user.region}`),
    '',
    'Connect a client:',
    `  Console client   npm start -w @mcp-demo/console-client -- ${e.mcp}`,
    `  MCP Inspector    bash clients/mcp-inspector/run.sh   (Streamable HTTP, URL ${e.mcp}, scope stocks/read)`,
    `  Claude Desktop   "command": "npx", "args": ["mcp-remote@0.15.1", "${e.mcp}"]  (see clients/claude-desktop/README.md)`,
    '',
    `Endpoints file: ${endpointsFile}`,
    `Service logs:   ${endpoints.logs}`,
    'Press Ctrl+C to stop everything.',
    '',
  ];
  return lines.join('\n');
}

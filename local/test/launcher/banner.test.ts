import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDeployment } from '../../launcher/banner.ts';
import { describeTopology, loadSettings, REPO_ROOT } from '../../topology/index.ts';

describe('the banner npm start prints', () => {
  const topology = describeTopology(loadSettings({ MCP_SERVER_REPLICAS: '2' }), [{ email: 'john.doe@demo.example', region: 'USA' }]);
  const banner = describeDeployment(topology.endpoints, '/tmp/endpoints.json');

  it('gives Claude Desktop the same mcp-remote arguments as the Claude Desktop instructions', () => {
    const readme = readFileSync(resolve(REPO_ROOT, 'clients/claude-desktop/README.md'), 'utf8');
    const documented = /"args": (\[[^\]]*"http:\/\/127\.0\.0\.1:3100\/"[^\]]*\])/.exec(readme)?.[1];
    expect(documented, 'the README shows the local configuration').toBeDefined();
    const printed = /Claude Desktop\s+"command": "npx", "args": (\[[^\]]*\])/.exec(banner)?.[1];
    expect(JSON.parse(printed ?? 'null')).toEqual(JSON.parse(documented ?? 'null'));
  });

  it('says to use the printed 127.0.0.1 URL, because localhost names another resource', () => {
    expect(banner).toContain('http://localhost:3100/ names a different resource');
    expect(banner).toContain('resource mismatch (RFC 9728). Use http://127.0.0.1:3100/.');
  });

  it('lists every replica', () => {
    expect(banner).toContain('MCP server http://127.0.0.1:3000, http://127.0.0.1:3010');
    expect(banner).toContain('authorization server http://127.0.0.1:8443');
  });
});

import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import conformancePackage from '@modelcontextprotocol/conformance/package.json' with { type: 'json' };
import { CLIENT_SCENARIOS } from './client-scenarios.ts';
import { expectConformant } from './support/checks.ts';
import { runClientScenario } from './support/conformance-cli.ts';

const DRIVER = fileURLToPath(new URL('./support/console-client-driver.ts', import.meta.url));

function quoted(value: string): string {
  return `"${value}"`;
}

describe(`official MCP conformance suite ${conformancePackage.version}, client authorization scenarios against the console client`, () => {
  it.each(CLIENT_SCENARIOS.map((entry) => [entry.scenario, entry] as const))('%s', async (_scenario, entry) => {
    const command = [quoted(process.execPath), quoted(DRIVER), ...(entry.clientMetadataUrl ? ['--client-metadata-url', entry.clientMetadataUrl] : [])].join(' ');
    expectConformant(await runClientScenario(command, entry.scenario), entry.notApplicable);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unusedPort } from '@mcp-demo/testing';
import conformancePackage from '@modelcontextprotocol/conformance/package.json' with { type: 'json' };
import { signInOverHttp } from '../e2e/support/http-login.ts';
import { startStack, type Stack } from '../e2e/support/stack.ts';
import { AUTHORIZATION_SERVER_CHECKS } from './authorization-server-scenarios.ts';
import { expectConformant } from './support/checks.ts';
import { runAuthorizationServerScenarios } from './support/conformance-cli.ts';

/**
 * The suite's authorization-server scenarios against the open authorization
 * server as the local profile deploys it: behind the Node gateway, at the
 * public issuer URL, with the deployment's users, inbox and MCP policy.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

interface Registration {
  client_id: string;
  client_secret?: string;
}

/** A client as an MCP client registers itself, with the suite's callback listener as its redirect URI. */
async function register(redirectUri: string, tokenEndpointAuthMethod: string): Promise<Registration> {
  const metadata = (await (await fetch(stack.endpoints.external.authorizationServerMetadata)).json()) as { registration_endpoint: string };
  const response = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_name: 'MCP conformance suite',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: 'stocks/read',
      token_endpoint_auth_method: tokenEndpointAuthMethod,
    }),
  });
  const body = await response.text();
  expect(response.status, body).toBe(201);
  return JSON.parse(body) as Registration;
}

describe(`official MCP conformance suite ${conformancePackage.version}, authorization-server scenarios against the open authorization server (local profile)`, () => {
  it.each(AUTHORIZATION_SERVER_CHECKS.clients)('metadata and the authorization code grant, for a client registered with %s', async (tokenEndpointAuthMethod) => {
    const callbackPort = await unusedPort();
    const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
    const client = await register(redirectUri, tokenEndpointAuthMethod);
    const { external } = stack.endpoints;
    let signedIn = 0;
    const run = await runAuthorizationServerScenarios({
      issuer: external.issuer,
      clientId: client.client_id,
      ...(client.client_secret ? { clientSecret: client.client_secret } : {}),
      resource: external.mcp,
      callbackPort,
      specVersion: '2026-07-28',
      async signIn(authorizationUrl) {
        signedIn += 1;
        const redirect = await signInOverHttp(authorizationUrl, { email: 'john.doe@demo.example', inbox: external.inbox, redirectUri });
        // The suite's listener is the redirect's target; it answers once and closes.
        const delivered = await fetch(redirect);
        if (delivered.status !== 200) throw new Error(`the suite's callback listener answered ${delivered.status}`);
      },
    });
    expect(signedIn, run.output).toBe(1);
    expectConformant(run, AUTHORIZATION_SERVER_CHECKS.notApplicable);
    expect(run.checks.map((check) => check.id).sort(), run.output).toEqual(AUTHORIZATION_SERVER_CHECKS.expected);
  });
});

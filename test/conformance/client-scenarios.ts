import type { NotApplicableCheck } from './scenarios.ts';

/** The document URL the suite's authorization server expects as a client ID metadata document client id. */
export const SUITE_METADATA_DOCUMENT = 'https://conformance-test.local/client-metadata.json';

export interface ClientScenario {
  scenario: string;
  /** Passed to the console client like its --client-metadata-url option. */
  clientMetadataUrl?: string;
  notApplicable: NotApplicableCheck[];
}

const plain = (scenario: string): ClientScenario => ({ scenario, notApplicable: [] });

/**
 * The suite's client authorization scenarios of 2025-11-25 and 2026-07-28,
 * run against the console client. Not run: the two 2025-03-26 back-compat
 * scenarios (a revision this client no longer targets) and the
 * extensions (client credentials, enterprise-managed authorization, DPoP,
 * workload identity: optional, not implemented).
 */
export const CLIENT_SCENARIOS: ClientScenario[] = [
  ...['auth/metadata-default', 'auth/metadata-var1', 'auth/metadata-var2', 'auth/metadata-var3'].map(plain),
  { scenario: 'auth/basic-cimd', clientMetadataUrl: SUITE_METADATA_DOCUMENT, notApplicable: [] },
  ...['auth/scope-from-www-authenticate', 'auth/scope-from-scopes-supported', 'auth/scope-omitted-when-undefined'].map(plain),
  ...['auth/scope-step-up', 'auth/scope-retry-limit'].map(plain),
  ...['auth/token-endpoint-auth-basic', 'auth/token-endpoint-auth-post', 'auth/token-endpoint-auth-none', 'auth/pre-registration'].map(plain),
  plain('auth/resource-mismatch'),
  {
    scenario: 'auth/offline-access-scope',
    notApplicable: [
      {
        id: 'sep-2207-client-metadata-grant-types',
        status: 'WARNING',
        reason:
          'a SHOULD: the console client registers for authorization_code only, because this deployment issues no refresh tokens to MCP clients (15-minute access tokens, sign in again)',
      },
    ],
  },
  plain('auth/offline-access-not-supported'),
  plain('auth/authorization-server-migration'),
  ...['auth/iss-supported', 'auth/iss-not-advertised', 'auth/iss-supported-missing', 'auth/iss-wrong-issuer', 'auth/iss-unexpected', 'auth/iss-normalized'].map(plain),
  plain('auth/metadata-issuer-mismatch'),
];

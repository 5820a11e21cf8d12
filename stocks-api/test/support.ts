import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { createAccessTokenVerifier, remoteKeySet } from '@mcp-demo/access-token';
import { listen, type RunningServer } from '@mcp-demo/service-kit';
import { startTestIssuer, type MintOptions, type TestIssuer } from '@mcp-demo/testing';
import { createApp } from '../src/app.ts';
import { BUNDLED_STOCKS_FILE } from '../src/config.ts';
import { loadCatalogue } from '../src/domain/catalogue.ts';

export const AUDIENCE = 'https://api.demo.example';
export const MCP_AUDIENCE = 'https://mcp.demo.example/';
export const SCOPE = 'stocks/read';

/** Claims as the authorization server issues them after token exchange for a dynamically registered MCP client. */
export const MCP_CLIENT_CLAIMS = {
  sub: 'john.doe@demo.example',
  scope: SCOPE,
  region: 'USA',
  client_type: 'mcp',
  client_assurance_level: 1,
  purpose: 'access_token',
};

/** A client the authorization server knows well (not an AI agent, stronger identity). */
export const TRUSTED_CLIENT_CLAIMS = {
  sub: 'jane.test@demo.example',
  scope: SCOPE,
  region: 'Europe',
  client_type: 'web',
  client_assurance_level: 2,
};

export interface TestApi {
  url: string;
  issuer: TestIssuer;
  /** Every log line the app wrote, raw. */
  logLines: string[];
  mint(claims: Record<string, unknown>, options?: MintOptions): Promise<string>;
  get(path: string, token?: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: string, token?: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * A logger without any redaction, writing into memory at the most verbose
 * level: if the app ever handed a token to its logger, the test would see it.
 */
function capturingLogger(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return pino({ level: 'trace' }, sink);
}

/**
 * The real app on a free port, trusting an in-test issuer through its JWKS
 * URL (or through `jwksUri`, to see what happens when the keys are elsewhere).
 */
export async function startTestApi(options: { jwksUri?: string } = {}): Promise<TestApi> {
  const issuer = await startTestIssuer();
  const logLines: string[] = [];
  const verifier = createAccessTokenVerifier(
    { issuer: issuer.issuer, audience: AUDIENCE, algorithms: ['PS256'], requiredScope: SCOPE, clockToleranceSeconds: 5, verifiedTokenCacheEntries: 100 },
    remoteKeySet(options.jwksUri ?? issuer.jwksUri),
  );
  const app = createApp({
    verifier,
    requiredScope: SCOPE,
    stocks: await loadCatalogue(BUNDLED_STOCKS_FILE),
    logger: capturingLogger(logLines),
  });
  const running: RunningServer = await listen(app, 0);
  const authorization = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  return {
    url: running.url,
    issuer,
    logLines,
    mint: (claims, options = {}) => issuer.mint(claims, { audience: AUDIENCE, ...options }),
    get: (path, token, headers = {}) => fetch(`${running.url}${path}`, { headers: { ...authorization(token), ...headers } }),
    post: (path, body, token, headers = {}) =>
      fetch(`${running.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...authorization(token), ...headers },
      }),
    close: async () => {
      await running.close();
      await issuer.close();
    },
  };
}

export function challenge(error: string, description: string): string {
  return `Bearer error="${error}", error_description="${description}", scope="${SCOPE}"`;
}

import { basicCredentials } from '@mcp-demo/access-token';
import { connectWithSignIn } from '../test/e2e/support/mcp-session.ts';
import { loadSettings, type Endpoints } from '../local/topology/index.ts';

/** The static clients' secrets and the API audience, as the launcher reads them (demo defaults unless the environment sets others). */
const launcherSettings = () => loadSettings(process.env);

/** The three tokens of one caller, each in the form its hop receives. */
export interface CallerTokens {
  /** What the MCP client holds and sends to the gateway. */
  opaque: string;
  /** What the gateway forwards to the MCP server (introspection, JWT form). */
  mcpJwt: string;
  /** What the MCP server sends to the API (token exchange). */
  apiJwt: string;
}

const SIGN_IN_TIMEOUT_MS = 90_000;

/** A real sign-in of a test user with the SDK's client (registration, e-mail code, consent): the opaque access token. */
export async function signIn(endpoints: Endpoints, email = 'john.doe@demo.example'): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  // A stuck step (a lost e-mail, a service that stopped answering) ends the run with a reason instead of hanging it.
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`the sign-in of ${email} did not finish within ${SIGN_IN_TIMEOUT_MS / 1000} s`)), SIGN_IN_TIMEOUT_MS);
  });
  try {
    const session = await Promise.race([connectWithSignIn(endpoints.external.mcp, { email, inbox: endpoints.external.inbox }), timeout]);
    const token = session.provider.savedTokens?.access_token;
    await session.close();
    if (!token) throw new Error('the sign-in ended without an access token');
    return token;
  } finally {
    clearTimeout(timer);
  }
}

async function formPost(url: string, authorization: string, values: Record<string, string>, accept = 'application/json'): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept, authorization },
    body: new URLSearchParams(values).toString(),
  });
}

/** The introspection the gateway makes (its client, `Accept: application/jwt`): the request body and headers, for load runs too. */
export function introspectionRequest(endpoints: Endpoints, opaque: string) {
  return {
    url: `${endpoints.internal.authorizationServer}/oauth/v2/oauth-introspect`,
    authorization: basicCredentials('api-gateway-client', launcherSettings().GATEWAY_CLIENT_SECRET),
    body: new URLSearchParams({ token: opaque }).toString(),
  };
}

/**
 * The JWTs the later hops see, obtained the way the gateway and the MCP
 * server obtain theirs: introspection, then token exchange.
 */
export async function callerTokens(endpoints: Endpoints, opaque: string): Promise<CallerTokens> {
  const introspection = introspectionRequest(endpoints, opaque);
  const introspected = await formPost(introspection.url, introspection.authorization, { token: opaque }, 'application/jwt');
  const mcpJwt = await introspected.text();
  if (!introspected.ok || mcpJwt.split('.').length !== 3) throw new Error(`introspection answered ${introspected.status}, not a JWT`);
  const exchanged = await formPost(
    `${endpoints.internal.authorizationServer}/oauth/v2/oauth-token`,
    basicCredentials('mcp-server', launcherSettings().MCP_SERVER_CLIENT_SECRET),
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: mcpJwt,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: launcherSettings().API_AUDIENCE,
    },
  );
  const body = (await exchanged.json()) as { access_token?: string };
  if (!exchanged.ok || !body.access_token) throw new Error(`token exchange answered ${exchanged.status}`);
  return { opaque, mcpJwt, apiJwt: body.access_token };
}

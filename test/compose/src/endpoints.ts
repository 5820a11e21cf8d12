import type { ExternalEndpoints } from '../../e2e/scenarios/index.ts';

export type { ExternalEndpoints };

/** The Docker profiles: the tutorial's host names, over HTTPS through Kong. */
export const DOCKER_ENDPOINTS: ExternalEndpoints = {
  mcp: 'https://mcp.demo.example/',
  protectedResourceMetadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
  stocksApi: 'https://api.demo.example/stocks',
  issuer: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  // RFC 8414 path insertion: the one location both authorization servers
  // serve (the Curity Identity Server has nothing at the root form).
  authorizationServerMetadata: 'https://login.demo.example/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous',
  inbox: 'https://mail.demo.example/',
  clientMetadata: 'https://www.client.example/',
};

/** Every host name the endpoints use: Kong answers for all of them. */
export function hostsOf(endpoints: ExternalEndpoints): string[] {
  return [...new Set(Object.values(endpoints).map((url) => new URL(url).hostname))].sort();
}

/**
 * The external URLs a client uses, in the shape of the `external` part of
 * the local launcher's endpoints file (.deploy/endpoints.json), so one
 * scenario module can run against every profile.
 */
export interface ExternalEndpoints {
  /** The MCP entry point, with its trailing slash (the RFC 9728 resource). */
  mcp: string;
  protectedResourceMetadata: string;
  stocksApi: string;
  issuer: string;
  authorizationServerMetadata: string;
  inbox: string;
  clientMetadata: string;
}

/** The Docker profiles: the tutorial's host names, over HTTPS through Kong. */
export const DOCKER_ENDPOINTS: ExternalEndpoints = {
  mcp: 'https://mcp.demo.example/',
  protectedResourceMetadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
  stocksApi: 'https://api.demo.example/stocks',
  issuer: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  authorizationServerMetadata: 'https://login.demo.example/.well-known/oauth-authorization-server',
  inbox: 'https://mail.demo.example/',
  clientMetadata: 'https://www.client.example/',
};

/** Every host name the endpoints use: Kong answers for all of them. */
export function hostsOf(endpoints: ExternalEndpoints): string[] {
  return [...new Set(Object.values(endpoints).map((url) => new URL(url).hostname))].sort();
}

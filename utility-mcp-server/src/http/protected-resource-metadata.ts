import { Router } from 'express';
import type { Config } from '../config.ts';

export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** RFC 9728 document that tells an MCP client which authorization server to use and which scope to ask for. */
export function protectedResourceMetadata(config: Config): Record<string, unknown> {
  return {
    resource: config.resource,
    resource_name: config.resourceName,
    authorization_servers: [config.authorizationServer],
    scopes_supported: config.accessToken.requiredScope.split(' ').filter(Boolean),
    bearer_methods_supported: ['header'],
  };
}

/**
 * Public and readable cross-origin: browser-based MCP clients (the MCP
 * Inspector among them) fetch it with an MCP-Protocol-Version header, which
 * makes the browser send a preflight first. Nothing here is a secret, and no
 * credentials are involved, so any origin may read it.
 */
export function protectedResourceMetadataRoute(config: Config): Router {
  const metadata = protectedResourceMetadata(config);
  const router = Router();
  router.options(PROTECTED_RESOURCE_METADATA_PATH, (_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'MCP-Protocol-Version');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  });
  router.get(PROTECTED_RESOURCE_METADATA_PATH, (_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(metadata);
  });
  return router;
}

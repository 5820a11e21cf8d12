import { Router } from 'express';
import { authorizationServerOf, resourceOf, type Settings } from '../config.ts';

export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

type MetadataSettings = Pick<Settings, 'EXTERNAL_BASE_URL' | 'RESOURCE_NAME' | 'AUTHORIZATION_SERVER' | 'ISSUER' | 'REQUIRED_SCOPE'>;

/** Where the metadata is, as bearer challenges advertise it (RFC 9728 section 5.1). */
export function resourceMetadataUrlOf(settings: Pick<Settings, 'EXTERNAL_BASE_URL'>): string {
  return `${settings.EXTERNAL_BASE_URL}${PROTECTED_RESOURCE_METADATA_PATH}`;
}

/** RFC 9728 document that tells an MCP client which authorization server to use and which scope to ask for. */
export function protectedResourceMetadata(settings: MetadataSettings): Record<string, unknown> {
  return {
    resource: resourceOf(settings),
    resource_name: settings.RESOURCE_NAME,
    authorization_servers: [authorizationServerOf(settings)],
    // Only the scope every call needs. MCP clients that find no scope in the
    // challenge ask for all of scopes_supported, so listing stocks/trade here
    // would have them request the trading scope at first sign-in; it is asked
    // for by step-up (403 insufficient_scope) when place-order is called.
    scopes_supported: settings.REQUIRED_SCOPE.split(' ').filter(Boolean),
    bearer_methods_supported: ['header'],
  };
}

/**
 * Public and readable cross-origin: browser-based MCP clients (the MCP
 * Inspector among them) fetch it with an MCP-Protocol-Version header, which
 * makes the browser send a preflight first. Nothing here is a secret, and no
 * credentials are involved, so any origin may read it.
 */
export function protectedResourceMetadataRoute(settings: MetadataSettings): Router {
  const metadata = protectedResourceMetadata(settings);
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

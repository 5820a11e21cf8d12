import { errors, type ClientMetadata, type KoaContextWithOIDC } from 'oidc-provider';
import { MCP_SCOPE, mcpClientScope, mcpRegistrationAttributes, redirectUriProblem, requestsMcpScope } from './mcp-registration-policy.ts';

/** Properties the registration policy assigns (the Curity client attributes of the seed). */
export const POLICY_PROPERTIES = [
  'require_proof_key',
  'access_token_ttl',
  'refresh_token_ttl',
  'audiences',
  'client_type',
  'client_assurance_level',
  'name',
  'template_area',
] as const;

/** Properties only statically configured clients may carry. */
export const STATIC_ONLY_PROPERTIES = ['introspection_allowed', 'token_exchange_audiences'] as const;

export const EXTRA_CLIENT_PROPERTIES: readonly string[] = [...POLICY_PROPERTIES, ...STATIC_ONLY_PROPERTIES];

/** Grant types a dynamically registered client may list. */
export const DYNAMIC_GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);

/**
 * The properties of a client as this server reads them. oidc-provider keeps
 * extra metadata under its snake_case name on the Client instance.
 */
export interface PolicyAttributes {
  audiences?: string[];
  access_token_ttl?: number;
  client_type?: string;
  client_assurance_level?: number;
  name?: string;
  template_area?: string;
  introspection_allowed?: boolean;
  token_exchange_audiences?: string[];
}

export function attributesOf(client: object): PolicyAttributes {
  return client as PolicyAttributes;
}

/** Control and format characters (newlines, bidi overrides, zero-width joiners) and line separators. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]+/gu;

/**
 * Client-chosen text as one short line: unprintable characters become
 * spaces, runs of white space one space, and the result is cut at `maxLength`
 * characters (whole code points) with an ellipsis.
 */
export function oneLine(text: string, maxLength: number): string {
  const line = text.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
  const characters = [...line];
  return characters.length <= maxLength ? line : `${characters.slice(0, maxLength - 1).join('').trimEnd()}…`;
}

const DISPLAY_NAME_LENGTH = 60;

type NamedClient = { clientId: string; clientName?: string | undefined };

/** What the login and consent pages call a client: its name as one short line. */
export function displayNameOf(client: NamedClient): string {
  const { name } = attributesOf(client);
  const chosen = (typeof name === 'string' && name) || client.clientName || '';
  return oneLine(chosen, DISPLAY_NAME_LENGTH) || oneLine(client.clientId, DISPLAY_NAME_LENGTH);
}

/**
 * Who asks a user to sign in, as a mail may state it: the name the client
 * gave itself (never verified), and for a client ID metadata document the
 * host it was fetched from, which is verified (the document's client_id must
 * equal its own URL).
 */
export interface Requester {
  unverifiedName: string;
  verifiedHost?: string;
}

export function requesterOf(client: NamedClient): Requester {
  const url = URL.parse(client.clientId);
  const isDocument = url !== null && (url.protocol === 'https:' || url.protocol === 'http:');
  return { unverifiedName: displayNameOf(client), ...(isDocument ? { verifiedHost: url.host } : {}) };
}

function invalid(description: string): never {
  throw new errors.InvalidClientMetadata(description);
}

/** Bounds of what one registration (or metadata document) may hold; settings in src/config.ts. */
export interface MetadataLimits {
  maxClientNameLength: number;
  /** Items of redirect_uris and of any other list. */
  maxListItems: number;
  /** Characters of each URI and of any other string value. */
  maxValueLength: number;
}

/**
 * Refuses metadata larger than the limits, wherever it sits in the request:
 * open registration must not let one caller store kilobytes per client.
 */
export function assertWithinLimits(body: Record<string, unknown>, limits: MetadataLimits): void {
  const clientName = body.client_name;
  if (typeof clientName === 'string' && [...clientName].length > limits.maxClientNameLength) {
    invalid(`client_name is longer than ${limits.maxClientNameLength} characters`);
  }
  const check = (value: unknown, path: string, depth: number): void => {
    if (depth > 3) invalid(`${path} is nested too deeply`);
    if (typeof value === 'string') {
      if (value.length > limits.maxValueLength) invalid(`${path} is longer than ${limits.maxValueLength} characters`);
    } else if (Array.isArray(value)) {
      if (value.length > limits.maxListItems) invalid(`${path} has more than ${limits.maxListItems} items`);
      value.forEach((item, index) => check(item, `${path}[${index}]`, depth + 1));
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      if (depth > 0 && entries.length > limits.maxListItems) invalid(`${path} has more than ${limits.maxListItems} members`);
      for (const [key, item] of entries) check(item, path ? `${path}.${key}` : key, depth + 1);
    }
  };
  check(body, '', 0);
}

/**
 * Checks a registration request (or a client ID metadata document) against
 * the rules this server adds to oidc-provider's own validation. Descriptions
 * about redirect URIs start with "redirect_uris" so that oidc-provider
 * answers `invalid_redirect_uri` rather than `invalid_client_metadata`.
 */
export function assertRegistrable(body: Record<string, unknown>, limits: MetadataLimits): void {
  assertWithinLimits(body, limits);
  if (!requestsMcpScope(body)) {
    invalid(`this server registers MCP clients only: scope must include ${MCP_SCOPE}`);
  }
  const grantTypes = body.grant_types;
  if (grantTypes !== undefined) {
    if (!Array.isArray(grantTypes)) invalid('grant_types must be an array');
    const unsupported = grantTypes.filter((type) => typeof type !== 'string' || !DYNAMIC_GRANT_TYPES.has(type));
    if (unsupported.length > 0) {
      invalid(
        `grant_types may only contain authorization_code and refresh_token (refresh tokens are never issued); unsupported: ${unsupported.map(String).join(', ')}`,
      );
    }
  }
  const redirectUris = body.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    invalid('redirect_uris must be a non-empty array of URIs');
  }
  for (const uri of redirectUris) {
    const problem = typeof uri === 'string' ? redirectUriProblem(uri) : 'redirect URIs must be strings';
    if (problem) invalid(`redirect_uris: ${problem}`);
  }
}

function checkStoredValue(key: string, value: unknown): void {
  if (value === undefined) return;
  const ok = (() => {
    switch (key) {
      case 'audiences':
      case 'token_exchange_audiences':
        return Array.isArray(value) && value.every((item) => typeof item === 'string' && URL.canParse(item));
      case 'access_token_ttl':
      case 'refresh_token_ttl':
      case 'client_assurance_level':
        return Number.isSafeInteger(value) && (value as number) >= 0;
      case 'require_proof_key':
      case 'introspection_allowed':
        return typeof value === 'boolean';
      default:
        return typeof value === 'string';
    }
  })();
  if (!ok) invalid(`${key} has an invalid value`);
}

/**
 * oidc-provider's `extraClientMetadata.validator`. On the registration
 * endpoint it is the registration policy: the request is checked, then every
 * extra property is set from `mcpRegistrationAttributes` (whatever the client
 * sent for them is discarded, so no client can give itself a higher assurance
 * level or another audience). On every other path (static clients, stored
 * clients, metadata documents) it only checks the stored values' types.
 */
export function createExtraMetadataValidator(options: { audiences: string[]; limits: MetadataLimits }) {
  return function validateExtraMetadata(ctx: KoaContextWithOIDC | undefined, key: string, value: unknown, metadata: ClientMetadata): void {
    if (ctx?.oidc.route !== 'registration') {
      checkStoredValue(key, value);
      return;
    }
    const body = ctx.oidc.body as Record<string, unknown> | undefined;
    if (!body) invalid('client registration request must be a JSON object');
    // The validator runs once per property, in order; the whole request is checked on the first.
    if (key === EXTRA_CLIENT_PROPERTIES[0]) {
      assertRegistrable(body, options.limits);
      (metadata as { scope?: string }).scope = mcpClientScope(String(body.scope));
    }
    const attributes = mcpRegistrationAttributes(body, { audiences: options.audiences });
    const target = metadata as Record<string, unknown>;
    if (attributes[key] === undefined) delete target[key];
    else target[key] = attributes[key];
  };
}

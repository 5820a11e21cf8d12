// Static checks of the Curity configuration: every file is well-formed and
// the merged configuration holds each piece the MCP flow relies on. Values
// are read from parsed element paths, with #{NAME} placeholders resolved from
// env/curity.env as the server would at start-up.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedParameterNames } from './support/crypto-env.ts';
import {
  attribute,
  children,
  configFileNames,
  environment,
  folder,
  loadConfigFiles,
  mounts,
  placeholders,
  readText,
  resolve,
  select,
  single,
  text,
  texts,
  wellFormed,
  withKey,
  type XmlElement,
} from './support/curity-config.ts';

const ISSUER = 'https://login.demo.example/oauth/v2/oauth-anonymous';
const OAUTH_NAMESPACE = 'https://curity.se/ns/conf/profile/oauth';

/**
 * Values the deployment passes in and that are never committed (README.md
 * explains each): the license key, which deploy.sh copies from the license
 * file, and what scripts/create-crypto-env.sh prints.
 */
const DEPLOYMENT_SECRETS = ['LICENSE_KEY', ...generatedParameterNames()];
/** Read by the server itself rather than through a #{NAME} parameter. */
const READ_BY_THE_SERVER = ['CONFIG_ENCRYPTION_KEY'];

const files = loadConfigFiles();
const roots = files.map((file) => file.root);
const variables = environment();

const profiles = select(roots, 'profiles/profile');
const tokenService = withKey(profiles, 'token-service');
const authenticationService = withKey(profiles, 'authentication-service');
const authorizationServer = select(tokenService, 'settings/authorization-server');
const tokenEndpoints = select(tokenService, 'endpoints/endpoint');

function endpointOfKind(kind: string): XmlElement[] {
  return tokenEndpoints.filter((endpoint) => texts([endpoint], 'endpoint-kind')[0] === kind);
}

function ids(elements: XmlElement[]): string[] {
  return texts(elements, 'id');
}

function childNames(element: XmlElement | undefined): string[] {
  return element ? Object.keys(element).filter((key) => !key.startsWith('@_') && key !== '#text') : [];
}

/** Calls visit for every element below the given one, with its element name. */
function walk(element: XmlElement, visit: (name: string, child: XmlElement) => void): void {
  for (const name of childNames(element)) {
    for (const child of children(element, name)) {
      visit(name, child);
      walk(child, visit);
    }
  }
}

describe('configuration files', () => {
  it.each(configFileNames())('config/%s is well-formed XML with the server\'s <config> root', (name) => {
    const file = files.find((candidate) => candidate.name === name);
    expect(wellFormed(readText(`config/${name}`))).toBe(true);
    expect(attribute(file?.root, 'xmlns')).toBe('http://tail-f.com/ns/config/1.0');
  });

  it('fill every #{NAME} from env/curity.env or from the deployment, and mention no other anywhere, comments included', () => {
    const used = new Set(files.flatMap((file) => placeholders(file.text)));
    const missing = [...used].filter((name) => !variables.has(name) && !DEPLOYMENT_SECRETS.includes(name));
    expect(missing).toEqual([]);
    expect(DEPLOYMENT_SECRETS).toEqual(expect.arrayContaining(['LICENSE_KEY', 'SYMMETRIC_KEY', 'TOKEN_SIGNING_KEY', 'EXTERNAL_ROOT_CA']));
    const readme = readText('README.md');
    for (const secret of DEPLOYMENT_SECRETS) {
      expect(used.has(secret) || READ_BY_THE_SERVER.includes(secret), secret).toBe(true);
      expect(readme).toContain(secret);
      expect(variables.has(secret)).toBe(false);
    }
  });

  it('keep secrets and keys out of the files', () => {
    const secretElements = new Set(['secret', 'password', 'keystore', 'license-key', 'symmetric-key']);
    const found: string[] = [];
    for (const root of roots) {
      walk(root, (name, element) => {
        // Only values: <secret> is also the name of a settings container.
        if (secretElements.has(name) && childNames(element).length === 0) {
          found.push(text(element) ?? '');
        }
      });
    }
    expect(found.length).toBeGreaterThanOrEqual(6);
    for (const value of found) {
      expect(value).toMatch(/#\{[A-Z0-9_]+\}/);
    }
  });

  it('mark every demo password as a demo value', () => {
    const lines = readText('env/curity.env').split('\n');
    lines.forEach((line, index) => {
      if (/=Password1$/.test(line)) {
        const comment = lines.slice(0, index).reverse().find((previous) => previous.startsWith('#'));
        expect(comment, line).toContain('DEMO');
      }
    });
  });

  it('refer only to data sources, managers, providers and keys that exist', () => {
    const dataSources = ids(select(roots, 'facilities/data-sources/data-source'));
    const known: Record<string, string[]> = {
      'data-source': dataSources,
      'data-source-id': dataSources,
      'account-data-source': dataSources,
      'client-data-source': dataSources,
      'default-data-source': dataSources,
      'account-manager': ids(select(roots, 'processing/account-managers/account-manager')),
      'credential-manager': ids(select(roots, 'processing/credential-managers/credential-manager')),
      'email-provider': ids(select(roots, 'facilities/email-providers/email-provider')),
      'signing-key-id': ids(select(roots, 'facilities/crypto/signing-keys/signing-key')),
      'authentication-profile': ids(profiles),
    };
    const references: string[] = [];
    for (const root of roots) {
      walk(root, (name, element) => {
        const value = text(element);
        const targets = known[name];
        if (targets && value) {
          references.push(`${name}=${value}`);
          expect(targets, `${name} ${value}`).toContain(value);
        }
      });
    }
    // The <id> form of a reference (e.g. <email-provider><id>smtp</id>) is checked where it is used.
    expect(references.length).toBeGreaterThanOrEqual(8);
  });
});

describe('token service profile', () => {
  it('is an OAuth service profile', () => {
    const type = select(tokenService, 'type')[0];
    expect(text(type)).toBe('as:oauth-service');
    expect(attribute(type, 'xmlns:as')).toBe(OAUTH_NAMESPACE);
    for (const settings of authorizationServer) {
      expect(attribute(settings, 'xmlns')).toBe(OAUTH_NAMESPACE);
    }
  });

  it.each([
    ['oauth-anonymous', '/oauth/v2/oauth-anonymous'],
    ['oauth-authorize', '/oauth/v2/oauth-authorize'],
    ['oauth-token', '/oauth/v2/oauth-token'],
    ['oauth-introspect', '/oauth/v2/oauth-introspect'],
    ['oauth-dynamic-client-registration', '/token-service/oauth-registration'],
  ])('serves the %s endpoint at %s', (kind, uri) => {
    expect(texts(endpointOfKind(kind), 'uri')).toEqual([uri]);
  });

  it(`has the issuer ${ISSUER} and its JWKS beneath it`, () => {
    const baseUrl = resolve(single(roots, 'environments/environment/base-url'), variables);
    const issuer = `${baseUrl}${single(endpointOfKind('oauth-anonymous'), 'uri')}`;
    expect(issuer).toBe(ISSUER);
    expect(new URL(`${issuer}/jwks`).pathname).toBe('/oauth/v2/oauth-anonymous/jwks');
  });

  it('publishes exactly the endpoints that are defined, and no self-registration of users', () => {
    const published = texts(roots, 'environments/environment/services/service-role/endpoints').sort();
    const defined = ids(select(profiles, 'endpoints/endpoint')).sort();
    expect(published).toEqual(defined);
    const kinds = texts(select(profiles, 'endpoints/endpoint'), 'endpoint-kind');
    expect(kinds).not.toContain('auth-registration');
  });

  it('lets clients use the code flow, introspection and token exchange', () => {
    expect(childNames(select(authorizationServer, 'client-capabilities')[0]).sort()).toEqual(
      ['code', 'introspection', 'oauth-token-exchange'].sort(),
    );
  });

  it('authenticates users with the authentication profile', () => {
    expect(single(authorizationServer, 'authentication-service/authentication-profile')).toBe('authentication-service');
    expect(authenticationService).toHaveLength(1);
  });

  it('publishes its metadata', () => {
    expect(select(authorizationServer, 'expose-metadata')).toHaveLength(1);
  });

  it('issues opaque access tokens and signs its JWTs with PS256', () => {
    const issuer = select(tokenService, 'token-issuers/default-token-issuer');
    expect(issuer).toHaveLength(1);
    expect(childNames(issuer[0])).not.toContain('access-token-as-jwt');
    expect(childNames(issuer[0])).not.toContain('use-wrapped-opaque-tokens');
    expect(single(issuer, 'jwt-issuer-settings/algorithm')).toBe('PS256');
  });
});

describe('dynamic client registration', () => {
  const registration = select(authorizationServer, 'dynamic-client-registration');
  const openRegistration = select(registration, 'non-templatized');

  it('runs the MCP registration policy before each registration', () => {
    const endpoint = endpointOfKind('oauth-dynamic-client-registration');
    expect(texts(endpoint, 'pre-processing-procedure')).toEqual(['mcp-client-registration-policy']);
  });

  it('is open to non-templatized clients that need no initial access token', () => {
    expect(openRegistration).toHaveLength(1);
    expect(select(registration, 'templatized')).toHaveLength(0);
    expect(select(openRegistration, 'no-authentication')).toHaveLength(1);
  });

  it('allows dynamic clients the MCP scopes (stocks/read, and stocks/trade for step-up) and nothing else', () => {
    expect(texts(openRegistration, 'scopes/scope')).toEqual([...mcpPolicy.MCP_SCOPES]);
  });

  it('allows only the code flow, with user consent and no refresh tokens by default', () => {
    expect(childNames(select(openRegistration, 'capabilities')[0])).toEqual(['code']);
    expect(select(openRegistration, 'user-consent')).toHaveLength(1);
    expect(single(openRegistration, 'default-refresh-token-ttl')).toBe('0');
  });

  it('gives a dynamic client a secret, or none when it registers as a public client as the open server allows', () => {
    expect(single(openRegistration, 'client-authentication-method/secret/credential-manager')).toBe('default-credential-manager');
    expect(select(openRegistration, 'client-authentication-method/no-authentication')).toHaveLength(1);
    // Public clients at all need the profile to allow unauthenticated clients.
    expect(single(authorizationServer, 'client-authentication/no-authentication')).toBe('true');
  });
});

// The policy every MCP client gets, from the module both servers are tested
// against (imported, never skipped: if it moves, this test fails).
const mcpPolicy = (await import(
  /* @vite-ignore */ fileURLToPath(new URL('../../authorization-server/src/clients/mcp-registration-policy.ts', import.meta.url))
)) as { mcpRegistrationAttributes(body: unknown): Record<string, unknown>; MCP_SCOPE: string; MCP_SCOPES: readonly string[] };

/** The open authorization server's settings with their defaults (authorization-server/src/config.ts). */
function openServerDefaults(): Record<string, unknown> {
  return openServerConfig.settingsSchema.parse({ PUBLIC_BASE_URL: 'https://login.demo.example', GATEWAY_CLIENT_SECRET: 'x', MCP_SERVER_CLIENT_SECRET: 'x' });
}
const openServerConfig = (await import(
  /* @vite-ignore */ fileURLToPath(new URL('../../authorization-server/src/config.ts', import.meta.url))
)) as { settingsSchema: { parse(input: Record<string, string>): Record<string, unknown> } };

describe('client ID metadata documents (ephemeral clients)', () => {
  const ephemeral = select(authorizationServer, 'ephemeral-client');
  const policy = mcpPolicy.mcpRegistrationAttributes({ scope: mcpPolicy.MCP_SCOPE, client_name: 'any' });

  it('are enabled on the token service', () => {
    expect(ephemeral).toHaveLength(1);
  });

  it('are public clients, which the profile allows', () => {
    expect(single(authorizationServer, 'client-authentication/no-authentication')).toBe('true');
  });

  it('get the MCP registration policy: code flow only, public, the policy\'s token lifetimes, stocks/read, consent', () => {
    expect(childNames(select(ephemeral, 'capabilities')[0])).toEqual(['code']);
    expect(childNames(select(ephemeral, 'client-authentication-method')[0])).toEqual(['no-authentication']);
    expect(single(ephemeral, 'access-token-ttl')).toBe(String(policy['access_token_ttl']));
    expect(policy['refresh_token_ttl']).toBe(0);
    expect(single(ephemeral, 'refresh-token-ttl')).toBe('disabled');
    expect(texts(ephemeral, 'scopes/scope')).toEqual([...mcpPolicy.MCP_SCOPES]);
    expect(select(ephemeral, 'user-consent')).toHaveLength(1);
  });

  it('sign in with the e-mail authenticator that exists', () => {
    const authenticators = ids(select(authenticationService, 'settings/authentication-service/authenticators/authenticator'));
    expect(texts(ephemeral, 'authenticators/authenticator')).toEqual(['email']);
    expect(authenticators).toContain('email');
  });

  it('may redirect to a loopback port chosen at run time, as native MCP clients do', () => {
    expect(single(ephemeral, 'redirect-uri-validation/allow-loopback-redirect-uris')).toBe('true');
    expect(select(ephemeral, 'localhost-allowed')).toHaveLength(0);
  });

  it('cache documents as long and as many as the open server at most', () => {
    const openDefaults = openServerDefaults();
    expect(single(ephemeral, 'cache/cache-duration')).toBe(String(openDefaults['CLIENT_METADATA_MAX_CACHE_SECONDS']));
    expect(single(ephemeral, 'cache/cache-size')).toBe(String(openDefaults['CLIENT_METADATA_CACHE_ENTRIES']));
  });

  it('refuse localhost and loopback client IDs (the default, stated by leaving localhost-allowed out)', () => {
    expect(select(ephemeral, 'localhost-allowed')).toHaveLength(0);
  });

  it('are fetched by an HTTP client that trusts the development CA, passed in as EXTERNAL_ROOT_CA', () => {
    const clientId = single(ephemeral, 'http-client');
    const httpClient = withKey(select(roots, 'facilities/http/client'), clientId);
    expect(httpClient).toHaveLength(1);
    expect(single(httpClient, 'tls/use-truststore')).toBe('true');
    const trusted = select(roots, 'facilities/crypto/ssl/server-truststore/server-certificate');
    expect(texts(trusted, 'keystore')).toEqual(['#{EXTERNAL_ROOT_CA}']);
    // certs/create.sh makes an EC P-256 CA; the entry must say so.
    expect(texts(trusted, 'type')).toEqual(['elliptic-curve']);
    expect(texts(trusted, 'curve-name')).toEqual(['P-256']);
    const createScript = readFileSync(fileURLToPath(new URL('../../certs/create.sh', import.meta.url)), 'utf8');
    expect(createScript).toMatch(/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256/);
  });

  it('are the only clients with https client IDs, which is how the procedures recognise them', () => {
    const staticIds = ids(select(authorizationServer, 'client-store/config-backed/client'));
    expect(staticIds.length).toBeGreaterThan(0);
    for (const id of staticIds) expect(id).not.toMatch(/^https:/);
  });
});

describe('scope stocks/read and its claims', () => {
  const claimNames = ['region', 'client_type', 'client_assurance_level'];
  const claims = select(authorizationServer, 'claims');

  it('carries region, client_type and client_assurance_level', () => {
    const scope = withKey(select(authorizationServer, 'scopes/scope'), 'stocks/read');
    expect(scope).toHaveLength(1);
    expect(texts(scope, 'claims')).toEqual(claimNames);
  });

  it('is next to stocks/trade, the step-up scope for placing orders, which releases no claim of its own', () => {
    const trade = withKey(select(authorizationServer, 'scopes/scope'), 'stocks/trade');
    expect(trade).toHaveLength(1);
    expect(texts(trade, 'claims')).toEqual([]);
  });

  it.each(claimNames)('gets %s from the claims provider procedure', (name) => {
    const claim = withKey(select(claims, 'claim'), name);
    expect(claim).toHaveLength(1);
    expect(single(claim, 'value-provided-by')).toBe('stocks-claims-provider');
    expect(texts(claim, 'transformation/input-attribute-names')).toEqual([name]);
  });

  it('reads region from the account attributes in the data source', () => {
    const provider = withKey(select(claims, 'claims-value-provider'), 'stocks-claims-provider');
    const script = select(provider, 'script-claims-provider');
    expect(attribute(script[0], 'xmlns')).toBe('https://curity.se/ns/ext-conf/script-claims-provider');
    expect(single(script, 'procedure')).toBe('mcp-claims-provider');
    expect(single(script, 'data-source/data-source')).toBe('default-datasource');
    const query = single(roots, 'facilities/data-sources/data-source/jdbc/attribute-query');
    expect(query).toMatch(/^SELECT attributes FROM accounts WHERE username = :subject$/);
  });

  it('puts all three claims into access tokens', () => {
    const mappers = select(claims, 'claims-mappers');
    expect(single(mappers, 'default-claims-mapper')).toBe('default');
    expect(texts(withKey(select(mappers, 'claims-mapper'), 'default'), 'access_token/claim')).toEqual(claimNames);
  });
});

describe('procedures', () => {
  function endpointProcedures(kind: string, list: string): Record<string, string> {
    return Object.fromEntries(
      select(endpointOfKind(kind), list).map((entry) => [single([entry], 'flow'), single([entry], 'procedure')]),
    );
  }

  it('issue authorization-code tokens and exchanged tokens with the MCP procedures', () => {
    expect(endpointProcedures('oauth-token', 'token-endpoint-procedures')).toEqual({
      'oauth-token-authorization-code': 'mcp-authorization-code',
      'oauth-token-oauth-token-exchange': 'mcp-token-exchange',
    });
  });

  it('answer introspection with a JWT through the phantom token procedure', () => {
    expect(endpointProcedures('oauth-introspect', 'introspect-endpoint-procedures')).toEqual({
      'oauth-introspect-application-jwt': 'mcp-introspect-application-jwt',
    });
  });

  it('exist as files and are mounted where the server loads them under their IDs', () => {
    const targets = new Set(mounts().map((mount) => mount.target));
    const expected: string[] = [];
    for (const kind of ['oauth-token', 'oauth-introspect']) {
      for (const list of ['token-endpoint-procedures', 'introspect-endpoint-procedures']) {
        for (const [flow, id] of Object.entries(endpointProcedures(kind, list))) {
          expected.push(`token-procedures/${flow}/${id}`);
        }
      }
    }
    for (const id of texts(tokenEndpoints, 'pre-processing-procedure')) {
      expected.push(`pre-processing-procedures/${id}`);
    }
    for (const id of texts(select(authorizationServer, 'claims/claims-value-provider/script-claims-provider'), 'procedure')) {
      expected.push(`claims-provider-procedures/${id}`);
    }

    expect(expected).toHaveLength(5);
    for (const path of expected) {
      const id = path.split('/').pop() as string;
      expect(existsSync(new URL(`procedures/${id}.js`, folder)), `procedures/${id}.js`).toBe(true);
      expect(targets.has(`/opt/idsvr/etc/init/${path}.js`), path).toBe(true);
    }
  });
});

describe('e-mail one-time password login', () => {
  const authenticator = withKey(select(authenticationService, 'settings/authentication-service/authenticators/authenticator'), 'email');
  const emailProvider = withKey(select(roots, 'facilities/email-providers/email-provider'), 'smtp');

  it('uses an e-mail authenticator that sends a code', () => {
    const email = select(authenticator, 'email');
    expect(email).toHaveLength(1);
    expect(single(email, 'email-provider/id')).toBe('smtp');
    expect(select(email, 'send-otp-as-code')).toHaveLength(1);
    expect(single(email, 'account-manager')).toBe('default-account-manager');
  });

  it('limits codes per sign-in and guesses per code as the open server does', () => {
    const email = select(authenticator, 'email');
    const openDefaults = openServerDefaults();
    expect(single(email, 'max-challenges-sent')).toBe(String(openDefaults['OTP_MAX_CODES_PER_INTERACTION']));
    // The open server's per-code limit is a constant of its one-time code module.
    const oneTimePasswords = readFileSync(fileURLToPath(new URL('../../authorization-server/src/interactions/one-time-passwords.ts', import.meta.url)), 'utf8');
    const perCode = /maxAttempts \?\? (\d+)/.exec(oneTimePasswords)?.[1];
    expect(perCode).toBeDefined();
    expect(single(email, 'max-allowed-attempts')).toBe(perCode);
  });

  it('sends mail through maildev on port 1025 without TLS', () => {
    expect(emailProvider).toHaveLength(1);
    const smtp = select(emailProvider, 'smtp');
    expect(single(smtp, 'smtp-host')).toBe('maildev');
    expect(single(smtp, 'smtp-port')).toBe('1025');
    expect(single(smtp, 'enable-tls')).toBe('false');
    expect(single(smtp, 'default-sender')).toContain('@');
    expect(single(roots, 'environments/environment/services/zones/default-zone/email-provider')).toBe('smtp');
  });

  it('lets only the seeded, administrator-approved accounts log in', () => {
    const manager = withKey(select(roots, 'processing/account-managers/account-manager'), 'default-account-manager');
    expect(manager).toHaveLength(1);
    expect(childNames(manager[0])).not.toContain('enable-registration');
    expect(single(manager, 'username-is-email')).toBe('true');
  });
});

describe('static clients', () => {
  const clients = select(authorizationServer, 'client-store/config-backed/client');

  it('has only the API gateway and the MCP server', () => {
    expect(ids(clients).sort()).toEqual(['api-gateway-client', 'mcp-server']);
  });

  it('lets the API gateway introspect, with the demo secret Password1', () => {
    const gateway = withKey(clients, 'api-gateway-client');
    expect(childNames(select(gateway, 'capabilities')[0])).toEqual(['introspection']);
    expect(resolve(single(gateway, 'secret'), variables)).toBe('Password1');
  });

  it('lets the MCP server exchange tokens for the stocks API only, with the demo secret Password1', () => {
    const mcpServer = withKey(clients, 'mcp-server');
    expect(childNames(select(mcpServer, 'capabilities')[0])).toEqual(['oauth-token-exchange']);
    expect(texts(mcpServer, 'audience')).toEqual(['https://api.demo.example']);
    expect(texts(mcpServer, 'scope')).toEqual(['stocks/read']);
    expect(resolve(single(mcpServer, 'secret'), variables)).toBe('Password1');
  });
});

describe('PostgreSQL data source', () => {
  const dataSource = withKey(select(roots, 'facilities/data-sources/data-source'), 'default-datasource');
  const jdbc = select(dataSource, 'jdbc');

  it('connects to the idsvr database on dbserver as postgres', () => {
    expect(attribute(jdbc[0], 'xmlns')).toBe('https://curity.se/ns/ext-conf/jdbc');
    expect(single(jdbc, 'driver')).toBe('org.postgresql.Driver');
    const url = new URL(single(jdbc, 'connection-string').replace(/^jdbc:/, ''));
    expect(url.protocol).toBe('postgresql:');
    expect(url.hostname).toBe('dbserver');
    expect(url.pathname).toBe('/idsvr');
    expect(single(jdbc, 'username')).toBe('postgres');
    expect(resolve(single(jdbc, 'password'), variables)).toBe('Password1');
  });

  it('also backs the caching service', () => {
    expect(single(roots, 'facilities/caching-services/default-caching-service/data-source')).toBe('default-datasource');
  });
});

describe('container mounts', () => {
  const list = mounts();

  it('have sources that exist and targets that do not collide', () => {
    for (const mount of list) {
      expect(existsSync(new URL(mount.source, folder)), mount.source).toBe(true);
    }
    expect(new Set(list.map((mount) => mount.target)).size).toBe(list.length);
  });

  it.each(configFileNames())('load config/%s at start-up', (name) => {
    expect(list).toContainEqual({ source: `config/${name}`, target: `/opt/idsvr/etc/init/${name}` });
  });

  it('include every procedure, template and message file', () => {
    const sources = new Set(list.map((mount) => mount.source));
    const procedures = readdirSync(new URL('procedures/', folder)).map((name) => `procedures/${name}`);
    const templates = (readdirSync(new URL('templates/', folder), { recursive: true }) as string[])
      .map((path) => `templates/${path}`)
      .filter((path) => statSync(new URL(path, folder)).isFile());
    expect(templates).toHaveLength(4);
    for (const source of [...procedures, ...templates]) {
      expect(sources.has(source), source).toBe(true);
    }
  });

  it('put templates and messages where the server reads them', () => {
    // The MCP consent page and its wording also replace the default ones,
    // for clients described by a client ID metadata document (no template area).
    const defaultOverrides: Record<string, string> = {
      'templates/template-areas/mcp-client/views/oauth/consent.vm': '/opt/idsvr/usr/share/templates/overrides/views/oauth/consent.vm',
      'templates/messages/template-areas/mcp-client/en/views/oauth/messages': '/opt/idsvr/usr/share/messages/overrides/en/views/oauth/messages',
    };
    for (const mount of list.filter((candidate) => candidate.source.startsWith('templates/'))) {
      const relative = mount.source.slice('templates/'.length);
      const expected = relative.startsWith('messages/')
        ? `/opt/idsvr/usr/share/${relative}`
        : `/opt/idsvr/usr/share/templates/${relative}`;
      expect([expected, defaultOverrides[mount.source]]).toContain(mount.target);
    }
    for (const [source, target] of Object.entries(defaultOverrides)) {
      expect(list).toContainEqual({ source, target });
    }
  });
});

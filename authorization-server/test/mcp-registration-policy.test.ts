import { describe, expect, it } from 'vitest';
import { mcpRegistrationAttributes, redirectUriProblem } from '../src/clients/mcp-registration-policy.ts';

describe('mcpRegistrationAttributes', () => {
  it('gives an MCP client the seed policy', () => {
    expect(mcpRegistrationAttributes({ client_name: 'MCP Inspector', scope: 'stocks/read' })).toEqual({
      require_proof_key: true,
      access_token_ttl: 900,
      refresh_token_ttl: 0,
      audiences: ['https://mcp.demo.example/'],
      client_type: 'mcp',
      client_assurance_level: 1,
      name: 'MCP Inspector',
      template_area: 'mcp-client',
    });
  });

  it('finds stocks/read among other space separated scopes', () => {
    expect(mcpRegistrationAttributes({ scope: 'openid stocks/read profile' })).toMatchObject({ client_type: 'mcp' });
  });

  it('uses the configured audiences', () => {
    const attributes = mcpRegistrationAttributes({ scope: 'stocks/read' }, { audiences: ['http://127.0.0.1:3100/'] });
    expect(attributes.audiences).toEqual(['http://127.0.0.1:3100/']);
  });

  it('does not share the audiences array between clients', () => {
    const first = mcpRegistrationAttributes({ scope: 'stocks/read' });
    (first.audiences as string[]).push('https://evil.example');
    expect(mcpRegistrationAttributes({ scope: 'stocks/read' }).audiences).toEqual(['https://mcp.demo.example/']);
  });

  it.each([
    ['no scope', { client_name: 'x' }],
    ['another scope', { scope: 'openid profile' }],
    ['a scope that only contains the text', { scope: 'stocks/readwrite' }],
    ['a scope that is not a string', { scope: ['stocks/read'] }],
    ['a comma separated scope', { scope: 'openid,stocks/read' }],
  ])('returns nothing for %s', (_case, body) => {
    expect(mcpRegistrationAttributes(body)).toEqual({});
  });

  it.each([null, undefined, 'stocks/read', 42, ['stocks/read']])('returns nothing when the body is %j', (body) => {
    expect(mcpRegistrationAttributes(body)).toEqual({});
  });
});

describe('redirectUriProblem', () => {
  it.each([
    'https://app.example/callback',
    'https://app.example:8443/cb?x=1',
    'http://127.0.0.1:6274/callback',
    'http://localhost:6274/oauth/callback',
    'http://[::1]:9000/cb',
    'http://127.0.0.1/callback',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['http on a public host', 'http://app.example/callback', /loopback/],
    ['http on a private address', 'http://192.168.1.10/callback', /loopback/],
    ['a look-alike host', 'http://localhost.evil.example/cb', /loopback/],
    ['a fragment', 'https://app.example/callback#frag', /fragment/],
    ['an empty fragment', 'https://app.example/callback#', /fragment/],
    ['javascript:', 'javascript:alert(1)', /javascript/],
    ['data:', 'data:text/html,<script>alert(1)</script>', /data/],
    ['a custom scheme', 'com.example.app:/oauth2redirect', /com\.example\.app/],
    ['file:', 'file:///etc/passwd', /file/],
    ['a relative URI', '/callback', /absolute/],
    ['an unparsable value', 'not a uri', /absolute/],
    ['user information', 'https://user:pass@app.example/cb', /user information/],
    ['an empty string', '', /non-empty/],
  ])('refuses %s', (_case, uri, reason) => {
    const problem = redirectUriProblem(uri);
    expect(problem).toBeDefined();
    expect(problem).toMatch(reason);
  });
});

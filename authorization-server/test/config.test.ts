import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@mcp-demo/service-kit';
import { issuerOf, loadSettings } from '../src/config.ts';

const minimal = {
  PUBLIC_BASE_URL: 'https://login.demo.example/',
  GATEWAY_CLIENT_SECRET: 'gateway-secret',
  MCP_SERVER_CLIENT_SECRET: 'mcp-secret',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const settings = loadSettings(minimal);
    expect(settings).toMatchObject({
      PORT: 8443,
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: 'https://login.demo.example',
      MCP_AUDIENCES: ['https://mcp.demo.example/'],
      API_AUDIENCE: 'https://api.demo.example',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: 1025,
      OTP_TTL_SECONDS: 300,
      COOKIE_KEYS: [],
      CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: false,
      LOG_LEVEL: 'info',
    });
    expect(settings.DATABASE_URL).toBeUndefined();
    expect(settings.USERS_FILE).toMatch(/data\/users\.json$/);
    expect(settings.CLIENTS_FILE).toMatch(/authorization-server\/config\/clients\.json$/);
    expect(issuerOf(settings)).toBe('https://login.demo.example/oauth/v2/oauth-anonymous');
  });

  it('requires the public base URL and both client secrets, with no demo default', () => {
    const problems = problemsOf({});
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PUBLIC_BASE_URL: is required/),
        expect.stringMatching(/^GATEWAY_CLIENT_SECRET: is required/),
        expect.stringMatching(/^MCP_SERVER_CLIENT_SECRET: is required/),
      ]),
    );
  });

  it('names bad values', () => {
    expect(problemsOf({ ...minimal, PUBLIC_BASE_URL: 'ftp://x' })[0]).toMatch(/^PUBLIC_BASE_URL/);
    expect(problemsOf({ ...minimal, MCP_AUDIENCES: 'not a url' })[0]).toMatch(/^MCP_AUDIENCES/);
    expect(problemsOf({ ...minimal, OTP_TTL_SECONDS: '0' })[0]).toMatch(/^OTP_TTL_SECONDS/);
    expect(problemsOf({ ...minimal, CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: 'maybe' })[0]).toMatch(/^CLIENT_METADATA_ALLOW_HTTP_LOOPBACK/);
    expect(problemsOf({ ...minimal, COOKIE_KEYS: 'short' })[0]).toMatch(/^COOKIE_KEYS/);
  });

  it('requires cookie keys in production', () => {
    expect(problemsOf({ ...minimal, NODE_ENV: 'production' })[0]).toMatch(/^COOKIE_KEYS: is required when NODE_ENV=production/);
    expect(problemsOf({ ...minimal, NODE_ENV: 'production', COOKIE_KEYS: `${'a'.repeat(32)},${'b'.repeat(32)}` })).toEqual([]);
  });

  it('treats a blank value as unset: the default applies, a required one is reported missing', () => {
    const blank = loadSettings({ ...minimal, HOST: '', NODE_ENV: '', OTP_TTL_SECONDS: '', DATA_DIR: '', DATABASE_URL: '', MAIL_FROM: '', API_AUDIENCE: '' });
    expect(blank).toMatchObject({ HOST: '127.0.0.1', NODE_ENV: 'development', OTP_TTL_SECONDS: 300, DATABASE_URL: undefined, API_AUDIENCE: 'https://api.demo.example' });
    expect(blank.MAIL_FROM).toMatch(/no-reply@login\.demo\.example/);
    expect(problemsOf({ ...minimal, GATEWAY_CLIENT_SECRET: '' })).toEqual(['GATEWAY_CLIENT_SECRET: is required but not set']);
  });

  it('selects PostgreSQL by a postgres:// URL and names anything else', () => {
    const url = 'postgresql://authorization_server:secret@postgres:5432/authorization_server';
    expect(loadSettings({ ...minimal, DATABASE_URL: url }).DATABASE_URL).toBe(url);
    expect(loadSettings({ ...minimal, DATABASE_URL: 'postgres://db/x' }).DATABASE_URL).toBe('postgres://db/x');
    expect(problemsOf({ ...minimal, DATABASE_URL: 'mysql://db/x' })).toEqual(['DATABASE_URL: must be a postgres:// or postgresql:// URL']);
  });

  it('reads lists', () => {
    const settings = loadSettings({ ...minimal, MCP_AUDIENCES: 'http://127.0.0.1:3100/, https://mcp.demo.example/' });
    expect(settings.MCP_AUDIENCES).toEqual(['http://127.0.0.1:3100/', 'https://mcp.demo.example/']);
  });
});

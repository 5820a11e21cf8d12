import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, env, loadConfig } from '../src/index.ts';

const schema = z.object({
  PORT: env.port(3001),
  ISSUER: env.url(),
  TIMEOUT: env.seconds(5),
  ENABLED: env.boolean(false),
  HOSTS: env.list(['a']),
});

describe('loadConfig', () => {
  it('applies defaults and coerces values', () => {
    expect(loadConfig('svc', schema, { ISSUER: 'https://login.demo.example', ENABLED: 'yes', HOSTS: ' x, ,y ' })).toEqual({
      PORT: 3001,
      ISSUER: 'https://login.demo.example',
      TIMEOUT: 5,
      ENABLED: true,
      HOSTS: ['x', 'y'],
    });
  });

  it('treats an empty variable as unset rather than zero', () => {
    expect(loadConfig('svc', schema, { ISSUER: 'https://a.example', PORT: '', TIMEOUT: '' })).toMatchObject({ PORT: 3001, TIMEOUT: 5 });
  });

  it('treats a whitespace-only variable as unset, not as port 0', () => {
    expect(loadConfig('svc', schema, { ISSUER: 'https://a.example', PORT: '  ', TIMEOUT: '\t' })).toMatchObject({ PORT: 3001, TIMEOUT: 5 });
  });

  it('names every bad or missing variable in one error', () => {
    let error: unknown;
    try {
      loadConfig('svc', schema, { PORT: 'eighty' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(/^svc: invalid configuration/);
    expect(message).toContain('PORT:');
    expect(message).toContain('ISSUER: is required but not set');
  });

  it('treats every empty helper variable as unset: defaults apply, a required one is reported missing', () => {
    const all = z.object({
      ISSUER: env.url(),
      EXTRA: env.optionalUrl(),
      ENABLED: env.boolean(true),
      LIMIT: env.integer(100, { min: 1 }),
      LEVEL: env.logLevel(),
      METHOD: env.oneOf(['basic', 'post'], 'basic'),
    });
    const blank = { ISSUER: '', EXTRA: '', ENABLED: '', LIMIT: '', LEVEL: '', METHOD: '' };
    let problems: readonly string[] = [];
    try {
      loadConfig('svc', all, blank);
    } catch (error) {
      problems = (error as ConfigurationError).problems;
    }
    expect(problems).toEqual(['ISSUER: is required but not set']);
    expect(loadConfig('svc', all, { ...blank, ISSUER: 'https://a.example' })).toEqual({
      ISSUER: 'https://a.example',
      EXTRA: undefined,
      ENABLED: true,
      LIMIT: 100,
      LEVEL: 'info',
      METHOD: 'basic',
    });
  });

  it('names the choices of a one-of variable when given another word', () => {
    const choice = z.object({ METHOD: env.oneOf(['client_secret_basic', 'client_secret_post'], 'client_secret_basic') });
    expect(loadConfig('svc', choice, { METHOD: 'client_secret_post' })).toEqual({ METHOD: 'client_secret_post' });
    expect(() => loadConfig('svc', choice, { METHOD: 'private_key_jwt' })).toThrow('METHOD: must be one of client_secret_basic, client_secret_post');
  });

  it.each<[string, Record<string, string>, string]>([
    ['a port out of range', { PORT: '70000' }, 'PORT: must be at most 65535'],
    ['a fractional number', { TIMEOUT: '1.5' }, 'TIMEOUT: must be a whole number'],
    ['a URL with another scheme', { ISSUER: 'ftp://login.demo.example' }, 'ISSUER: must be an http or https URL'],
    ['an unknown boolean', { ISSUER: 'https://a.example', ENABLED: 'maybe' }, 'ENABLED:'],
  ])('explains %s in words', (_case, variables, expected) => {
    expect(() => loadConfig('svc', schema, { ISSUER: 'https://a.example', ...variables })).toThrow(expected);
  });

  it('normalises a base URL without its trailing slash', () => {
    expect(loadConfig('svc', z.object({ BASE: env.baseUrl() }), { BASE: 'https://mcp.demo.example/' })).toEqual({ BASE: 'https://mcp.demo.example' });
  });
});

describe('the optional and demo-value helpers', () => {
  const schema = z.object({
    STATUS_PORT: env.optionalPort(),
    MAPPING_FILE: env.optionalText(),
    DATABASE_URL: env.optionalPostgresUrl(),
    CLIENT_SECRET: env.demoSecret('demo-value'),
  });
  const unset = { STATUS_PORT: undefined, MAPPING_FILE: undefined, DATABASE_URL: undefined, CLIENT_SECRET: 'demo-value' };
  const problemsOf = (variables: Record<string, string>): readonly string[] => {
    try {
      loadConfig('svc', schema, variables);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return (error as ConfigurationError).problems;
    }
    return [];
  };

  it('reads an absent, empty or whitespace-only variable as unset: undefined, or the demo value', () => {
    expect(loadConfig('svc', schema, {})).toEqual(unset);
    expect(loadConfig('svc', schema, { STATUS_PORT: '', MAPPING_FILE: '', DATABASE_URL: '', CLIENT_SECRET: '' })).toEqual(unset);
    expect(loadConfig('svc', schema, { STATUS_PORT: '  ', MAPPING_FILE: '\t', DATABASE_URL: ' \n', CLIENT_SECRET: '   ' })).toEqual(unset);
  });

  it('takes a set value: a port as a number, text and URL trimmed, a secret exactly as written', () => {
    expect(
      loadConfig('svc', schema, {
        STATUS_PORT: '0',
        MAPPING_FILE: ' mapping.json ',
        DATABASE_URL: ' postgresql://user@db:5432/authorization_server ',
        CLIENT_SECRET: ' s3cret ',
      }),
    ).toEqual({ STATUS_PORT: 0, MAPPING_FILE: 'mapping.json', DATABASE_URL: 'postgresql://user@db:5432/authorization_server', CLIENT_SECRET: ' s3cret ' });
    expect(loadConfig('svc', schema, { STATUS_PORT: '9090', DATABASE_URL: 'postgres://db/app' })).toMatchObject({ STATUS_PORT: 9090, DATABASE_URL: 'postgres://db/app' });
  });

  it.each<[string, Record<string, string>, string]>([
    ['a port that is not a number', { STATUS_PORT: 'eighty' }, 'STATUS_PORT: must be a whole number'],
    ['a port out of range', { STATUS_PORT: '65536' }, 'STATUS_PORT: must be at most 65535'],
    ['a negative port', { STATUS_PORT: '-1' }, 'STATUS_PORT: must be at least 0'],
    ['a database URL of another kind', { DATABASE_URL: 'mysql://db/app' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
  ])('refuses %s in a ConfigurationError naming the variable', (_case, variables, expected) => {
    expect(problemsOf(variables)).toEqual([expected]);
  });
});

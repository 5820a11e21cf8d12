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
});

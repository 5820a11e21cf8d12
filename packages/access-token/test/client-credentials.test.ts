import { describe, expect, it } from 'vitest';
import { basicCredentials } from '../src/index.ts';

describe('client_secret_basic credentials', () => {
  it('form-encodes id and secret before base64 (RFC 6749 section 2.3.1)', () => {
    const header = basicCredentials('mcp server', 'a:b/c%d+é');
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')).toBe('mcp+server:a%3Ab%2Fc%25d%2B%C3%A9');
  });

  it('leaves plain ids and secrets as they are', () => {
    expect(basicCredentials('api-gateway-client', 'Password1')).toBe(`Basic ${Buffer.from('api-gateway-client:Password1').toString('base64')}`);
  });
});

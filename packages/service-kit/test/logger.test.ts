import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, errorFields } from '../src/index.ts';
import { withoutSecrets } from '../src/logger.ts';

const JWT = 'eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJqb2huLmRvZUBkZW1vLmV4YW1wbGUifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU';

function capture(): { lines: () => Array<Record<string, unknown>>; text: () => string; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('removes credentials wherever a request, a form or a token response would put them', () => {
    const out = capture();
    const logger = createLogger('svc', 'info', out.stream);
    logger.info({ authorization: `Bearer ${JWT}` }, 'top-level header');
    logger.info({ req: { headers: { authorization: `Bearer ${JWT}`, accept: 'application/json' } } }, 'request headers');
    logger.info({ headers: { authorization: `Basic ${Buffer.from('mcp-server:Password1').toString('base64')}` } }, 'headers');
    logger.info({ token: JWT, access_token: JWT, refresh_token: JWT, id_token: JWT, subject_token: JWT }, 'token fields');
    logger.info({ form: { subject_token: JWT, client_secret: 'Password1' }, response: { access_token: JWT } }, 'nested fields');
    logger.info({ client_secret: 'Password1', code_verifier: 'verifier-value-1234', password: 'Password1', otp: '123456' }, 'secrets');

    expect(out.lines()).toHaveLength(6);
    const text = out.text();
    for (const secret of [JWT, 'Password1', 'bWNwLXNlcnZlcjpQYXNzd29yZDE', 'verifier-value-1234', '123456']) expect(text).not.toContain(secret);
    expect(text).not.toContain('eyJ');
    // Only the secrets go: the rest of the line survives.
    expect(out.lines()[1]).toMatchObject({ req: { headers: { accept: 'application/json' } }, msg: 'request headers', service: 'svc' });
  });

  it('removes credentials nested deeper, in arrays, under any letter case, and from child bindings', () => {
    const out = capture();
    const logger = createLogger('svc', 'info', out.stream);
    logger.info({ upstream: { request: { headers: { Authorization: `Bearer ${JWT}` } } } }, 'three levels down');
    logger.info({ exchanges: [{ Access_Token: JWT, status: 200 }] }, 'in an array');
    logger.child({ session: { id_token: JWT } }).info('from a child');
    const text = out.text();
    expect(text).not.toContain('eyJ');
    expect(out.lines()[0]).toMatchObject({ upstream: { request: { headers: {} } } });
    expect(out.lines()[1]).toMatchObject({ exchanges: [{ status: 200 }] });
  });

  it('leaves an object without credentials as it is, and the caller\'s object untouched', () => {
    const plain = { method: 'GET', path: '/stocks', status: 200, durationMs: 1.2, nested: { region: 'USA' } };
    expect(withoutSecrets(plain)).toBe(plain);
    const withToken = { status: 401, headers: { authorization: 'Bearer x', accept: 'text/html' } };
    expect(withoutSecrets(withToken)).toEqual({ status: 401, headers: { accept: 'text/html' } });
    expect(withToken.headers.authorization).toBe('Bearer x');
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger('svc', 'warn', out.stream);
    logger.info('quiet');
    logger.warn('loud');
    expect(out.lines().map((line) => line.msg)).toEqual(['loud']);
  });
});

describe('errorFields', () => {
  it('keeps name, code and message, drops the stack and cuts out token-like text', () => {
    const error = Object.assign(new Error(`request with ${JWT} failed for opaque_2fb1bc61-0e98-413c-a44d-d8a46d3bd2f2`), { code: 'E_TEST' });
    const fields = errorFields(error);
    expect(fields).toEqual({ errorName: 'Error', errorCode: 'E_TEST', errorMessage: expect.any(String) });
    expect(fields.errorMessage).not.toContain('eyJ');
    expect(fields.errorMessage).not.toContain('2fb1bc61-0e98-413c-a44d');
    expect(fields.errorMessage).toMatch(/^request with \[redacted\] failed for /);
    expect(JSON.stringify(fields)).not.toMatch(/\n\s+at /);
  });

  it('bounds the message and describes non-errors by type only', () => {
    expect(errorFields(new Error('x '.repeat(1_000))).errorMessage?.length).toBe(300);
    expect(errorFields('a thrown string with a secret')).toEqual({ errorName: 'string' });
  });
});

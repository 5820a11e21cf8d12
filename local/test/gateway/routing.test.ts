import { describe, expect, it } from 'vitest';
import { parseKongConfig } from '../../gateway/index.ts';
import { escapePath, normalizePath, upstreamPath } from '../../gateway/paths.ts';
import { createRouter } from '../../gateway/routing.ts';
import { endToEndHeaders, hostnameOf } from '../../gateway/headers.ts';

describe('path normalization', () => {
  it.each([
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/a/b/..', '/a/'],
    ['/../../etc', '/etc'],
    ['/a//b///c', '/a/b/c'],
    ['/%7Euser/%61bc', '/~user/abc'],
    ['/a/%2e%2E/b', '/b'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/%20space', '/ space'],
  ])('%s becomes %s', (raw, normalized) => {
    expect(normalizePath(raw)).toBe(normalized);
  });

  it('escapes what is unsafe in a forwarded path and keeps the rest', () => {
    expect(escapePath("/ space/\"quote\"/a%2Fb/!$&'()*+,;=:@~")).toBe("/%20space/%22quote%22/a%2Fb/!$&'()*+,;=:@~");
  });
});

describe("Kong's v0 path joining", () => {
  // [service path, route path, strip_path, request path, upstream path]
  it.each([
    ['/', '/', false, '/', '/'],
    ['/', '/', false, '/mcp', '/mcp'],
    ['/', '/', true, '/mcp', '/mcp'],
    [undefined, '/stocks', false, '/stocks', '/stocks'],
    [undefined, '/stocks', false, '/stocks/1', '/stocks/1'],
    [undefined, '/stocks', true, '/stocks/1', '/1'],
    [undefined, '/stocks', true, '/stocks', '/'],
    ['/base/', '/api', true, '/api', '/base'],
    ['/base/', '/api', true, '/api/', '/base/'],
    ['/base/', '/api', true, '/api/items', '/base/items'],
    ['/base/', '/api', true, '/apiv2', '/base/v2'],
    ['/base/', '/api', false, '/api/items', '/base/api/items'],
    ['/base', '/api', true, '/api', '/base'],
    ['/base', '/api', true, '/api/', '/base/'],
    ['/base', '/api', true, '/api/items', '/base/items'],
    ['/base', '/api', true, '/apiv2', '/base/v2'],
    ['/base', '/api', false, '/api/items', '/base/api/items'],
    ['/base', '/', false, '/', '/base'],
    ['/base', '/api', true, '/api../x', '/base/x'],
    ['/base/', '/api', true, '/api./x', '/base/x'],
  ] as const)('service %s, route %s, strip %s: %s goes to %s', (servicePath, matchedPath, stripPath, requestPath, expected) => {
    expect(upstreamPath({ servicePath, matchedPath, stripPath, requestPath })).toBe(expected);
  });
});

describe('route selection', () => {
  const config = parseKongConfig(
    `_format_version: "3.0"
services:
  - name: web
    url: http://web:80
    routes:
      - name: catch-all
        hosts: [a.example, b.example]
        paths: [/]
      - name: api
        hosts: [a.example]
        paths: [/api, /v1/api]
        strip_path: true
      - name: api-admin
        hosts: [a.example]
        paths: [/api/admin]
        strip_path: false
`,
    'routes.yml',
  );
  const router = createRouter(config.routes);
  const choose = (host: string, path: string) => router.match(host, path);

  it('matches the host, then the longest path prefix', () => {
    expect(choose('a.example', '/api/admin/users')?.route.name).toBe('api-admin');
    expect(choose('a.example', '/api/items')?.route.name).toBe('api');
    expect(choose('a.example', '/v1/api/items')?.route.name).toBe('api');
    expect(choose('a.example', '/other')?.route.name).toBe('catch-all');
    expect(choose('b.example', '/api/admin/users')?.route.name).toBe('catch-all');
    expect(choose('A.Example', '/api')?.route.name).toBe('api');
    expect(choose('c.example', '/')).toBeUndefined();
  });

  it('matches plain string prefixes, as Kong does', () => {
    expect(choose('a.example', '/apiary')).toMatchObject({ route: { name: 'api' }, upstreamPath: '/ary' });
  });

  it('announces the stripped prefix, but never "/"', () => {
    expect(choose('a.example', '/api/items')?.prefix).toBe('/api');
    expect(choose('a.example', '/api/admin/x')?.prefix).toBeUndefined();
    expect(choose('a.example', '/other')?.prefix).toBeUndefined();
  });
});

describe('header helpers', () => {
  it('drops hop-by-hop headers and those named by Connection', () => {
    const copied = endToEndHeaders({
      connection: 'keep-alive, X-Private-Hop',
      'keep-alive': 'timeout=5',
      'x-private-hop': 'secret',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      te: 'trailers',
      'proxy-connection': 'keep-alive',
      accept: 'text/event-stream',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(copied).toEqual({ accept: 'text/event-stream', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('reads Connection as headersDistinct gives it: one line, several lines, or just keep-alive', () => {
    const message = { accept: '*/*', 'x-one': 'a', 'x-two': 'b', close: 'c', 'keep-alive': 'timeout=5' };
    expect(endToEndHeaders({ ...message, connection: ['Keep-Alive'] })).toEqual({ accept: '*/*', 'x-one': 'a', 'x-two': 'b', close: 'c' });
    expect(endToEndHeaders({ ...message, connection: ['X-One'] })).toEqual({ accept: '*/*', 'x-two': 'b', close: 'c' });
    expect(endToEndHeaders({ ...message, connection: ['keep-alive', 'x-two, , X-ONE'] })).toEqual({ accept: '*/*', close: 'c' });
    expect(endToEndHeaders({ ...message, connection: 'close' })).toEqual({ accept: '*/*', 'x-one': 'a', 'x-two': 'b' });
  });

  it('takes the host name of a Host header', () => {
    expect(hostnameOf('Login.Demo.Example:3102')).toBe('login.demo.example');
    expect(hostnameOf('[::1]:3100')).toBe('[::1]');
    expect(hostnameOf('127.0.0.1')).toBe('127.0.0.1');
  });
});

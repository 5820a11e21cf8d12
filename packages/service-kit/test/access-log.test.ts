import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logRequestCompleted, pathOf, requestIdOf } from '../src/index.ts';

describe('access log helpers', () => {
  it('adopt a sane request id and make one up otherwise', () => {
    expect(requestIdOf('abc-123.X_y')).toBe('abc-123.X_y');
    for (const bad of [undefined, '', 'has space', 'a'.repeat(129), ['a', 'b']]) expect(requestIdOf(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keep the path and drop the query string', () => {
    expect(pathOf('/callback?code=secret&state=x')).toBe('/callback');
    expect(pathOf('/stocks')).toBe('/stocks');
    expect(pathOf(undefined)).toBeUndefined();
  });

  it('write one line with the fields given, the duration in tenths of a millisecond and nothing else', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ base: undefined, timestamp: false }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    logRequestCompleted(log, { method: 'POST', path: '/', status: 200, startedAt: performance.now() - 12.345, route: 'mcp' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'request completed', method: 'POST', path: '/', status: 200, route: 'mcp' });
    expect(Object.keys(lines[0] ?? {}).sort()).toEqual(['durationMs', 'level', 'method', 'msg', 'path', 'route', 'status']);
    const durationMs = lines[0]?.durationMs as number;
    expect(durationMs).toBeGreaterThanOrEqual(12.3);
    expect(Math.round(durationMs * 10)).toBe(durationMs * 10);
  });
});

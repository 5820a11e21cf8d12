import type { RouteDefinition } from './config.ts';
import { upstreamPath } from './paths.ts';

/**
 * Kong's choice of route for plain (non-regex) prefix paths: among the
 * routes of the request's host, the longest path that prefixes the
 * normalized request path wins. Prefixes are plain string prefixes, as in
 * Kong: "/stocks" also matches "/stocksfoo".
 */

export interface RouteMatch {
  route: RouteDefinition;
  matchedPath: string;
  /** Path for the upstream, before escaping and the query string. */
  upstreamPath: string;
  /** The stripped prefix, announced as X-Forwarded-Prefix; Kong leaves "/" out. */
  prefix: string | undefined;
}

export interface Router {
  match(host: string, normalizedPath: string): RouteMatch | undefined;
}

export function createRouter(routes: readonly RouteDefinition[]): Router {
  const byHost = new Map<string, { path: string; route: RouteDefinition }[]>();
  for (const route of routes) {
    for (const host of route.hosts) {
      const entries = byHost.get(host) ?? [];
      for (const path of route.paths) entries.push({ path, route });
      byHost.set(host, entries);
    }
  }
  for (const entries of byHost.values()) entries.sort((a, b) => b.path.length - a.path.length);

  return {
    match(host, normalizedPath) {
      const entry = byHost.get(host.toLowerCase())?.find(({ path }) => normalizedPath.startsWith(path));
      if (!entry) return undefined;
      const { route, path } = entry;
      return {
        route,
        matchedPath: path,
        upstreamPath: upstreamPath({ requestPath: normalizedPath, matchedPath: path, stripPath: route.stripPath, servicePath: route.service.path }),
        prefix: route.stripPath && path !== '/' ? path : undefined,
      };
    },
  };
}

/**
 * Request paths as Kong handles them: the router matches a normalized path,
 * and the upstream path is derived from that normalized path, the route's
 * matched prefix and the service path (Kong's default `path_handling: v0`).
 */

// RFC 3986 reserved characters keep their percent-encoding: decoding them
// would change what the path means ("%2F" is not a segment separator).
const RESERVED = new Set("!*'();:@&=+$,/?%#[]");

/**
 * Decodes percent-encoded characters that are not reserved, removes dot
 * segments and merges repeated slashes. Bytes outside ASCII stay encoded (in
 * upper case), so the result is always plain ASCII.
 */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return path;
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (triplet, hex: string) => {
    const code = Number.parseInt(hex, 16);
    const char = String.fromCharCode(code);
    return code >= 0x80 || RESERVED.has(char) ? triplet.toUpperCase() : char;
  });
  return removeDotSegments(decoded);
}

/** RFC 3986 section 5.2.4, plus merging of empty segments ("//" becomes "/"). */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  let input = path;
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output.pop();
    } else if (input === '/..') {
      input = '/';
      output.pop();
    } else if (input === '.' || input === '..') input = '';
    else if (input.startsWith('//')) input = input.slice(1);
    else {
      const next = input.indexOf('/', 1);
      const segment = next === -1 ? input : input.slice(0, next);
      output.push(segment);
      input = next === -1 ? '' : input.slice(next);
    }
  }
  return output.join('');
}

// Characters that may appear in a forwarded path as they are; anything else
// (spaces, quotes, bytes above ASCII...) is percent-encoded again.
const PATH_SAFE = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/g;

export function escapePath(path: string): string {
  return path.replace(PATH_SAFE, (char) => {
    const code = char.charCodeAt(0);
    if (code <= 0xff) return `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    return encodeURIComponent(char);
  });
}

/** A leading "./" or "../" left over after stripping a prefix must not reach the upstream. */
function sanitizePostfix(postfix: string): string {
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(2);
  if (postfix.startsWith('../')) return postfix.slice(3);
  return postfix;
}

export interface UpstreamPathInput {
  /** The normalized request path. */
  requestPath: string;
  /** The route path that matched (a prefix of requestPath). */
  matchedPath: string;
  stripPath: boolean;
  /** The service path; Kong treats a missing one as "/". */
  servicePath: string | undefined;
}

/**
 * The path sent upstream, following Kong's v0 path handling: with strip_path
 * the matched prefix is removed and the rest is appended to the service path;
 * without it the whole request path is appended. Slashes at the junction are
 * joined so that exactly one separates the parts.
 */
export function upstreamPath({ requestPath, matchedPath, stripPath, servicePath }: UpstreamPathInput): string {
  const base = servicePath ?? '/';
  const postfix = sanitizePostfix(stripPath ? requestPath.slice(matchedPath.length) : requestPath.slice(1));

  if (base.endsWith('/')) {
    if (!stripPath) return base + requestPath.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return requestPath.endsWith('/') ? base : base.slice(0, -1);
    }
    return postfix.startsWith('/') ? base.slice(0, -1) + postfix : base + postfix;
  }

  if (!stripPath) return requestPath === '/' ? base : base + requestPath;
  if (postfix === '') return requestPath.length > 1 && requestPath.endsWith('/') ? `${base}/` : base;
  return postfix.startsWith('/') ? base + postfix : `${base}/${postfix}`;
}

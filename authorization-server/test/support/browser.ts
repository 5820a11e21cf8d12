/**
 * Just enough of a browser for driving the authorization code flow over
 * HTTP: a cookie jar that honours paths and deletions, manual redirects, and
 * form posts.
 */
interface Cookie {
  name: string;
  value: string;
  path: string;
}

export interface Browser {
  get(url: string | URL): Promise<Response>;
  post(url: string | URL, fields: Record<string, string>): Promise<Response>;
  cookieNames(): string[];
}

function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : url.pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export function createBrowser(): Browser {
  const jar = new Map<string, Cookie>();

  const store = (url: URL, response: Response) => {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      let path = defaultPath(url);
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', attributeValue = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = attributeValue || '/';
        if (key.toLowerCase() === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(attributeValue) < Date.now()) expired = true;
      }
      const key = `${path}\u0000${name}`;
      if (expired) jar.delete(key);
      else jar.set(key, { name, value, path });
    }
  };

  const cookieHeader = (url: URL) =>
    [...jar.values()]
      .filter((cookie) => pathMatches(url.pathname, cookie.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');

  const send = async (target: string | URL, init: RequestInit) => {
    const url = new URL(target);
    const headers = new Headers(init.headers);
    const cookies = cookieHeader(url);
    if (cookies) headers.set('cookie', cookies);
    headers.set('accept', 'text/html');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    store(url, response);
    return response;
  };

  return {
    get: (url) => send(url, { method: 'GET' }),
    post: (url, fields) =>
      send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
    cookieNames: () => [...jar.values()].map((cookie) => cookie.name),
  };
}

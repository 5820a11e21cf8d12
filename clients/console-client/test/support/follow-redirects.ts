/**
 * Stands in for a person with a browser: requests the authorization URL and
 * follows the authorization server's redirects until the loopback callback
 * has answered. Used as --authorization-url-command in the CLI test, and
 * imported by the in-process tests.
 */
export async function followAuthorization(authorizationUrl: string, maxHops = 5): Promise<Response> {
  let url = authorizationUrl;
  for (let hop = 0; hop < maxHops; hop++) {
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    url = new URL(location, url).href;
  }
  throw new Error('Too many redirects');
}

if (import.meta.main) {
  const url = process.argv[2];
  if (!url) {
    process.stderr.write('usage: follow-redirects.ts <authorization-url>\n');
    process.exit(2);
  }
  const response = await followAuthorization(url);
  process.exit(response.ok ? 0 : 1);
}

// Redirect URIs that the registration policy must accept or refuse. Both
// authorization servers share these cases (see dcr-parity.test.ts), so only
// URIs whose verdict the policy states without doubt belong here.

/** https anywhere, http only on a loopback address. */
export const acceptedRedirectUris: string[] = [
  'https://www.client.example/callback',
  'https://client.example:8443/oauth/callback?state=kept',
  'HTTPS://CLIENT.EXAMPLE/callback',
  'http://localhost:6274/callback',
  'http://localhost/callback',
  'http://LOCALHOST:3000/callback',
  'http://127.0.0.1:65343/callback',
  'http://[::1]:8080/callback',
];

/** Each refused URI with what makes it unsafe. */
export const refusedRedirectUris: Array<[uri: string, reason: string]> = [
  ['http://client.example/callback', 'plain http on a public host'],
  ['http://localhost.evil.example/callback', 'a host that only starts with localhost'],
  ['http://127.0.0.1.evil.example/callback', 'a host that only starts with 127.0.0.1'],
  ['http://localhost@evil.example/callback', 'a loopback name used as user information'],
  ['https://client.example/callback#section', 'a fragment'],
  ['http://localhost:6274/callback#section', 'a fragment on a loopback address'],
  ['javascript:alert(document.cookie)', 'the javascript scheme'],
  ['data:text/html,<script>alert(1)</script>', 'the data scheme'],
  ['file:///etc/passwd', 'the file scheme'],
  ['com.example.agent:/callback', 'a private-use scheme'],
  ['/callback', 'a relative reference'],
  ['', 'an empty string'],
];

/** application/x-www-form-urlencoded, as URLSearchParams writes it. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice('v='.length);
}

/**
 * The Authorization header of HTTP Basic client authentication
 * (`client_secret_basic`) for a client calling the authorization server: the
 * gateway introspecting, the MCP server exchanging. RFC 6749 section 2.3.1
 * form-encodes the client id and secret before they are joined with ':' and
 * base64-encoded, so a ':' or '%' in a secret survives the round trip.
 */
export function basicCredentials(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

import type { NotApplicableCheck } from './scenarios.ts';

/**
 * What the suite's authorization-server family checks against the open
 * authorization server, and under which client registration.
 *
 * Its two scenarios run in one invocation: `authorization-server-metadata-endpoint`
 * (RFC 8414 metadata at the path-inserted location, issuer equality, code
 * and S256 support, and `client_id_metadata_document_supported`) and
 * `authorization-code-grant` (a real sign-in: state, code and `iss` in the
 * redirect, then the token response's status, content type, `no-store`,
 * `access_token` and `token_type`).
 *
 * The client is registered as MCP clients register themselves here, as a
 * public client (`none`). A confidential client cannot be run: the suite
 * chooses `none` whenever the metadata lists it, even when it was given a
 * client secret (`selectTokenAuthMethod` in the suite's dist/index.js:
 * `!clientSecret || methods.includes('none') ? 'none' : ...`), so it sends
 * no secret and the server rightly answers 401.
 */
export const AUTHORIZATION_SERVER_CHECKS = {
  clients: ['none'],
  expected: ['authorization-code-grant', 'authorization-server-metadata', 'authorization-server-metadata-cimd'],
  notApplicable: [] as NotApplicableCheck[],
};

export { startTestIssuer, type MintOptions, type TestIssuer, type TestIssuerOptions } from './token-issuer.ts';
export { listMessages, startTestInbox, waitForOneTimeCode, type InboxMessage, type TestInbox, type WaitForCodeOptions } from './inbox.ts';

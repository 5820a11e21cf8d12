export { startTestIssuer, type MintOptions, type TestIssuer, type TestIssuerOptions } from './token-issuer.ts';

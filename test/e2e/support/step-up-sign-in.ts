/**
 * The "browser" of a console client under test, for its
 * --authorization-url-command hook: signs the user in over HTTP (e-mail,
 * one-time code from the test inbox, consent), then opens the final
 * redirect, which delivers the code to the client's loopback listener.
 * Appends one JSON line per sign-in to STEP_UP_SIGN_IN_LOG: the scope asked
 * for, the pages seen and the status of the delivery.
 *
 * Usage: node step-up-sign-in.ts <authorization-url>
 * Environment: STEP_UP_EMAIL, STEP_UP_INBOX, STEP_UP_SIGN_IN_LOG.
 */
import { appendFileSync } from 'node:fs';
import { signInOverHttp, type PageKind } from './http-login.ts';

export interface SignInRecord {
  scope: string | null;
  pages: PageKind[];
  consentHtml?: string;
  delivered?: number;
  error?: string;
}

const log = process.env.STEP_UP_SIGN_IN_LOG;
const email = process.env.STEP_UP_EMAIL;
const inbox = process.env.STEP_UP_INBOX;
const target = process.argv.at(-1);
if (!log || !email || !inbox || !target) {
  process.stderr.write('usage: STEP_UP_SIGN_IN_LOG=… STEP_UP_EMAIL=… STEP_UP_INBOX=… step-up-sign-in.ts <authorization-url>\n');
  process.exit(2);
}

const url = new URL(target);
const record: SignInRecord = { scope: url.searchParams.get('scope'), pages: [] };
try {
  const redirectUri = url.searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error('the authorization URL has no redirect_uri');
  const redirect = await signInOverHttp(url, {
    email,
    inbox,
    redirectUri,
    onPage: (page) => {
      record.pages.push(page.kind);
      if (page.kind === 'consent') record.consentHtml = page.html;
    },
  });
  record.delivered = (await fetch(redirect)).status;
} catch (error) {
  record.error = error instanceof Error ? error.message : String(error);
}
appendFileSync(log, `${JSON.stringify(record)}\n`);
process.exit(record.error ? 1 : 0);

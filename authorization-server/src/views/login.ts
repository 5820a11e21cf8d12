import { INTERACTION_PATH } from '../provider/paths.ts';
import { html } from './html.ts';
import { csrfField, notice, page } from './layout.ts';

export interface EmailPageModel {
  uid: string;
  csrf: string;
  clientName: string;
  email?: string;
  error?: string;
}

/** Step 1: the user names their corporate e-mail address. */
export function emailPage(model: EmailPageModel): string {
  return page(
    'Sign in',
    html`<h1>Sign in</h1>
    <p class="requesting" id="requesting-client"><strong>${model.clientName}</strong> is requesting access to your account.</p>
    ${notice(model.error)}
    <form method="post" action="${INTERACTION_PATH}/${model.uid}/email" novalidate>
      ${csrfField(model.csrf)}
      <label for="email">E-mail address</label>
      <input type="email" id="email" name="email" autocomplete="email" required autofocus value="${model.email ?? ''}">
      <p class="muted">We will send a one-time code to this address.</p>
      <button type="submit" id="continue">Continue</button>
    </form>`,
  );
}

export interface OtpPageModel {
  uid: string;
  csrf: string;
  clientName: string;
  email: string;
  ttlMinutes: number;
  error?: string;
}

/**
 * Step 2: the one-time code. The text is the same whether or not the address
 * is approved, so the page does not reveal who may sign in.
 */
export function otpPage(model: OtpPageModel): string {
  return page(
    'Enter your code',
    html`<h1>Enter your code</h1>
    <p class="requesting" id="requesting-client"><strong>${model.clientName}</strong> is requesting access to your account.</p>
    <p id="sent-to">If <strong>${model.email}</strong> is an approved address, a 6-digit code has been sent to it. The code is valid for ${model.ttlMinutes} minutes.</p>
    ${notice(model.error)}
    <form method="post" action="${INTERACTION_PATH}/${model.uid}/otp" novalidate>
      ${csrfField(model.csrf)}
      <label for="otp">One-time code</label>
      <input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>
      <button type="submit" id="sign-in">Sign in</button>
    </form>
    <form method="post" action="${INTERACTION_PATH}/${model.uid}/restart">
      ${csrfField(model.csrf)}
      <button type="submit" class="secondary" id="start-again">Use another address</button>
    </form>`,
  );
}

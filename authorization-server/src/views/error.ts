import { html } from './html.ts';
import { page } from './layout.ts';

export interface ErrorOutput {
  error: string;
  error_description?: string | undefined;
}

/** oidc-provider's renderError: the OAuth error code and description, nothing internal. */
export function renderErrorPage(out: ErrorOutput): string {
  return page(
    'Sign-in error',
    html`<h1>Something went wrong</h1>
    <p id="error-code"><strong>${out.error}</strong></p>
    ${out.error_description ? html`<p id="error-description">${out.error_description}</p>` : ''}
    <p class="muted">Return to the application and start again.</p>`,
  );
}

/** A page for problems in the login and consent steps. */
export function messagePage(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p id="error-description">${message}</p><p class="muted">Return to the application and start again.</p>`);
}

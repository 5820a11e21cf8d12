import { INTERACTION_PATH } from '../provider/paths.ts';
import { html, type Markup } from './html.ts';
import { csrfField, page } from './layout.ts';

export interface ConsentPageModel {
  uid: string;
  csrf: string;
  clientName: string;
  /** The client's template area; `mcp-client` selects the AI agent wording. */
  templateArea?: string | undefined;
  scopes: string[];
  region?: string | undefined;
  email: string;
  /** Lifetime of the access tokens the client receives. */
  accessMinutes?: number | undefined;
}

/** Plain words for each scope; technical claims (client_type, client_assurance_level) are never listed. */
function describeScope(scope: string, region: string | undefined): Markup {
  if (scope === 'stocks/read') {
    return html`<li id="scope-stocks-read">Read stock prices you are authorized to see${region ? html` for your region, <strong id="consent-region">${region}</strong>` : ''}</li>`;
  }
  if (scope === 'stocks/trade') {
    return html`<li id="scope-stocks-trade">Place buy and sell orders for stocks in your name</li>`;
  }
  return html`<li>${scope}</li>`;
}

export function consentPage(model: ConsentPageModel): string {
  const agent = model.templateArea === 'mcp-client';
  const intro = agent
    ? html`<p><strong>${model.clientName}</strong> is an AI agent application. It asks to act on your behalf${model.scopes.includes('stocks/trade') ? '' : ' with read-only access'}:</p>`
    : html`<p><strong>${model.clientName}</strong> asks for the following access:</p>`;
  const release = model.region
    ? html`<p class="muted">Shared with the application: your region (<span id="released-region">${model.region}</span>). Signed in as ${model.email}.</p>`
    : html`<p class="muted">Signed in as ${model.email}.</p>`;
  return page(
    'Allow access?',
    html`<h1>Allow access?</h1>
    <p class="requesting" id="requesting-client"><strong>${model.clientName}</strong> is requesting access to your account.</p>
    ${intro}
    <ul class="permissions">${model.scopes.map((scope) => describeScope(scope, model.region))}</ul>
    ${release}
    ${model.accessMinutes ? html`<p class="muted">Each access token lasts at most ${model.accessMinutes} minutes.</p>` : ''}
    <form method="post" action="${INTERACTION_PATH}/${model.uid}/consent" class="actions">
      ${csrfField(model.csrf)}
      <button type="submit" name="decision" value="allow" id="allow">Allow</button>
      <button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>
    </form>`,
  );
}

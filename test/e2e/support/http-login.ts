import { listMessages, waitForOneTimeCode } from '@mcp-demo/testing';

/**
 * Signs a user in the way a browser would, over plain HTTP: follows the
 * authorization server's redirects with a cookie jar, fills the e-mail form,
 * reads the one-time code from the test inbox, enters it, and answers the
 * consent page. Returns the final redirect to the client's redirect URI.
 *
 * It understands forms generically (action, hidden inputs, submit buttons)
 * rather than specific markup, so it exercises the pages as served.
 */
export interface LoginOptions {
  email: string;
  /** Base URL of the test inbox's web/REST interface. */
  inbox: string;
  /** Where the client expects to be redirected (the flow ends there). */
  redirectUri: string;
  consent?: 'allow' | 'deny';
  /** Called with each page's HTML and a short label, for assertions. */
  onPage?: (page: { kind: PageKind; html: string; url: string }) => void;
}

export type PageKind = 'email' | 'otp' | 'consent';

interface Form {
  action: string;
  fields: Record<string, string>;
  buttons: Array<{ name?: string; value?: string; label: string }>;
  inputs: string[];
}

const decodeEntities = (value: string) =>
  value.replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  const raw = match?.[2] ?? match?.[3];
  return raw === undefined ? undefined : decodeEntities(raw);
}

export function parseForms(html: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, open = '', body = ''] = match;
    const fields: Record<string, string> = {};
    const inputs: string[] = [];
    for (const [tag] of body.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(tag, 'name');
      if (!name) continue;
      const type = (attribute(tag, 'type') ?? 'text').toLowerCase();
      if (type === 'submit') continue;
      inputs.push(name);
      if (type === 'hidden' || attribute(tag, 'value') !== undefined) fields[name] = attribute(tag, 'value') ?? '';
    }
    const buttons: Form['buttons'] = [];
    for (const button of body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const tag = button[1] ?? '';
      buttons.push({ name: attribute(tag, 'name'), value: attribute(tag, 'value'), label: (button[2] ?? '').replace(/<[^>]+>/g, '').trim() });
    }
    forms.push({ action: attribute(open, 'action') ?? '', fields, buttons, inputs });
  }
  return forms;
}

function createJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    store(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const index = pair.indexOf('=');
        if (index <= 0) continue;
        const name = pair.slice(0, index).trim();
        const value = pair.slice(index + 1).trim();
        if (/;\s*max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
    },
  };
}

function classify(form: Form): PageKind {
  if (form.inputs.includes('email')) return 'email';
  if (form.inputs.some((name) => name === 'otp' || name === 'code')) return 'otp';
  return 'consent';
}

export async function signInOverHttp(authorizationUrl: URL | string, options: LoginOptions): Promise<URL> {
  const jar = createJar();
  let url = new URL(authorizationUrl);
  let init: RequestInit = { method: 'GET' };
  let earlierMessages: string[] = [];

  for (let hop = 0; hop < 25; hop += 1) {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.store(response);
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location') ?? '', url);
      if (location.href.startsWith(options.redirectUri)) return location;
      url = location;
      init = { method: 'GET' };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`unexpected ${response.status} from ${url.pathname}: ${html.slice(0, 300)}`);
    const [form] = parseForms(html);
    if (!form) throw new Error(`no form on the page at ${url.pathname}`);
    const kind = classify(form);
    options.onPage?.({ kind, html, url: url.href });

    const fields = new URLSearchParams(form.fields);
    let button: Form['buttons'][number] | undefined;
    if (kind === 'email') {
      fields.set('email', options.email);
      // Codes already in the inbox belong to earlier sign-ins.
      earlierMessages = (await listMessages(options.inbox, options.email)).map((message) => message.id);
    }
    if (kind === 'otp') {
      const name = form.inputs.includes('otp') ? 'otp' : 'code';
      fields.set(name, await waitForOneTimeCode(options.inbox, options.email, { excluding: earlierMessages, timeoutMs: 15_000 }));
    }
    if (kind === 'consent') {
      const wanted = options.consent ?? 'allow';
      button = form.buttons.find((candidate) => new RegExp(wanted === 'allow' ? 'allow|accept|approve' : 'deny|cancel|reject', 'i').test(`${candidate.label} ${candidate.value ?? ''}`));
      if (!button) throw new Error(`no ${wanted} button on the consent page`);
    }
    if (button?.name) fields.set(button.name, button.value ?? '');
    url = new URL(form.action || url.href, url);
    init = { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('the sign-in did not finish within 25 steps');
}

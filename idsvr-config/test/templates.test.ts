// The customised Velocity templates, rendered, and their messages.
import { describe, expect, it } from 'vitest';
import { readText } from './support/curity-config.ts';
import { javaMap, javaString, MESSAGE_FILES, messageKeys, renderTemplate } from './support/render-template.ts';

const usernamePage = 'templates/overrides/authenticator/email/enter-username/index.vm';
const consentPage = 'templates/template-areas/mcp-client/views/oauth/consent.vm';

/** The template without Velocity comments (## to end of line, #* ... *#). */
function code(template: string): string {
  return template.replace(/#\*[\s\S]*?\*#/g, '').replace(/##.*$/gm, '');
}

describe.each([usernamePage, consentPage])('%s', (path) => {
  const template = code(readText(path));

  it('renders inside the default layout', () => {
    expect(template).toContain('#parse("layouts/default")');
  });

  it('defines every added message it uses', () => {
    const added = [...template.matchAll(/#message\("([^"$]+)"\)/g)]
      .map((match) => match[1] as string)
      .filter((key) => key.includes('.mcp-'));
    expect(added.length).toBeGreaterThan(0);
    for (const key of added) {
      const file = MESSAGE_FILES.find(([prefix]) => key.startsWith(prefix));
      expect(file, key).toBeDefined();
      const [prefix, messages] = file as [string, string];
      expect(messageKeys(messages).has(key.slice(prefix.length)), key).toBe(true);
    }
  });
});

describe('username page of the e-mail authenticator', () => {
  const template = code(readText(usernamePage));

  it('names the requesting client from its "name" property', () => {
    expect(template).toContain('$_requestingOAuthClient.properties.name');
  });

  const page = (context: Record<string, unknown>) => renderTemplate(usernamePage, context);
  const wording = messageKeys('templates/messages/overrides/en/authenticator/email/messages');

  it('renders the whole form, and names the client with the HTML its chosen name contains escaped', () => {
    const html = page({ _requestingOAuthClient: { id: 'dcr-client-1', properties: { name: '<img src=x onerror=alert(1)> "Agent"' } } });
    expect(html).toMatch(/<form method="post">[\s\S]*<input type="text" id="userName" name="userName"[\s\S]*<button type="submit"[\s\S]*<\/form>/);
    expect(html).toContain('<strong>&lt;img src=x onerror=alert(1)&gt; &quot;Agent&quot;</strong>');
    expect(html).not.toContain('<img');
    expect(html).toContain(wording.get('enter-username.view.mcp-unverified-name'));
    expect(html).toContain(wording.get('enter-username.view.mcp-requesting'));
  });

  it('names no client when none is known, and keeps the address typed before, escaped', () => {
    const html = page({ _postBack: { userName: 'john"><script>@demo.example' } });
    expect(html).not.toContain('id="requestingClient"');
    expect(html).toContain('value="john&quot;&gt;&lt;script&gt;@demo.example"');
    expect(html).not.toContain('<script>');
  });

  it('names a client described by a client ID metadata document by the host of its client ID, HTML-encoded', () => {
    // Such a client has no stored name; its id is the document's URL (a Java string in Curity).
    const named = (id: string) => page({ _requestingOAuthClient: { id: javaString(id), properties: {} } });
    for (const id of ['https://www.client.example/console-client.json', 'https://www.client.example:8443/a?b#c']) {
      const html = named(id);
      expect(html, id).toMatch(new RegExp(`${wording.get('enter-username.view.mcp-requesting-host')}\\s*<strong>www\\.client\\.example</strong>`));
    }
    expect(named('https://a&b.example/c.json')).toContain('<strong>a&amp;b.example</strong>');
    // Not a document URL: nothing is named rather than an unverified id.
    expect(named('some-client-id')).not.toContain('id="requestingClient"');
  });

  it('introduces the name as one the application chose itself, not a verified one', () => {
    const sentence = /#message\("authenticator\.email\.enter-username\.view\.mcp-unverified-name"\)\s*<strong>\$_tr\.encodeHtml\(\$requestingClientName\)<\/strong>/;
    expect(template).toMatch(sentence);
    const wording = messageKeys('templates/messages/overrides/en/authenticator/email/messages');
    expect(wording.get('enter-username.view.mcp-unverified-name')).toMatch(/calls itself/);
    expect(wording.get('enter-username.view.mcp-requesting')).toMatch(/nobody has verified it/);
  });

  it('posts the userName field the authenticator reads', () => {
    expect(template).toMatch(/name="userName"/);
    expect(template).toMatch(/<form method="post">/);
  });
});

describe('consent page of the mcp-client template area', () => {
  const wording = messageKeys('templates/messages/template-areas/mcp-client/en/views/oauth/messages');
  const entries: Array<[string, { value: string }]> = [
    ['claim.region', { value: 'Europe <b>' }],
    ['claim.client_type', { value: 'mcp' }],
    ['claim.client_assurance_level', { value: '1' }],
    ['scope.stocks/read', { value: 'stocks/read' }],
  ];
  const render = () => renderTemplate(consentPage, {
    _client: javaMap([['name', 'Agent <i>X</i>']]),
    _consentEntries: javaMap(entries),
    _authenticatedSubject: 'jane.test@demo.example',
    _state: 's"1',
    _target: '/consent',
  });
  const listItems = (html: string) => [...html.matchAll(/<li\b[^>]*>([\s\S]*?)<\/li>/g)].map((match) => (match[1] ?? '').replace(/\s+/g, ' ').trim());

  it('shows, as a list, the scope in plain words and the region with its value, escaped, and nothing else', () => {
    const html = render();
    expect(listItems(html)).toEqual([
      wording.get('consent.mcp-stocks-read'),
      `${wording.get('consent.mcp-region')} <strong>Europe &lt;b&gt;</strong>`,
    ]);
    expect(html).toContain('<h1 id="clientName">Agent &lt;i&gt;X&lt;/i&gt;</h1>');
    // Only the hidden inputs name them; no text the user reads does.
    const visibleText = html.replace(/<[^>]*>/g, ' ');
    for (const hidden of ['client_type', 'client_assurance_level', 'mcp']) expect(visibleText).not.toContain(hidden);
  });

  it('grants every entry, shown or not, and posts the state, escaped', () => {
    const html = render();
    for (const [key] of entries) expect(html).toContain(`<input type="hidden" name="consent.${key}" value="on">`);
    expect(html).toContain('<input type="hidden" name="state" value="s&quot;1">');
    expect(html).toContain('action="/consent"');
  });

  it('describes stocks/read in plain words', () => {
    expect(wording.get('consent.mcp-stocks-read')).toMatch(/read/i);
    expect(wording.get('consent.mcp-stocks-read')).not.toContain('stocks/read');
  });

  it('offers Allow and Cancel', () => {
    const html = render();
    expect(html).toMatch(new RegExp(`<input type="submit" name="submit_consent"[^>]*value='${wording.get('consent.mcp-allow')}'>`));
    expect(html).toMatch(new RegExp(`<input type="submit" name="cancel_consent"[^>]*value='${wording.get('consent.mcp-cancel')}'>`));
  });
});

// Static checks of the customised Velocity templates and their messages.
import { describe, expect, it } from 'vitest';
import { readText } from './support/curity-config.ts';

const usernamePage = 'templates/overrides/authenticator/email/enter-username/index.vm';
const consentPage = 'templates/template-areas/mcp-client/views/oauth/consent.vm';

/** Where each message key prefix is defined: the folder path of a messages file becomes the key's prefix. */
const messageFiles: Array<[prefix: string, file: string]> = [
  ['authenticator.email.', 'templates/messages/overrides/en/authenticator/email/messages'],
  ['views.oauth.', 'templates/messages/template-areas/mcp-client/en/views/oauth/messages'],
];

/** The template without Velocity comments (## to end of line, #* ... *#). */
function code(template: string): string {
  return template.replace(/#\*[\s\S]*?\*#/g, '').replace(/##.*$/gm, '');
}

function messageKeys(file: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of readText(file).split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(line);
    if (match) {
      keys.set(match[1] as string, match[2] as string);
    }
  }
  return keys;
}

describe.each([usernamePage, consentPage])('%s', (path) => {
  const template = code(readText(path));

  it('closes every block it opens', () => {
    const opened = template.match(/#(if|foreach|define|macro)\s*\(/g) ?? [];
    const closed = template.match(/#end\b/g) ?? [];
    expect(closed.length).toBe(opened.length);
  });

  it('renders inside the default layout', () => {
    expect(template).toContain('#parse("layouts/default")');
  });

  it('defines every added message it uses', () => {
    const added = [...template.matchAll(/#message\("([^"$]+)"\)/g)]
      .map((match) => match[1] as string)
      .filter((key) => key.includes('.mcp-'));
    expect(added.length).toBeGreaterThan(0);
    for (const key of added) {
      const file = messageFiles.find(([prefix]) => key.startsWith(prefix));
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

  it('HTML-encodes that name, which the client chose itself', () => {
    const uses = [...template.matchAll(/\$!?\{?requestingClientName\}?/g)];
    const encoded = template.match(/\$_tr\.encodeHtml\(\$requestingClientName\)/g) ?? [];
    // One use in the #set, one in the #if, the rest only inside encodeHtml.
    expect(uses.length - 2).toBe(encoded.length);
    expect(encoded.length).toBeGreaterThan(0);
    expect(template).not.toMatch(/\$!?\{?_requestingOAuthClient\.properties\.name\}?\s*</);
  });

  it('names a client described by a client ID metadata document by the host of its client ID, HTML-encoded', () => {
    expect(template).toContain("#elseif ($_requestingOAuthClient && $_requestingOAuthClient.id.startsWith('https://'))");
    const host = /#set \(\$requestingClientHost = \$_requestingOAuthClient\.id\.replaceAll\('([^']+)', '\$1'\)\)/.exec(template)?.[1];
    expect(host).toBeDefined();
    // Java's replaceAll and JavaScript agree on this pattern.
    const pattern = new RegExp(host ?? '');
    expect('https://www.client.example/console-client.json'.replace(pattern, '$1')).toBe('www.client.example');
    expect('https://www.client.example:8443/a?b#c'.replace(pattern, '$1')).toBe('www.client.example');
    const uses = [...template.matchAll(/\$!?\{?requestingClientHost\}?/g)];
    const encoded = template.match(/\$_tr\.encodeHtml\(\$requestingClientHost\)/g) ?? [];
    expect(uses.length - 2).toBe(encoded.length);
    expect(encoded.length).toBe(1);
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
  const template = code(readText(consentPage));
  const wording = messageKeys('templates/messages/template-areas/mcp-client/en/views/oauth/messages');

  it('hides client_type and client_assurance_level', () => {
    expect(template).toMatch(/#set \(\$hiddenClaims = \["client_type", "client_assurance_level"\]\)/);
  });

  it('shows the region and its value', () => {
    expect(template).toContain('$entry.key.contains("region")');
    expect(template).toContain('#message("views.oauth.consent.mcp-region")');
    expect(template).toMatch(/encodeHtml\("\$!entry\.value\.value"\)/);
  });

  it('describes stocks/read in plain words', () => {
    expect(template).toContain('#message("views.oauth.consent.mcp-stocks-read")');
    expect(wording.get('consent.mcp-stocks-read')).toMatch(/read/i);
    expect(wording.get('consent.mcp-stocks-read')).not.toContain('stocks/read');
  });

  it('still grants every entry, shown or not, so the API receives the hidden claims', () => {
    const loop = /#foreach \(\$entry in \$_consentEntries\.entrySet\(\)\)([\s\S]*)#end\s*<\/ul>/.exec(template)?.[1] ?? '';
    expect(loop).toMatch(/<input type="hidden" name="\$_tr\.encodeHtmlAttribute\(\$parameterName\)" value="on">/);
    expect(template).toContain('#set ($parameterName = "consent.$entry.key")');
  });

  it('posts the state and offers Allow and Cancel', () => {
    expect(template).toContain('name="state"');
    expect(template).toContain('name="submit_consent"');
    expect(template).toContain('name="cancel_consent"');
  });
});

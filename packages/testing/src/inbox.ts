/**
 * A real maildev (SMTP server + REST API) on free loopback ports, standing in
 * for the deployment's test inbox, and helpers that read one-time codes from
 * any maildev through its REST API (GET /api/email).
 */
export interface TestInbox {
  smtpHost: string;
  smtpPort: number;
  /** Base URL of maildev's web UI and REST API. */
  webUrl: string;
  /** Waits for the newest code sent to `address` that this inbox has not returned before (see waitForOneTimeCode). */
  waitForCode(address: string, options?: WaitForCodeOptions): Promise<string>;
  /** Messages sent to `address`, newest first. */
  messagesTo(address: string): Promise<InboxMessage[]>;
  close(): Promise<void>;
}

export interface InboxMessage {
  id: string;
  subject: string;
  text: string;
  to: string[];
  time: Date;
}

export interface WaitForCodeOptions {
  /** Only messages sent at or after this time (to the second) count (default: any). */
  since?: Date | number;
  /**
   * Ids of messages to ignore, e.g. those listed before the action that sends
   * the code: message times have one-second precision, so `since` alone cannot
   * tell apart two codes sent within the same second.
   */
  excluding?: Iterable<string>;
  /** Give up after this many milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Pause between polls (default 100 ms). */
  intervalMs?: number;
  /** How a code looks in the message text (default: the first run of exactly 6 digits). */
  pattern?: RegExp;
}

interface MaildevAddress {
  address?: string;
}

interface MaildevEmail {
  id: string;
  subject?: string;
  text?: string;
  to?: MaildevAddress[];
  time: string;
}

const SIX_DIGITS = /\b(\d{6})\b/;

/** Messages to `address` in the maildev at `webUrl`, newest first. */
export async function listMessages(webUrl: string, address: string): Promise<InboxMessage[]> {
  const response = await fetch(`${webUrl.replace(/\/+$/, '')}/api/email`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`maildev at ${webUrl} answered HTTP ${response.status}`);
  const emails = (await response.json()) as MaildevEmail[];
  const wanted = address.toLowerCase();
  // maildev lists in arrival order and its times have one-second precision,
  // so arrival order breaks ties between messages of the same second.
  return emails
    .map((email, arrival) => ({
      arrival,
      message: {
        id: email.id,
        subject: email.subject ?? '',
        text: email.text ?? '',
        to: (email.to ?? []).map((to) => (to.address ?? '').toLowerCase()),
        time: new Date(email.time),
      },
    }))
    .filter(({ message }) => message.to.includes(wanted))
    .sort((a, b) => b.message.time.getTime() - a.message.time.getTime() || b.arrival - a.arrival)
    .map(({ message }) => message);
}

async function waitForCodeMessage(webUrl: string, address: string, options: WaitForCodeOptions): Promise<{ code: string; id: string }> {
  // Message times are whole seconds (the Date header), so compare at that precision.
  const since = options.since === undefined ? 0 : Math.floor(new Date(options.since).getTime() / 1000) * 1000;
  const excluded = new Set(options.excluding ?? []);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const pattern = options.pattern ?? SIX_DIGITS;
  for (;;) {
    const messages = await listMessages(webUrl, address);
    for (const message of messages) {
      if (message.time.getTime() < since) break;
      if (excluded.has(message.id)) continue;
      pattern.lastIndex = 0;
      const match = pattern.exec(message.text) ?? pattern.exec(message.subject);
      if (match) return { code: match[1] ?? match[0], id: message.id };
    }
    if (Date.now() >= deadline) throw new Error(`no one-time code for ${address} arrived within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/**
 * Polls maildev's REST API until a message to `address` holds a one-time
 * code, and returns the code of the newest such message.
 */
export async function waitForOneTimeCode(webUrl: string, address: string, options: WaitForCodeOptions = {}): Promise<string> {
  return (await waitForCodeMessage(webUrl, address, options)).code;
}

/** Starts maildev on free loopback ports (SMTP and web API both on 127.0.0.1). */
export async function startTestInbox(): Promise<TestInbox> {
  // Loaded on demand: maildev is large, and most users of this package never start an inbox.
  const { MailDev } = await import('maildev');
  const maildev = new MailDev({ smtp: 0, web: 0, ip: '127.0.0.1', webIp: '127.0.0.1', silent: true });
  const servers = await maildev.start();
  const smtpPort = servers.smtp.getPort();
  const webPort = servers.api?.getPort();
  if (!webPort) {
    await maildev.stop();
    throw new Error('maildev started without its web API');
  }
  const webUrl = `http://127.0.0.1:${webPort}`;
  // Codes already handed out are never handed out again, so consecutive
  // sign-ins of one user within a second each get their own code.
  const delivered = new Set<string>();
  return {
    smtpHost: '127.0.0.1',
    smtpPort,
    webUrl,
    waitForCode: async (address, options = {}) => {
      const { code, id } = await waitForCodeMessage(webUrl, address, {
        ...options,
        excluding: [...delivered, ...(options.excluding ?? [])],
      });
      delivered.add(id);
      return code;
    },
    messagesTo: (address) => listMessages(webUrl, address),
    close: () => maildev.stop(),
  };
}

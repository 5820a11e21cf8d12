import nodemailer from 'nodemailer';
import type { Logger } from '@mcp-demo/service-kit';
import type { Requester } from '../clients/client-metadata.ts';

export interface OtpMessage {
  to: string;
  code: string;
  requester: Requester;
  ttlSeconds: number;
}

export interface OtpMailer {
  send(message: OtpMessage): Promise<void>;
  close(): void;
}

export interface MailSettings {
  host: string;
  port: number;
  from: string;
}

/**
 * The message. The client's name is attacker-chosen text: it appears on one
 * line of its own (displayNameOf already made it one short line), quoted and
 * labelled as the name the application gave itself, never as our words.
 */
export function otpMailText(code: string, requester: Requester, ttlSeconds: number): string {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  const origin = requester.verifiedHost
    ? `An application published at ${requester.verifiedHost} asked you to sign in.`
    : 'An application asked you to sign in.';
  return [
    `Your one-time code is ${code}`,
    '',
    origin,
    `Name the application gave itself (not verified): "${requester.unverifiedName}"`,
    '',
    `The code is valid for ${minutes} minutes and works once. Enter it only on the sign-in page you opened yourself; never send it to anyone.`,
    'If you did not try to sign in, ignore this message.',
    '',
  ].join('\n');
}

/**
 * Sends one-time codes over SMTP (maildev in the demo, as the seed's test
 * inbox). The code appears in the message only, never in a log line.
 */
export function createOtpMailer(settings: MailSettings, logger: Logger): OtpMailer {
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: false,
    // The demo inbox speaks plain SMTP on loopback or a private network.
    ignoreTLS: true,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  });
  return {
    async send({ to, code, requester, ttlSeconds }) {
      await transport.sendMail({ from: settings.from, to, subject: 'Your sign-in code', text: otpMailText(code, requester, ttlSeconds) });
      logger.info({ smtpHost: settings.host }, 'one-time code sent');
    },
    close: () => transport.close(),
  };
}

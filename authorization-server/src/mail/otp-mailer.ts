import nodemailer from 'nodemailer';
import type { Logger } from '@mcp-demo/service-kit';

export interface OtpMessage {
  to: string;
  code: string;
  clientName: string;
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
    async send({ to, code, clientName, ttlSeconds }) {
      const minutes = Math.max(1, Math.round(ttlSeconds / 60));
      await transport.sendMail({
        from: settings.from,
        to,
        subject: 'Your sign-in code',
        text: `Your one-time code is ${code}\n\n${clientName} asked you to sign in. The code is valid for ${minutes} minutes and works once.\nIf you did not try to sign in, ignore this message.\n`,
      });
      logger.info({ smtpHost: settings.host }, 'one-time code sent');
    },
    close: () => transport.close(),
  };
}

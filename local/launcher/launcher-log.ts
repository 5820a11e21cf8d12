import { appendFileSync } from 'node:fs';
import { createLogger, type Logger } from '@mcp-demo/service-kit';

/**
 * The launcher's own log: JSON lines in `file`, and, when `console` is given,
 * each line's message for the person watching `npm start`.
 *
 * Lines are written synchronously: the launcher may exit right after logging
 * why (a service it gave up on), and an asynchronous file stream would lose
 * exactly that line. It writes a handful of lines per event, never per request.
 */
export function createLauncherLogger(file: string, level: string, console?: NodeJS.WritableStream): Logger {
  return createLogger('launcher', level, {
    write(line: string) {
      appendFileSync(file, line);
      if (console) {
        const { msg } = JSON.parse(line) as { msg?: unknown };
        if (typeof msg === 'string') console.write(`  ${msg}\n`);
      }
    },
  });
}

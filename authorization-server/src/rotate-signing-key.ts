import { z } from 'zod';
import { loadConfig } from '@mcp-demo/service-kit';
import { SERVICE_NAME, settingsSchema } from './config.ts';
import { rotateSigningKey, SIGNING_KEYS_NAME } from './keys/signing-keys.ts';
import { openModelStorage } from './storage/open-storage.ts';

/**
 * Adds a signing key to the store every node shares, activating later:
 *
 *   node src/rotate-signing-key.ts [--activate-in <seconds>]   (default 3600)
 *
 * Reads DATABASE_URL and DATA_DIR as the server does. The steps that follow
 * (restart every node before the activation, and again after it) are
 * printed; keys/signing-keys.ts explains why.
 */
const usage = 'usage: node src/rotate-signing-key.ts [--activate-in <seconds>]';

function activationDelaySeconds(args: string[]): number {
  if (args.length === 0) return 3600;
  const [flag, value] = args;
  const seconds = Number(value);
  if (flag !== '--activate-in' || args.length !== 2 || !Number.isInteger(seconds) || seconds < 60) {
    throw new Error(`${usage}\n--activate-in takes whole seconds, at least 60 (longer than restarting every node takes)`);
  }
  return seconds;
}

const storeSettings = z.object({ DATABASE_URL: settingsSchema.shape.DATABASE_URL, DATA_DIR: settingsSchema.shape.DATA_DIR });

try {
  const delay = activationDelaySeconds(process.argv.slice(2));
  const settings = loadConfig(SERVICE_NAME, storeSettings, process.env);
  const storage = await openModelStorage(settings);
  try {
    if ((await storage.shared.get(SIGNING_KEYS_NAME)) === undefined) {
      throw new Error('the store holds no signing keys yet: start the server once first (it also takes over an older key file)');
    }
    const now = Date.now();
    const activatesAt = now + delay * 1000;
    const kid = await rotateSigningKey(storage.shared, activatesAt, now);
    const at = new Date(activatesAt).toISOString();
    console.log(`Added signing key ${kid} to "${SIGNING_KEYS_NAME}" in the ${storage.kind} store; it activates at ${at}.`);
    console.log(`1. Restart every authorization server node before ${at}: each then publishes the new key.`);
    console.log(`2. Restart every node again after ${at}: each then signs with it, and still publishes the old key.`);
    console.log('3. Rotate again no sooner than 24 hours after step 2; that rotation removes the old key.');
  } finally {
    await storage.close();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}


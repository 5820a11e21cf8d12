import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** An administrator-approved user. The e-mail address is the subject of its tokens. */
export interface User {
  email: string;
  region: string;
  name?: string;
}

export interface UserDirectory {
  /** Case-insensitive lookup; undefined for addresses that are not approved. */
  find(email: string): User | undefined;
  readonly size: number;
}

const usersFileSchema = z.object({
  users: z
    .array(
      z.object({
        email: z.email(),
        region: z.string().min(1),
        name: z.string().min(1).optional(),
      }),
    )
    .min(1),
});

export function createUserDirectory(users: readonly User[]): UserDirectory {
  const byEmail = new Map(users.map((user) => [user.email.toLowerCase(), user]));
  return {
    find: (email) => byEmail.get(email.trim().toLowerCase()),
    size: byEmail.size,
  };
}

export function loadUserDirectory(file: string): UserDirectory {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`USERS_FILE ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`USERS_FILE ${file} is invalid: ${problems}`);
  }
  return createUserDirectory(parsed.data.users);
}

// db/seed-users.sql must insert exactly the users of data/users.json, in a
// form the e-mail login and the region claim can use.
import { describe, expect, it } from 'vitest';
import { readText } from './support/curity-config.ts';
import { approvedUsers, seededAccounts, seedSql } from './support/seed-users.ts';

describe('seeded user accounts', () => {
  const users = approvedUsers();
  const accounts = seededAccounts();

  it('insert exactly the users of data/users.json', () => {
    expect(accounts.map((account) => account.username).sort()).toEqual(users.map((user) => user.email).sort());
  });

  it.each(users.map((user) => [user.email, user] as const))('give %s the region and name of data/users.json', (email, user) => {
    const account = accounts.find((candidate) => candidate.username === email);
    expect(account).toBeDefined();
    expect(account?.email).toBe(email);
    expect(account?.attributes['region']).toBe(user.region);
    expect(account?.attributes['name']).toMatchObject({ formatted: user.name });
    expect(account?.attributes['emails']).toEqual([{ value: email, primary: true }]);
  });

  it('use distinct, well-formed account IDs', () => {
    const ids = accounts.map((account) => account.accountId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('can run again without duplicating or failing', () => {
    expect(seedSql()).toMatch(/ON CONFLICT DO NOTHING;\s*$/);
  });

  it('are inserted after the schema that ships in the Curity image', () => {
    const init = readText('db/init.sh');
    expect(init).toContain('postgres-create_database.sql');
    expect(init.indexOf('--file "$schema_file"')).toBeLessThan(init.indexOf('--file "$seed_file"'));
    expect(init).toContain('ON_ERROR_STOP=1');
  });
});

// Reads the rows that db/seed-users.sql inserts, and the project's user list.
import { readFileSync } from 'node:fs';
import { readText } from './curity-config.ts';

export interface SeededAccount {
  accountId: string;
  username: string;
  email: string;
  attributes: Record<string, unknown>;
}

export interface ApprovedUser {
  email: string;
  region: string;
  name: string;
}

export const usersFile = new URL('../../../data/users.json', import.meta.url);

export function approvedUsers(): ApprovedUser[] {
  return (JSON.parse(readFileSync(usersFile, 'utf8')) as { users: ApprovedUser[] }).users;
}

/** The SQL text with comments removed. */
export function seedSql(): string {
  return readText('db/seed-users.sql')
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
}

/**
 * The row groups of the INSERT ... VALUES (...), (...) statement, each as its
 * list of string literals in column order ('' inside a literal is a quote).
 */
export function valueRows(sql: string): string[][] {
  const start = sql.search(/\bVALUES\b/i);
  if (start < 0) {
    throw new Error('db/seed-users.sql has no VALUES list');
  }
  const rows: string[][] = [];
  let depth = 0;
  let literals: string[] = [];
  for (let index = start; index < sql.length; index++) {
    const character = sql[index];
    if (character === "'") {
      let literal = '';
      index++;
      while (index < sql.length) {
        if (sql[index] === "'" && sql[index + 1] === "'") {
          literal += "'";
          index += 2;
        } else if (sql[index] === "'") {
          break;
        } else {
          literal += sql[index];
          index++;
        }
      }
      if (depth === 1) {
        literals.push(literal);
      }
    } else if (character === '(') {
      depth++;
      if (depth === 1) {
        literals = [];
      }
    } else if (character === ')') {
      depth--;
      if (depth === 0) {
        rows.push(literals);
      }
    } else if (character === ';' && depth === 0) {
      break;
    }
  }
  return rows;
}

export function seededAccounts(): SeededAccount[] {
  return valueRows(seedSql()).map((literals) => {
    const [accountId, username, email, attributes] = literals;
    if (accountId === undefined || username === undefined || email === undefined || attributes === undefined) {
      throw new Error(`a seeded row lacks a column: ${JSON.stringify(literals)}`);
    }
    return { accountId, username, email, attributes: JSON.parse(attributes) as Record<string, unknown> };
  });
}

import { expect } from 'vitest';
import { AccessTokenError } from '../src/index.ts';

/** The AccessTokenError a verification rejected with (fails the test if it resolved or threw something else). */
export async function failure(promise: Promise<unknown>): Promise<AccessTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AccessTokenError);
  return error as AccessTokenError;
}

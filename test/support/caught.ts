import { expect } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';

/** The CollectorError a promise rejects with (the test fails if it resolves or rejects with anything else). */
export async function caught(p: Promise<unknown>): Promise<CollectorError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CollectorError);
  return e as CollectorError;
}

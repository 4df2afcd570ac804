import { expect } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { statusOf } from '../../src/http/status.js';

/** Awaits `promise` and expects it to reject with the 400 AppError saying `message`. */
export async function rejectsWith(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: 'BAD_REQUEST', message });
  expect(statusOf((error as AppError).code)).toBe(400);
}

import { z } from 'zod';
import { AppError } from '../domain/errors.js';

/**
 * The contract's 400: `{error, details, issues}` where `details` is zod's tree (`format()`) and `issues`
 * its flat list. Every validation failure, zod's or ours, goes through here so they look alike.
 */
export function validationFailure(error: z.ZodError): AppError {
  return new AppError('VALIDATION', 'Invalid request parameters', {
    body: { details: z.formatError(error), issues: error.issues },
  });
}

/** A validation failure on one field that no schema can see (e.g. an instant already past). */
export function fieldInvalid(path: (string | number)[], message: string): AppError {
  return validationFailure(new z.ZodError([{ code: 'custom', path, message, input: undefined }]));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailure(result.error);
  return result.data;
}

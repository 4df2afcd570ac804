import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

/**
 * A header that must be sent once. Node keeps the first of repeated `Authorization` headers and joins
 * repeated custom ones with ", ": either way one of two intentions would be silently picked.
 */
export function singleHeader(req: FastifyRequest, name: string, label: string): string | undefined {
  const raw = req.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) count++;
  if (count > 1) throw new AppError('BAD_REQUEST', `Duplicate '${label}' header`);
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

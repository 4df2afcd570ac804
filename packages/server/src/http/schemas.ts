import { z } from 'zod';
import { API_KEY_TYPES, LIMIT_PERIODS, MODEL_PRIVACIES } from '../domain/model.js';
import { microsFromNumber } from '../domain/money.js';
import { parseExpiry } from '../domain/time.js';

/** Wire request shapes. Objects are strict and nothing is coerced, as the contract demands. */

const limitValue = z
  .number()
  .min(0)
  .max(9_999_999_999)
  .nullable()
  .transform((v) => (v === null ? null : microsFromNumber(v)));

export const consumptionLimitSchema = z.strictObject({
  usd: limitValue.optional(),
  diem: limitValue.optional(),
  /** Accepted for compatibility and ignored: VCU is deprecated and always reads back null. */
  vcu: limitValue.optional(),
});

export const expiresAtSchema = z.string().transform((text, ctx) => {
  const at = parseExpiry(text);
  if (at === undefined) {
    ctx.addIssue({ code: 'custom', message: 'Invalid date: use "", YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss[.sss]Z (UTC)' });
    return z.NEVER;
  }
  return at;
});

/** Bidirectional embeddings, overrides and isolates: they make a listing show text other than what is stored. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/u;
/** At least one character a reader can see: not white space, not a format or default-ignorable character. */
const VISIBLE = /[^\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** Printable text: control characters and broken UTF-16 cannot be stored faithfully by every engine. */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !/\p{Cc}/u.test(s), 'Must not contain control characters')
    .refine((s) => s.isWellFormed(), 'Must be well-formed Unicode')
    .refine((s) => !BIDI_CONTROLS.test(s), 'Must not contain bidirectional control characters')
    .refine((s) => VISIBLE.test(s), 'Must contain a visible character');

export const descriptionSchema = text(64);

const keySettings = {
  expiresAt: expiresAtSchema.optional(),
  consumptionLimit: consumptionLimitSchema.optional(),
  limitPeriod: z.enum(LIMIT_PERIODS).optional(),
  modelPrivacy: z.enum(MODEL_PRIVACIES).optional(),
};

export const createKeyBody = z.strictObject({
  apiKeyType: z.enum(API_KEY_TYPES),
  description: descriptionSchema,
  ...keySettings,
});

export const updateKeyBody = z.strictObject({
  id: z.string().min(1),
  description: descriptionSchema.optional(),
  expiresAt: expiresAtSchema.nullable().optional(),
  consumptionLimit: consumptionLimitSchema.optional(),
  limitPeriod: z.enum(LIMIT_PERIODS).optional(),
  modelPrivacy: z.enum(MODEL_PRIVACIES).optional(),
});

export const deleteKeyInput = z.strictObject({ id: z.string().min(1) });

const positiveIntText = (max: number) =>
  z
    .string()
    .regex(/^[1-9]\d{0,8}$/, 'Expected a positive whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

export const listQuery = z.object({
  page: positiveIntText(1_000_000).optional(),
  limit: positiveIntText(500).optional(),
});

export const web3KeyBody = z.strictObject({
  address: z.string(),
  signature: z.string(),
  token: z.string(),
  apiKeyType: z.enum(API_KEY_TYPES),
  description: descriptionSchema.optional(),
  ...keySettings,
});

export const idempotencyKeyHeader = z.string().min(1).max(255);

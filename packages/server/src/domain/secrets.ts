import { createCipheriv, createDecipheriv, createHmac, hash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyType } from './model.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_BODY_LENGTH = 44;
const PREFIX: Record<ApiKeyType, string> = { INFERENCE: 'VENICE_INFERENCE_KEY_', ADMIN: 'VENICE_ADMIN_KEY_' };

/** The shape every secret we issue has; anything else cannot authenticate and is not looked up. */
export const SECRET_PATTERN = /^VENICE_(?:INFERENCE|ADMIN)_KEY_[A-Za-z0-9]{44}$/;

/** Prefix + 44 characters of [A-Za-z0-9] from the CSPRNG, without modulo bias (rejection sampling). */
export function generateSecret(type: ApiKeyType): string {
  const out: string[] = [];
  // 248 = 4 * 62: bytes at or above it would favour the first letters, so they are drawn again.
  while (out.length < SECRET_BODY_LENGTH) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && out.length < SECRET_BODY_LENGTH) out.push(ALPHABET[byte % 62] as string);
    }
  }
  return PREFIX[type] + out.join('');
}

// One-shot `hash` (no Hash object): it runs on every authenticated request.
export const digestSecret = (secret: string): string => hash('sha256', secret, 'hex');

export const newId = (): string => randomUUID();

let lastMs = 0;
let sequence = 0;
/** `lastMs` as the id's first 15 characters, formatted once per millisecond rather than per id. */
let msPrefix = '';

/**
 * A UUIDv7 (RFC 9562: Unix ms, a 12-bit counter within the ms, 62 random bits), for rows written at the
 * request rate: ids in time order land on the B-tree's last page instead of a random one, which made
 * SQLite's ledger batches 5× cheaper (every dirtied page is one more WAL frame written at commit). Wall
 * time, not the injected clock: the order only serves storage locality and means nothing to the domain.
 */
export function newOrderedId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    lastMs++;
    sequence = 0;
  }
  if (sequence === 0) {
    const ms = lastMs.toString(16).padStart(12, '0');
    msPrefix = `${ms.slice(0, 8)}-${ms.slice(8)}-7`;
  }
  return `${msPrefix}${sequence.toString(16).padStart(3, '0')}-${randomUUID().slice(19)}`;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * The server secret that signs and seals (`current`), and earlier ones still accepted while a rotation
 * rolls across the instances: those check and open what they once signed (web3 tokens, usage cursors,
 * idempotency records) but never sign anything new.
 */
export interface ServerSecrets {
  current: Uint8Array;
  accepted: readonly Uint8Array[];
}

/** Every secret, in the order to try them: the current one first. */
export const secretsInTurn = (s: ServerSecrets): Uint8Array[] => [s.current, ...s.accepted];

/** Keyed digest of an Idempotency-Key value: the value itself is never stored. */
export function idempotencyDigest(serverSecret: Uint8Array, accountId: string, key: string): string {
  return createHmac('sha256', serverSecret).update(`${accountId}\n${key}`).digest('hex');
}

function sealingKey(serverSecret: Uint8Array, accountId: string, idempotencyKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', idempotencyKey, serverSecret, `venice-keys idempotency ${accountId}`, 32));
}

/**
 * AES-256-GCM under a key derived from the Idempotency-Key value: a stored replay (which holds a
 * secret) can only be opened by a caller who presents the same Idempotency-Key again.
 */
export function seal(plaintext: string, serverSecret: Uint8Array, accountId: string, idempotencyKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(serverSecret, accountId, idempotencyKey), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

export function unseal(sealed: string, serverSecret: Uint8Array, accountId: string, idempotencyKey: string): string {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    sealingKey(serverSecret, accountId, idempotencyKey),
    raw.subarray(0, 12),
  );
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { SettingsStore } from '../domain/ports/settings.js';
import type { DatabaseLocation } from './database.js';
import { errorCode, reason, StartupError } from './errors.js';

/** Where versions before 0.2 kept the secret: in the database, next to what it protects. */
const LEGACY_SETTING = 'server_secret';

export const secretFileOf = (databasePath: string): string => `${databasePath}.secret`;

/**
 * PostgreSQL serves several instances, which must share one secret: there the variable is required,
 * checked before anything is opened.
 */
export function checkSecretConfigured(configured: string | undefined, location: DatabaseLocation): void {
  if (configured !== undefined || location.kind !== 'postgres') return;
  throw new StartupError(
    'VENICE_KEYS_SECRET is required with PostgreSQL (every instance must share it; a database upgraded from 0.1 ' +
      'keeps its old secret in settings.server_secret: use that value)',
  );
}

/**
 * The server secret (it signs web3 tokens and usage cursors and keys the idempotency replays), kept
 * out of the database so that a copy of the database opens nothing: VENICE_KEYS_SECRET, else on
 * SQLite a file beside the database (mode 0600) created on first start. A secret still kept in the
 * database by an older version moves to that file, and its row is deleted.
 */
export async function resolveServerSecret(
  configured: string | undefined,
  location: DatabaseLocation,
  settings: SettingsStore,
): Promise<{ secret: Uint8Array; source: string }> {
  checkSecretConfigured(configured, location);
  const legacy = await settings.getSetting(LEGACY_SETTING);
  let text: string;
  let source: string;
  if (configured !== undefined) {
    text = configured;
    source = 'VENICE_KEYS_SECRET';
  } else if (location.kind === 'sqlite' && !location.memory) {
    source = secretFileOf(location.path);
    text = readOrCreate(source, legacy);
  } else {
    text = legacy ?? randomText();
    source = 'memory';
  }
  if (legacy !== undefined) await settings.deleteSetting(LEGACY_SETTING);
  return { secret: new TextEncoder().encode(text), source };
}

function randomText(): string {
  return randomBytes(32).toString('base64url');
}

function readOrCreate(path: string, legacy: string | undefined): string {
  try {
    // `wx`: two processes starting together never overwrite each other's secret; the loser reads it.
    writeFileSync(path, `${legacy ?? randomText()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if (errorCode(e) !== 'EEXIST') throw new StartupError(`cannot write the server secret file ${path}: ${reason(e)}`);
  }
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new StartupError(`cannot read the server secret file ${path}: ${reason(e)}`);
  }
  if (text.length < 16) throw new StartupError(`the server secret file ${path} is empty or too short`);
  return text;
}

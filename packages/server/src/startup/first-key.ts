import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CreatedKey } from '../domain/keys.js';
import type { Account } from '../domain/model.js';
import type { DatabaseLocation } from './database.js';
import { errorCode } from './errors.js';

export interface FirstKeyOutput {
  /** Whether a person reads stdout (a terminal), rather than a log collector. */
  isTTY: boolean;
  write(text: string): void;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

/**
 * Hands out the first ADMIN key once: printed when a person reads stdout; otherwise stdout is a log
 * (systemd, a container), so the key goes to a file only its owner can read, and the log gets its path.
 */
export function deliverFirstKey(
  first: { account: Account; created: CreatedKey },
  database: DatabaseLocation,
  out: FirstKeyOutput,
): void {
  const { account, created } = first;
  const ids = { accountId: account.id, keyId: created.key.id };
  const text = `Created account ${account.id}.\nIts first ADMIN key (shown once, store it now):\n\n  ${created.secret}\n\n`;
  // An in-memory database dies with the process, and its key with it: nothing worth a file.
  const memory = database.kind === 'sqlite' && database.memory;
  if (out.isTTY || memory) {
    out.write(`\n${text}`);
    out.log.info(ids, 'first account created; its ADMIN key was printed');
    return;
  }
  const dir = database.kind === 'sqlite' ? dirname(database.path) : process.cwd();
  const path =
    writeOnce(join(dir, 'first-admin-key.txt'), text) ??
    writeOnce(join(dir, `first-admin-key-${account.id}.txt`), text);
  out.log.warn(
    { ...ids, path },
    'first account created; its ADMIN key is in this file (mode 0600): store it, delete the file',
  );
}

function writeOnce(path: string, text: string): string | undefined {
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return path;
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return undefined;
    throw e;
  }
}

import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './errors.js';

/** A saved login: a key and the one server it may be sent to. */
export interface Profile {
  baseURL: string;
  apiKey: string;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';

/** `$XDG_CONFIG_HOME/venice-keys/config.json`, falling back to `~/.config` as the XDG spec says. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  return join(base, 'venice-keys', 'config.json');
}

function isProfile(v: unknown): v is Profile {
  const p = v as Profile;
  return typeof p === 'object' && p !== null && typeof p.baseURL === 'string' && typeof p.apiKey === 'string';
}

export function readConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, EXIT.failure);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; fix or delete it`, EXIT.failure);
  }
  const profiles = (parsed as ConfigFile)?.profiles;
  if (typeof profiles !== 'object' || profiles === null || !Object.values(profiles).every(isProfile)) {
    throw new CliError(`${path} does not hold profiles of { baseURL, apiKey }; fix or delete it`, EXIT.failure);
  }
  return { profiles };
}

/**
 * Writes the file readable by its owner only. The content goes to a temporary file created with mode
 * 0600 and is renamed over the old one, so the keys are never readable by others, not even for a moment,
 * and a crash leaves either the old file or the new one.
 */
export function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  // The mode of writeFileSync is masked by the umask and ignored for an existing file.
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** Whether others than the owner may read or write the file (it holds keys); false when there is none. */
export function othersMayRead(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

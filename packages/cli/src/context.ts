import type { Readable, Writable } from 'node:stream';
import { DEFAULT_BASE_URL, VeniceClient } from '@venice-keys/sdk';
import { configPath, DEFAULT_PROFILE, othersMayRead, type Profile, readConfig } from './config.js';
import { CliError, EXIT } from './errors.js';
import { type OutStream, Printer } from './output/printer.js';
import { Prompter } from './prompt.js';

export interface Io {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & OutStream;
  stderr: Writable & OutStream;
  env: NodeJS.ProcessEnv;
}

/** The options every command takes (commander's names). */
export interface GlobalOptions {
  baseUrl?: string;
  apiKey?: string;
  profile?: string;
  json?: boolean;
  color: boolean;
}

/** Which key to send where, and why: the reason is shown when the key is refused. */
export interface Target {
  baseURL: string;
  apiKey: string | undefined;
  /** The profile the key came from, if it came from one. */
  profile: string | undefined;
}

const env = (io: Io, name: string) => io.env[name]?.trim() || undefined;

/** `http://host` and `http://host/api/v1/` are the same server; anything unreadable stays as typed. */
export function sameServer(a: string, b: string): boolean {
  const normal = (raw: string) => {
    try {
      const url = new URL(raw);
      if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v1';
      return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    } catch {
      return raw;
    }
  };
  return normal(a) === normal(b);
}

/**
 * Where the key comes from, strongest first: `--api-key`; the profile named by `--profile`;
 * `VENICE_API_KEY` (with `VENICE_BASE_URL`, else api.venice.ai, as the SDK pairs them); the default
 * profile. A saved key belongs to the server it was saved for: a `--base-url` or `VENICE_BASE_URL`
 * naming another server is refused rather than sent that key.
 */
export function resolveTarget(io: Io, opts: GlobalOptions, profiles: Record<string, Profile>): Target {
  const profileName = opts.profile ?? DEFAULT_PROFILE;
  const profile = Object.hasOwn(profiles, profileName) ? profiles[profileName] : undefined;
  const flagURL = opts.baseUrl?.trim() || undefined;
  const envURL = env(io, 'VENICE_BASE_URL');
  const named = opts.profile !== undefined;

  if (opts.apiKey !== undefined) {
    const apiKey = opts.apiKey.trim();
    if (apiKey === '') throw new CliError('--api-key is empty', EXIT.usage);
    const baseURL = flagURL ?? (named ? profile?.baseURL : undefined) ?? envURL ?? DEFAULT_BASE_URL;
    return { baseURL, apiKey, profile: undefined };
  }
  const envKey = env(io, 'VENICE_API_KEY');
  if (envKey && !named) {
    return { baseURL: flagURL ?? envURL ?? DEFAULT_BASE_URL, apiKey: envKey, profile: undefined };
  }
  if (named && !profile) {
    throw new CliError(`no profile "${profileName}": run \`venice-keys login --profile ${profileName}\``, EXIT.auth);
  }
  if (profile) {
    const asked = flagURL ?? (named ? undefined : envURL);
    if (asked !== undefined && !sameServer(asked, profile.baseURL)) {
      throw new CliError(
        `the key of profile "${profileName}" is for ${profile.baseURL}; not sending it to ${asked} ` +
          '(pass --api-key for that server, or log in to it with --profile <name>)',
        EXIT.usage,
      );
    }
    return { baseURL: profile.baseURL, apiKey: profile.apiKey, profile: profileName };
  }
  return { baseURL: flagURL ?? envURL ?? DEFAULT_BASE_URL, apiKey: undefined, profile: undefined };
}

/**
 * Requests go to the configured origin only, and a redirect is never followed: it could carry the key
 * to another host, so it is answered as the error it is. A 429 is marked not to be retried (the SDK
 * honours `x-should-retry`): waiting out a limit of up to a minute behind a silent terminal helps nobody,
 * so the command fails at once with exit code 5 and "retry in N s".
 */
function guardedFetch(origin: () => string): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== origin()) throw new CliError(`refusing to send a request to ${url.origin}`, EXIT.failure);
    const response = await fetch(input, { ...init, redirect: 'manual' });
    if (response.status !== 429) return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** What a running command needs: its streams, its options, the config file, and clients for the target. */
export class Context {
  readonly out: Printer;
  readonly configPath: string;
  #prompter: Prompter | undefined;
  #target: Target | undefined;

  constructor(
    readonly io: Io,
    readonly opts: GlobalOptions,
  ) {
    this.out = new Printer(io.stdout, io.stderr, io.env, opts.json === true, opts.color);
    this.configPath = configPath(io.env);
  }

  get prompter(): Prompter {
    this.#prompter ??= new Prompter(this.io.stdin, this.io.stderr);
    return this.#prompter;
  }

  get target(): Target {
    if (!this.#target) {
      const { profiles } = readConfig(this.configPath);
      if (Object.keys(profiles).length > 0 && othersMayRead(this.configPath)) {
        this.out.warn(`${this.configPath} can be read by others: \`chmod 600\` it (the next login does)`);
      }
      this.#target = resolveTarget(this.io, this.opts, profiles);
    }
    return this.#target;
  }

  /** A client for `baseURL` with `apiKey` (`null`: none, as a web3 mint needs). */
  clientFor(baseURL: string, apiKey: string | null): VeniceClient {
    let client: VeniceClient;
    try {
      client = new VeniceClient({ baseURL, apiKey, logLevel: 'off', fetch: guardedFetch(() => origin) });
    } catch (e) {
      throw new CliError(`invalid base URL ${JSON.stringify(baseURL)}: ${(e as Error).message}`, EXIT.usage);
    }
    const origin = new URL(client.baseURL).origin;
    return client;
  }

  /** A client with the resolved key; no key at all is an authentication error before any request. */
  client(): VeniceClient {
    const { baseURL, apiKey } = this.target;
    if (!apiKey) {
      throw new CliError('no API key: run `venice-keys login`, or pass --api-key, or set VENICE_API_KEY', EXIT.auth);
    }
    return this.clientFor(baseURL, apiKey);
  }

  close(): void {
    this.#prompter?.close();
  }
}

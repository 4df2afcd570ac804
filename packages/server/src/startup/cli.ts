import { readFileSync } from 'node:fs';

/** The server package's version, read from its package.json (the same path from src/ and dist/). */
export function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

export const SERVER_USAGE = `Usage: venice-keys-server [--help] [--version]

Serves the venice-keys API (Venice-compatible API keys, billing and the inference gateway).
Configured by the environment (and the file named by VENICE_KEYS_CONFIG); nothing is opened by --help.

  PORT, HOST              where to listen (8787, 127.0.0.1)
  DATABASE_URL            sqlite:<path> (default sqlite:./data/venice-keys.db) or postgres://…
  REDIS_URL               shared counters for several instances (default: in memory)
  VENICE_KEYS_SECRET      the server secret (required with PostgreSQL; SQLite: a file beside the database)
  VENICE_KEYS_SECRET_ACCEPTED   earlier secrets still accepted while a rotation rolls out (comma-separated)
  VENICE_KEYS_CONFIG      a JSON or YAML config file
  VENICE_UPSTREAM_URL, VENICE_UPSTREAM_API_KEY   the inference upstream
  LOG_LEVEL, METRICS_PORT, SHUTDOWN_GRACE_MS, TRUST_PROXY

On the first start with an empty database it creates an account and hands out its first ADMIN key
(printed on a terminal, else written to a mode-0600 file beside the database).
Reference: docs/configuration.md and docs/operations.md in the repository.
`;

/** --help / --version answered before anything is opened; undefined = go on and serve. */
export function answerArguments(
  argv: readonly string[],
  io: { out(t: string): void; err(t: string): void },
): number | undefined {
  if (argv.length === 0) return undefined;
  const [arg] = argv;
  if (argv.length === 1 && (arg === '--help' || arg === '-h')) {
    io.out(SERVER_USAGE);
    return 0;
  }
  if (argv.length === 1 && (arg === '--version' || arg === '-V')) {
    io.out(`${packageVersion()}\n`);
    return 0;
  }
  io.err(`venice-keys-server: unknown argument ${JSON.stringify(arg)}\n\n${SERVER_USAGE}`);
  return 2;
}

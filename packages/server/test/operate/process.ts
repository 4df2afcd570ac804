import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled server (`node dist/main.js`) and operator as child processes, exactly as an operator
 * runs them. `ensureBuilt` compiles src/ once when dist/ is missing or stale (npm test has built it).
 */

export const SERVER_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
export const ADMIN = fileURLToPath(new URL('../../dist/bin/venice-keys-admin.js', import.meta.url));

export function ensureBuilt(): void {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: SERVER_ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`the server does not build:\n${build.stdout}${build.stderr}`);
}

/** The environment of a child: ours without anything that would change its configuration. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (/^(PORT|HOST|DATABASE_URL|REDIS_URL|VENICE_|LOG_LEVEL|METRICS_PORT|SHUTDOWN_GRACE_MS|TRUST_PROXY)/.test(name))
      delete base[name];
  }
  return { ...base, ...env };
}

export function runToEnd(entry: string, args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const run = spawnSync(process.execPath, [entry, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env ?? {}),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first JSON log line whose `msg` satisfies `match`. */
  logLine(match: (msg: string) => boolean): Promise<Record<string, unknown>>;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function start(args: string[], options: { cwd: string; env: Record<string, string> }): Running {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    output += d;
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    }),
  );
  const lines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    child,
    output: () => output,
    exit: () => ended,
    async logLine(match) {
      for (;;) {
        const found = lines().find((l) => typeof l.msg === 'string' && match(l.msg));
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`the server exited without that log line:\n${output}`);
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

/**
 * A working directory served by the compiled server in front of `upstream`: a config with one model
 * `steady` (its behaviour in `upstreamModel`), the environment for `start`, and a funded account made
 * with the operator command. `extraEnv` adds to (or overrides) the environment.
 */
export function servingSetup(
  cwd: string,
  upstream: { url: string; apiKey: string },
  upstreamModel: string,
  extraEnv: Record<string, string> = {},
): { env: Record<string, string>; adminKey: string; accountId: string } {
  const models = [
    {
      id: 'steady',
      upstreamModel,
      type: 'text',
      privacy: 'private',
      pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 },
    },
  ];
  writeFileSync(join(cwd, 'config.json'), JSON.stringify({ upstream: { url: upstream.url }, models }));
  const env = {
    DATABASE_URL: 'sqlite:keys.db',
    VENICE_KEYS_CONFIG: join(cwd, 'config.json'),
    VENICE_UPSTREAM_API_KEY: upstream.apiKey,
    PORT: '0',
    ...extraEnv,
  };
  const created = runToEnd(ADMIN, ['--init', 'accounts', 'create', '--credit', '10', '--json'], { cwd, env });
  if (created.code !== 0) throw new Error(`accounts create failed (${created.code}): ${created.stderr}`);
  const { adminKey, id: accountId } = JSON.parse(created.stdout) as { adminKey: string; id: string };
  return { env, adminKey, accountId };
}

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The one place that knows how a venice-keys server is started and how its first ADMIN key is obtained,
 * so that a change to either touches this file only: a real server process on SQLite in a temp dir,
 * accounts made with the operator command against the same database.
 */

// CLI_TEST_SERVER_ROOT: another checkout to run the server from, while this tree's server is mid-change.
const ROOT = process.env.CLI_TEST_SERVER_ROOT ?? fileURLToPath(new URL('../../../../', import.meta.url));
const SERVER_MAIN = join(ROOT, 'packages/server/src/main.ts');
const OPERATOR = join(ROOT, 'packages/server/src/bin/venice-keys-admin.ts');
const run = promisify(execFile);

export interface TestServer {
  /** `http://127.0.0.1:<port>` (no path: the CLI and the SDK add /api/v1). */
  url: string;
  dir: string;
  /** A new account with `credit` USD and its first ADMIN key. */
  newAccount(options?: { credit?: string; tier?: string }): Promise<{ id: string; adminKey: string }>;
  /** What the server printed so far (its JSON log lines): the first place to look when a test fails. */
  output(): string;
  /** The operator command against this server's database, e.g. `['accounts', 'set-diem', id, '5']`. */
  operator(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** The server's config file (VENICE_KEYS_CONFIG), e.g. web3 or upstream settings. */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'venice-cli-server-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(options.config ?? {}));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    VENICE_KEYS_CONFIG: configFile,
    VENICE_KEYS_SECRET: 'cli-test-secret-cli-test-secret-cli-test-secret',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const operator = async (args: string[]) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', OPERATOR, ...args], { cwd: ROOT, env });
    return stdout;
  };
  let init = ['--init'];
  const newAccount = async ({ credit = '100', tier }: { credit?: string; tier?: string } = {}) => {
    const args = ['accounts', 'create', '--credit', credit, ...(tier ? ['--tier', tier] : []), '--json'];
    // The operator creates a database only when told to: the first account creates it.
    const out = await operator([...init, ...args]);
    init = [];
    const created = JSON.parse(out.trim().split('\n').at(-1)!) as { id: string; adminKey: string };
    if (!created.adminKey?.startsWith('VENICE_ADMIN_KEY_')) throw new Error(`no ADMIN key in: ${out}`);
    return { id: created.id, adminKey: created.adminKey };
  };
  // An account first, so that the server finds a database that is not empty and bootstraps nothing.
  await newAccount();

  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVER_MAIN], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${seen}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    dir,
    output: () => seen,
    newAccount,
    operator,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

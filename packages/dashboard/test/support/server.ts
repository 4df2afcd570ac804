import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER_MAIN = fileURLToPath(new URL('../../../server/src/main.ts', import.meta.url));
const ADMIN_KEY = /VENICE_ADMIN_KEY_[A-Za-z0-9]{44}/;

export interface RunningServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The first ADMIN key, printed once by the server on its first start. */
  adminKey: string;
  close(): Promise<void>;
}

/**
 * The real server in a child process (`npm start`'s entry point run from source), on a fresh SQLite
 * file in a temp dir and a free port, with a config file of the test's choosing; ready once it listens
 * and has handed out the first account's ADMIN key.
 */
export async function startServer(config: object, env: Record<string, string> = {}): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), 'venice-keys-dashboard-'));
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    VENICE_KEYS_CONFIG: configPath,
    LOG_LEVEL: 'info',
    VENICE_KEYS_SECRET: 'dashboard-test-server-secret-0123456789abcdef',
    ...env,
  };
  delete childEnv.REDIS_URL;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVER_MAIN], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  // The first ADMIN key is printed when stdout is a terminal, else written to a file the log names.
  const started = await new Promise<{ origin: string; adminKey: string }>((resolve, reject) => {
    let origin: string | undefined;
    let adminKey: string | undefined;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      adminKey ??= ADMIN_KEY.exec(line)?.[0];
      if (line.startsWith('{')) {
        const entry = JSON.parse(line) as { msg?: string; address?: string; path?: string };
        if (entry.msg === 'venice-keys listening') origin = entry.address;
        if (entry.path && entry.msg?.startsWith('first account created')) {
          adminKey ??= ADMIN_KEY.exec(readFileSync(entry.path, 'utf8'))?.[0];
        }
      }
      if (origin && adminKey) resolve({ origin, adminKey });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready:\n${stderr}`)));
  });
  return {
    ...started,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

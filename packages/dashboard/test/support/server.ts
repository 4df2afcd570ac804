import { type ChildProcess, spawn } from 'node:child_process';
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
 * file in a temp dir and a free port, with a config file of the test's choosing.
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
  const started = await new Promise<{ origin: string; adminKey: string }>((resolve, reject) => {
    let adminKey: string | undefined;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      adminKey ??= ADMIN_KEY.exec(line)?.[0];
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'venice-keys listening' && entry.address) {
        if (!adminKey) reject(new Error('the server started without printing its first ADMIN key'));
        else resolve({ origin: entry.address, adminKey });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${stderr}`)));
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

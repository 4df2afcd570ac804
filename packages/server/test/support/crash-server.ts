import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, MAIN } from '../operate/process.js';

/**
 * The real server as a child process (the compiled `node dist/main.js`), for tests whose subject is
 * the process itself: start-up on a database, SIGKILL, restart. Paths come from this file's
 * location, so the tests run alike from any working directory.
 */

// The working directory is a temp dir of its own: the server writes its first ADMIN key file there on PostgreSQL.
const CWD = mkdtempSync(join(tmpdir(), 'vk-crash-cwd-'));
const START_TIMEOUT_MS = 20_000;

export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>/api/v1` */
  base: string;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  exited(): boolean;
  /** Resolves once the process has exited (at once if it already has). */
  exit(): Promise<void>;
}

/** A port nobody listens on right now: bind port 0, read what the kernel gave, let it go. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server on a free port and resolves once it answers HTTP. Every process started is
 * added to `registry`, so that the suite's `afterAll` can kill whatever a failed test left running.
 */
export async function startServer(
  registry: Set<ChildProcess>,
  env: { DATABASE_URL: string; VENICE_KEYS_CONFIG: string } & Record<string, string>,
): Promise<ServerProcess> {
  ensureBuilt();
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: CWD,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      VENICE_KEYS_SECRET: 'crash-test-server-secret',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registry.add(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const server: ServerProcess = {
    child,
    base: `http://127.0.0.1:${port}/api/v1`,
    output: () => output,
    exited,
    exit: () => new Promise<void>((resolve) => (exited() ? resolve() : child.once('exit', () => resolve()))),
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`server exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    // Any HTTP answer means it listens; an unknown path needs no key.
    const listening = await fetch(`${server.base}/health-probe`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 404,
      () => false,
    );
    if (listening) return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not listen within ${START_TIMEOUT_MS} ms:\n${output}`);
}

/**
 * The first ADMIN key of a server that bootstrapped an empty database. Its stdout is a pipe, not a
 * terminal, so the key is in the 0600 file its log line names (written just after it listens).
 */
export async function bootstrapAdminKey(server: ServerProcess): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const path = /"path":"([^"]+first-admin-key[^"]*)"/.exec(server.output())?.[1];
    if (path) {
      const key = /VENICE_ADMIN_KEY_[A-Za-z0-9]{44}/.exec(readFileSync(path, 'utf8'))?.[0];
      if (key) return key;
    }
    if (server.exited()) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server handed out no ADMIN key:\n${server.output()}`);
}

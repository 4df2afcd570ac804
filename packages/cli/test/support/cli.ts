import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_DIR = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(CLI_DIR, 'bin/venice-keys.mjs');

/** The newest modification time under a directory. */
function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

/** The tests run the built CLI, as users do; a missing or stale build is a setup error, said plainly. */
export function assertBuilt(): void {
  const dist = join(CLI_DIR, 'dist/index.js');
  if (!existsSync(dist)) throw new Error('packages/cli is not built: run `npm run build` first');
  if (statSync(dist).mtimeMs < newest(join(CLI_DIR, 'src'))) {
    throw new Error('packages/cli/dist is older than src: run `npm run build -w @venice-keys/cli`');
  }
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI user: a temp XDG_CONFIG_HOME of its own and an environment with nothing inherited but PATH. */
export class CliUser {
  readonly configHome: string;

  constructor(readonly env: Record<string, string> = {}) {
    this.configHome = mkdtempSync(join(tmpdir(), 'venice-cli-home-'));
  }

  get configFile(): string {
    return join(this.configHome, 'venice-keys', 'config.json');
  }

  /** Runs `venice-keys <args>` with `input` on stdin (closed after it). */
  run(
    args: string[],
    options: { input?: string; env?: Record<string, string>; command?: string[] } = {},
  ): Promise<Result> {
    const [file, ...argv] = options.command ?? [process.execPath, BIN, ...args];
    const child = spawn(file!, argv, {
      env: {
        PATH: process.env.PATH,
        HOME: this.configHome,
        XDG_CONFIG_HOME: this.configHome,
        TZ: 'UTC',
        ...this.env,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdin.end(options.input ?? '');
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  /**
   * Runs on a terminal `columns` wide (a pty from util-linux `script`), stdout and stderr both to it;
   * the output comes back with the terminal's CRLF turned into LF.
   */
  async runInTerminal(args: string[], options: { columns: number; env?: Record<string, string> }): Promise<Result> {
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const r = await this.run([], {
      env: options.env ?? {},
      command: ['script', '-qec', `stty cols ${options.columns} rows 50; exec ${quoted}`, '/dev/null'],
    });
    return { ...r, stdout: r.stdout.replaceAll('\r\n', '\n') };
  }

  /** Runs with `--json` and parses stdout; fails with the stderr line when the command did. */
  async json<T = unknown>(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<T> {
    const r = await this.run([...args, '--json'], options);
    if (r.code !== 0) throw new Error(`venice-keys ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  dispose(): void {
    rmSync(this.configHome, { recursive: true, force: true });
  }
}

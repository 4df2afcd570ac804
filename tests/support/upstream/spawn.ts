import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { handleFor, type UpstreamHandle } from './server.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/**
 * Starts the test upstream in a child process of its own (so that its event loop is not the gateway's)
 * and resolves once it listens. `close()` stops it.
 */
export async function spawnUpstream(options: { apiKey?: string } = {}): Promise<UpstreamHandle> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '0', ...(options.apiKey ? [options.apiKey] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`test upstream exited with ${code} before listening`)));
  });
  const { url, apiKey } = JSON.parse(first) as { url: string; apiKey: string };
  return handleFor(url, apiKey, async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
}

/**
 * vitest's global setup: the dashboard's browser tests drive Debian's chromium (no browser download
 * works here), so a machine without it gets it from apt once, before any test starts, rather than
 * failing them. Outside Debian, or without root, it says how instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function ensureChromium(): void {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return;
  const canApt = existsSync('/usr/bin/apt-get') && process.getuid?.() === 0;
  if (!canApt) {
    console.warn(`\n*** ${path} is missing: install chromium (apt-get install chromium) or set CHROMIUM_PATH ***\n`);
    return;
  }
  console.warn(`\n*** ${path} is missing: installing Debian's chromium with apt-get (once) ***\n`);
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt('update', '-qq');
  apt('install', '-y', '-qq', 'chromium');
}

#!/usr/bin/env node
// The operator command, compiled: `npm run build` (or `npm start`) writes dist/.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin/venice-keys-admin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error: the server is not built yet; run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(entry.href);

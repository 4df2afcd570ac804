#!/usr/bin/env node
// The CLI is compiled to dist/ (npm run build); say so plainly instead of a module-not-found trace.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('venice-keys is not built: run `npm run build` in the repository first.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));

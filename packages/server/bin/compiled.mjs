// The bins run the compiled server: `npm run build` (or `npm start`) writes dist/.
import { existsSync } from 'node:fs';

export async function runCompiled(relative) {
  const entry = new URL(`../dist/${relative}`, import.meta.url);
  if (!existsSync(entry)) {
    process.stderr.write('error: the server is not built yet; run `npm run build` in the repository first\n');
    process.exit(1);
  }
  await import(entry.href);
}

import { runOperator } from './operator.js';

runOperator(process.argv.slice(2), {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
}).then(
  (code) => process.exit(code),
  (e) => {
    const debug = process.env.LOG_LEVEL === 'debug';
    process.stderr.write(`venice-keys-admin: ${e instanceof Error ? (debug ? e.stack : e.message) : String(e)}\n`);
    process.exit(1);
  },
);

import { Command, CommanderError } from 'commander';
import { actionFor, examples, type RunState } from './commands/action.js';
import { registerAuth } from './commands/auth.js';
import { registerKeys } from './commands/keys.js';
import { registerLimits } from './commands/limits.js';
import { registerUsage } from './commands/usage.js';
import { registerWeb3 } from './commands/web3.js';
import type { Io } from './context.js';
import { EXIT } from './errors.js';
import { VERSION } from './version.js';

const EXIT_CODES_HELP = `
Environment:
  VENICE_API_KEY, VENICE_BASE_URL   a key and its server (used when no --profile is given)
  VENICE_WALLET_PRIVATE_KEY         the wallet for \`web3 mint\`
  XDG_CONFIG_HOME                   profiles live in $XDG_CONFIG_HOME/venice-keys/config.json
  NO_COLOR                          no colour (colour is used on a terminal only)

Exit codes:
  0 done · 1 server or network error, or a declined confirmation
  2 usage error (bad arguments, 400/409/422) · 3 authentication or permission (no key, 401/402/403)
  4 not found · 5 rate limited`;

/** The whole command tree; `io` is where it reads and writes. */
export function buildProgram(io: Io, state: RunState): Command {
  const program = new Command('venice-keys')
    .description('Manage Venice-style API keys from a terminal, on a venice-keys server or api.venice.ai')
    .version(VERSION)
    .option('--base-url <url>', 'server base URL (also VENICE_BASE_URL)')
    .option('--api-key <key>', 'API key (also VENICE_API_KEY)')
    .option('--profile <name>', 'saved login to use (default: "default")')
    .option('--json', 'machine-readable output: the wire types, UTC instants')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) })
    .addHelpText('after', EXIT_CODES_HELP);
  examples(program, [
    'venice-keys login',
    'venice-keys keys list',
    'venice-keys keys create --description "backend prod" --usd 50 --period MONTH',
    'venice-keys --profile local --json limits',
  ]);
  const action = actionFor(io, state);
  registerAuth(program, action);
  registerKeys(program, action);
  registerLimits(program, action);
  registerUsage(program, action);
  registerWeb3(program, action);
  // Every command inherits these; exitOverride so that a usage error returns exit code 2 here.
  const configure = (command: Command) => {
    command.exitOverride().configureHelp({ showGlobalOptions: true });
    command.configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) });
    command.showHelpAfterError('(add --help for usage)');
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Runs the CLI and returns the exit code (the bin sets it on the process). */
export async function main(
  argv: string[],
  io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const state: RunState = { exitCode: EXIT.ok };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; a group called without a command shows its help, as usage.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.usage;
  }
}

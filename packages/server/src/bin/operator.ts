import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config.js';
import { isAppError } from '../domain/errors.js';
import { type OpenedRuntime, openRuntime } from '../runtime.js';
import { packageVersion } from '../startup/cli.js';
import { describeFailure, StartupError } from '../startup/errors.js';
import { accountCommands } from './operator-accounts.js';
import { keyCommands } from './operator-keys.js';

/**
 * What only the operator may do, straight against the database named by DATABASE_URL (and the
 * config file of VENICE_KEYS_CONFIG): accounts and their money, and recovery of keys.
 */

export interface OperatorIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

/** What a command's action gets: the runtime, opened only once a command really runs (never for --help). */
export interface OperatorContext {
  io: OperatorIo;
  runtime(): OpenedRuntime;
  /** Refuses bad input before anything is written: exit code 2 with the message. */
  usage(message: string): never;
  /** A failure of the command itself: exit code 1 with the message. */
  fail(message: string): never;
}

/** Runs one operator command; returns the process exit code. */
export async function runOperator(argv: string[], io: OperatorIo): Promise<number> {
  let runtime: OpenedRuntime | undefined;
  const program = new Command('venice-keys-admin')
    .description('Operator commands for a venice-keys server (talks to its database directly)')
    .version(packageVersion(), '-V, --version')
    .option('--init', 'create the database when it does not exist yet')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program.hook('preAction', async () => {
    const config = loadConfig(io.env);
    runtime = await openRuntime(config, { serving: false, mustExist: !program.opts<{ init?: boolean }>().init });
    io.err(`database: ${runtime.database.text}\n`);
  });
  const ctx: OperatorContext = {
    io,
    runtime: () => {
      if (!runtime) throw new Error('the runtime is opened before any action');
      return runtime;
    },
    usage: (message) => program.error(`error: ${message}`, { exitCode: 2, code: 'operator.usage' }),
    fail: (message) => program.error(`error: ${message}`, { exitCode: 1, code: 'operator.failed' }),
  };
  accountCommands(program, ctx);
  keyCommands(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (isAppError(e)) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof StartupError || (e instanceof Error && e.name === 'ConfigError')) {
      io.err(`${describeFailure(e, io.env.LOG_LEVEL === 'debug')}\n`);
      return 1;
    }
    throw e;
  } finally {
    await runtime?.close();
  }
}

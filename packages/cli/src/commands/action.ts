import type { Command } from 'commander';
import { type Context, type GlobalOptions, type Io, Context as RunContext } from '../context.js';
import { describeError, exitCodeOf } from '../errors.js';

/** The exit code of the command that ran, set by the action wrapper below. */
export interface RunState {
  exitCode: number;
}

// biome-ignore lint/suspicious/noExplicitAny: commander hands actions positional arguments of any type.
export type Handler = (ctx: Context, ...args: any[]) => Promise<unknown>;

/**
 * Wraps a command body: it gets a context built from the global options, and whatever it throws
 * becomes one line on stderr and the exit code of its class.
 */
export function actionFor(io: Io, state: RunState) {
  return (handler: Handler) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const ctx = new RunContext(io, command.optsWithGlobals() as GlobalOptions);
      try {
        const result = await handler(ctx, ...args.slice(0, -1));
        // A handler returns a number only for an outcome that is neither an error nor a success (a declined prompt).
        state.exitCode = typeof result === 'number' ? result : 0;
      } catch (e) {
        let baseURL: string | undefined;
        try {
          baseURL = ctx.target.baseURL;
        } catch {
          baseURL = undefined;
        }
        ctx.out.error(describeError(e, baseURL));
        state.exitCode = exitCodeOf(e);
      } finally {
        ctx.close();
      }
    };
}

export type Action = ReturnType<typeof actionFor>;

/** The `Examples:` block every command ends its help with. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

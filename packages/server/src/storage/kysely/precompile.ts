import type { Compilable, CompiledQuery } from 'kysely';

/**
 * A query built and compiled once and then run with new parameters: on the hot paths
 * (authentication, retrieve) building a Kysely query costs more than running it. The builder runs
 * once with placeholder values; their positions in the compiled parameters are filled per call.
 */
export function precompile<A extends unknown[], R>(
  run: (query: CompiledQuery<R>) => Promise<R[]>,
  arity: number,
  build: (...args: A) => Compilable<R>,
) {
  const marks = Array.from({ length: arity }, (_, i) => `\u0000param-${i}`);
  const compiled = build(...(marks as A)).compile();
  const slots = compiled.parameters.map((p) => marks.indexOf(p as string));
  if (slots.includes(-1) || new Set(slots).size !== arity) throw new Error(`cannot precompile: ${compiled.sql}`);
  return (...args: A): Promise<R[]> => run({ ...compiled, parameters: slots.map((s) => args[s]) });
}

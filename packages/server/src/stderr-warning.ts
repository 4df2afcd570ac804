/** A warning from an adapter that has no logger: one pino-shaped line (level 40) on stderr. */
export type Warn = (fields: Record<string, unknown>, message: string) => void;

export const stderrWarning: Warn = (fields, msg) =>
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), ...fields, msg })}\n`);

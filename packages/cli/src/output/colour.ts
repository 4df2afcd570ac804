/** ANSI styles that become the identity when colour is off, so callers never test for it. */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const style = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

const COLOURS: Palette = {
  bold: style(1, 22),
  dim: style(2, 22),
  red: style(31, 39),
  green: style(32, 39),
  yellow: style(33, 39),
};

const PLAIN: Palette = { bold: String, dim: String, red: String, green: String, yellow: String };

/**
 * Colour only on a terminal: `--no-color` and a non-empty `NO_COLOR` (no-color.org) always win;
 * `FORCE_COLOR` (other than 0) turns it on where there is no terminal.
 */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean): boolean {
  if (!flag || (env.NO_COLOR ?? '') !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export const palette = (on: boolean): Palette => (on ? COLOURS : PLAIN);

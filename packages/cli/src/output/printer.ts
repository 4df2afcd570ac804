import { type Palette, palette, useColour } from './colour.js';
import { toJson } from './json.js';
import { type Column, renderFields, renderTable } from './table.js';

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where every command writes: results to stdout (human or JSON), notes, warnings and progress to stderr. */
export class Printer {
  readonly c: Palette;
  readonly errColour: Palette;
  /** The terminal's width; undefined (no limit) when the output goes to a file or a pipe without COLUMNS. */
  readonly width: number | undefined;

  constructor(
    private readonly stdout: OutStream,
    private readonly stderr: OutStream,
    env: NodeJS.ProcessEnv,
    readonly json: boolean,
    colourFlag: boolean,
  ) {
    this.c = palette(useColour(stdout, env, colourFlag));
    this.errColour = palette(useColour(stderr, env, colourFlag));
    const columns = stdout.isTTY ? stdout.columns : Number(env.COLUMNS);
    this.width = columns && Number.isInteger(columns) && columns > 0 ? columns : undefined;
  }

  data(value: unknown): void {
    this.stdout.write(toJson(value));
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  lines(texts: string[]): void {
    for (const t of texts) this.line(t);
  }

  table<T>(columns: Column<T>[], rows: T[], empty: string): void {
    if (rows.length === 0) this.line(this.c.dim(empty));
    else this.lines(renderTable(columns, rows, this.width, this.c));
  }

  fields(fields: [string, string][]): void {
    this.lines(renderFields(fields, this.c));
  }

  /** A note for the person at the terminal, never part of the result (so `--json | jq` stays clean). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.errColour.yellow('warning:')} ${text}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${this.errColour.red('error:')} ${text}\n`);
  }

  /** A progress line rewritten in place on a terminal; one line per update elsewhere (logs, CI). */
  progress(text: string, done = false): void {
    if (this.stderr.isTTY) this.stderr.write(`\r\x1b[2K${text}${done ? '\n' : ''}`);
    else this.stderr.write(`${text}\n`);
  }
}

import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/**
 * Questions answered on stdin, from a person or from a pipe. Lines are queued as they arrive, because
 * a pipe delivers every answer at once, before the second question is asked; the end of input answers
 * every further question with undefined.
 */
export class Prompter {
  #rl: Interface | undefined;
  #lines: string[] = [];
  #waiting: ((line: string | undefined) => void) | undefined;
  #ended = false;
  #detaching = false;

  constructor(
    private readonly input: Readable & { isTTY?: boolean; setRawMode?(on: boolean): unknown },
    private readonly output: Writable,
  ) {}

  #open(): void {
    if (this.#rl) return;
    this.#rl = createInterface({ input: this.input, terminal: false });
    this.#rl.on('line', (line) => this.#push(line));
    this.#rl.on('close', () => {
      if (this.#detaching) return;
      this.#ended = true;
      this.#waiting?.(undefined);
      this.#waiting = undefined;
    });
  }

  #push(line: string): void {
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve(line);
    } else {
      this.#lines.push(line);
    }
  }

  /** Asks on stderr-like `output` and resolves with the answer, trimmed; undefined at the end of input. */
  async ask(question: string): Promise<string | undefined> {
    this.output.write(question);
    this.#open();
    let line = this.#lines.shift();
    if (line === undefined && !this.#ended) {
      line = await new Promise<string | undefined>((resolve) => {
        this.#waiting = resolve;
      });
    }
    // A terminal echoes the answer and its newline; from a pipe the next message would run on.
    if (!this.input.isTTY) this.output.write('\n');
    return line?.trim();
  }

  /**
   * A secret typed at a terminal is not echoed; from a pipe it is just the next line. Reads the
   * terminal itself in raw mode, since readline would echo what is typed.
   */
  async askSecret(question: string): Promise<string | undefined> {
    // A line typed ahead was echoed already; from a pipe nothing is echoed at all.
    if (!this.input.isTTY || !this.input.setRawMode || this.#lines.length > 0 || this.#ended) return this.ask(question);
    if (this.#rl) {
      // Readline lets the terminal echo; it is set aside while the secret is typed and reopened by ask().
      this.#detaching = true;
      this.#rl.close();
      this.#rl = undefined;
      this.#detaching = false;
    }
    this.output.write(question);
    const input = this.input;
    input.setRawMode!(true);
    input.resume();
    let typed = '';
    try {
      return await new Promise<string | undefined>((resolve) => {
        const onData = (chunk: Buffer) => {
          for (const ch of chunk.toString('utf8')) {
            if (ch === '\r' || ch === '\n') return done(typed);
            if (ch === '\u0003' || ch === '\u0004') return done(undefined);
            if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
            else typed += ch;
          }
        };
        const done = (value: string | undefined) => {
          input.off('data', onData);
          resolve(value?.trim());
        };
        input.on('data', onData);
      });
    } finally {
      input.setRawMode!(false);
      input.pause();
      this.output.write('\n');
    }
  }

  /** `[y/N]`: only y or yes agrees; anything else, or no input at all, declines. */
  async confirm(question: string): Promise<boolean> {
    const answer = await this.ask(`${question} [y/N] `);
    return answer !== undefined && /^(y|yes)$/i.test(answer);
  }

  close(): void {
    this.#rl?.close();
  }
}

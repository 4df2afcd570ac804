import { VeniceError } from '../core/errors.js';
import { redact } from './log.js';

/** A success body: JSON, or undefined when empty; anything else means the server is not speaking this API. */
export async function readJsonBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VeniceError(
      `Expected a JSON response from ${response.url || 'the server'}, got: ${String(redact(text.slice(0, 200)))}`,
      { cause: e },
    );
  }
}

/** The error body, parsed when it is JSON; an unreadable body counts as empty unless it was cut by an abort. */
export async function readErrorBody(response: Response, signal: AbortSignal): Promise<unknown> {
  const text = await response.text().catch((e: unknown) => {
    if (signal.aborted) throw e;
    return '';
  });
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

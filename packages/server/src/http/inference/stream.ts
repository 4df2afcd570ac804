import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { FastifyReply } from 'fastify';
import { isAppError } from '../../domain/errors.js';
import type { Admitted } from '../../domain/gateway/admission.js';
import { estimateStreamedTokens } from '../../domain/gateway/bounds.js';
import type { Cancel } from '../../upstream/cancel.js';
import { UPSTREAM_FAILED, type UpstreamAnswer } from '../../upstream/client.js';
import { costOnWire, type Exchange, type Usage, usageOf } from './exchange.js';

export interface StreamContext {
  exchange: Exchange;
  admitted: Admitted;
  settle(usage: Usage): Promise<void>;
}

/** A usage object in a chunk (OpenAI sends `"usage": null` in every chunk when usage is asked for). */
const USAGE = /"usage"\s*:\s*\{/;
/** A chunk that carries generated text: content, reasoning, or tool-call arguments. */
const OUTPUT = /"(?:content|reasoning_content|arguments)"\s*:\s*"(?!")/;

const DONE = 'data: [DONE]\n\n';

/** The reason of a request's `Cancel` when its client went away (a constant: nothing to build per request). */
export const CLIENT_GONE = new Error('the client went away');

function dataOf(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/** The generated text of chunks, for the estimate when a stream ends without usage. */
function outputText(payloads: readonly string[]): string {
  let text = '';
  for (const payload of payloads) {
    try {
      const chunk = JSON.parse(payload) as { choices?: { delta?: Record<string, unknown> }[] };
      for (const c of chunk.choices ?? []) {
        const d = c.delta ?? {};
        for (const field of ['content', 'reasoning_content'] as const)
          if (typeof d[field] === 'string') text += d[field];
        for (const call of Array.isArray(d.tool_calls) ? d.tool_calls : []) {
          const args = (call as { function?: { arguments?: unknown } }).function?.arguments;
          if (typeof args === 'string') text += args;
        }
      }
    } catch {
      // Not JSON: nothing to count from it.
    }
  }
  return text;
}

function drained(out: PassThrough, cancel: Cancel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      cancel.removeListener('abort', done);
      resolve();
    };
    out.once('drain', done);
    cancel.once('abort', done);
  });
}

/**
 * Relays an SSE answer event by event as it arrives (never buffered whole). The usage chunk gets the
 * `cost` of what is charged; `data: [DONE]` is ours, sent last. After the headers, an upstream failure
 * goes in-band (a timeout too). A client that goes away has cancelled the upstream already; it is charged
 * the prompt and the output streamed so far, estimated, never more than reserved.
 */
export function relayStream(reply: FastifyReply, answer: UpstreamAnswer, cancel: Cancel, ctx: StreamContext) {
  const out = new PassThrough();
  out.on('error', () => {}); // a client gone mid-write; the cancel already says so
  const clientGone = () => cancel.reason === CLIENT_GONE;
  reply.type('text/event-stream').header('cache-control', 'no-cache').send(out);

  const seen: string[] = [];
  let outputChunks = 0;
  let usage: Usage | undefined;
  let id: unknown;

  const write = async (text: string) => {
    if (clientGone()) return;
    if (!out.write(text)) await drained(out, cancel);
  };

  const relayEvent = (event: string): string => {
    const data = dataOf(event);
    if (data === undefined) return `${event}\n\n`;
    if (data === '[DONE]') return '';
    if (USAGE.test(data)) {
      try {
        const chunk = JSON.parse(data) as Record<string, unknown>;
        const found = usageOf(chunk.usage);
        if (found) {
          usage = found;
          return `data: ${JSON.stringify({ ...chunk, cost: costOnWire(ctx.admitted.costOf(found)) })}\n\n`;
        }
      } catch {
        // Not JSON after all: relayed as it is.
      }
    }
    if (!usage) {
      if (OUTPUT.test(data)) outputChunks++;
      seen.push(data);
      if (id === undefined && data.startsWith('{"id":"')) id = data.slice(7, data.indexOf('"', 7));
    }
    return `${event}\n\n`;
  };

  const estimate = async (): Promise<Usage> => ({
    promptTokens: await ctx.exchange.estimatePrompt(),
    completionTokens: await estimateStreamedTokens(
      outputText(seen),
      outputChunks,
      ctx.exchange.bounds.outputTokensUpper,
    ),
  });

  const pump = async () => {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let failure: unknown;
    try {
      for await (const chunk of answer.chunks()) {
        pending += decoder.write(chunk);
        // CRLF framing becomes LF; a CR at the very end may still be followed by its LF.
        if (pending.includes('\r')) pending = pending.replace(/\r\n?(?!$)/g, '\n');
        for (let cut = pending.indexOf('\n\n'); cut >= 0; cut = pending.indexOf('\n\n')) {
          const text = relayEvent(pending.slice(0, cut));
          pending = pending.slice(cut + 2);
          if (text) await write(text);
        }
      }
      const rest = (pending + decoder.end()).trim();
      if (rest) await write(relayEvent(rest));
    } catch (error) {
      failure = error;
    }

    if (clientGone()) {
      out.destroy();
      await ctx.settle(usage ?? (await estimate()));
      return;
    }
    if (failure !== undefined) {
      const message = isAppError(failure) ? failure.message : UPSTREAM_FAILED;
      await write(`data: ${JSON.stringify({ error: { message } })}\n\n${DONE}`);
      out.end();
      // An upstream failure with no output charges nothing.
      if (usage) await ctx.settle(usage);
      else if (outputChunks > 0) await ctx.settle(await estimate());
      else await ctx.admitted.release();
      return;
    }
    if (!usage) {
      // The upstream ignored `include_usage`: the client still gets a usage chunk, estimated.
      const estimated = await estimate();
      usage = estimated;
      const chunk = {
        id,
        object: 'chat.completion.chunk',
        choices: [],
        usage: {
          prompt_tokens: estimated.promptTokens,
          completion_tokens: estimated.completionTokens,
          total_tokens: estimated.promptTokens + estimated.completionTokens,
        },
        cost: costOnWire(ctx.admitted.costOf(estimated)),
      };
      await write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    await write(DONE);
    out.end();
    await ctx.settle(usage);
  };

  pump().catch((error: unknown) => {
    reply.log.error({ err: error }, 'stream relay failed');
    out.destroy();
    void ctx.admitted.release();
  });
  return reply;
}

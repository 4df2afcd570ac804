import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { estimateStreamedTokens, type PromptCalibration } from '../../domain/gateway/bounds.js';
import { Cancel } from '../../upstream/cancel.js';
import { UPSTREAM_FAILED, type UpstreamAnswer, type UpstreamClient } from '../../upstream/client.js';
import { callerOf } from '../auth.js';
import { costOnWire, type Exchange, type InferenceGateway, type Usage, usageOf } from './exchange.js';
import { CLIENT_GONE, relayStream } from './stream.js';

export interface RelayDeps {
  gateway: InferenceGateway;
  upstream: UpstreamClient;
  calibration: PromptCalibration;
}

/** The body the upstream receives: its own model id, and usage always asked for on a stream. */
function upstreamBody(x: Exchange): Buffer | string {
  const options = x.body.stream_options as Record<string, unknown> | null | undefined;
  if (x.body.model === x.model.upstreamModel && (!x.stream || options?.include_usage === true)) return x.raw;
  const out: Record<string, unknown> = { ...x.body, model: x.model.upstreamModel };
  if (x.stream) out.stream_options = { ...options, include_usage: true };
  return JSON.stringify(out);
}

/** An upstream error answer for the client: a 4xx as the upstream said it, anything else a 502. */
async function upstreamRefusal(answer: UpstreamAnswer, reply: FastifyReply): Promise<FastifyReply> {
  const text = await answer.text().catch(() => '');
  // Our own key refused upstream is the operator's problem, not the caller's credentials.
  if (answer.status < 400 || answer.status >= 500 || answer.status === 401) {
    reply.log.warn({ upstreamStatus: answer.status }, 'upstream answered with an error');
    throw new AppError('UPSTREAM_FAILED', UPSTREAM_FAILED);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: text || `Upstream answered ${answer.status}` };
  }
  return reply.code(answer.status).type('application/json').send(body);
}

/** The content of a non-streamed completion, counted when the upstream reports no usage. */
function completionText(answer: Record<string, unknown>): string {
  const choices = Array.isArray(answer.choices) ? answer.choices : [];
  return choices.map((c) => String((c as { message?: { content?: unknown } }).message?.content ?? '')).join('');
}

/**
 * Admission, the upstream call and settlement for one request. The worst case is reserved before the
 * upstream is called, so that concurrent requests cannot overspend; whatever the outcome, the
 * reservation is settled or released exactly once.
 */
export async function relay(req: FastifyRequest, reply: FastifyReply, deps: RelayDeps, x: Exchange) {
  const { key, account } = callerOf(req);
  deps.upstream.assertConfigured();
  const admitted = await deps.gateway.admit({
    key,
    account,
    model: x.model,
    requestId: req.id,
    promptTokensUpper: x.bounds.promptTokensUpper,
    promptTokensEstimate: deps.calibration.estimate(x.model.id, x.bounds.promptTokensUpper),
    outputTokensUpper: x.bounds.outputTokensUpper,
  });
  reply.headers(admitted.headers);
  const started = performance.now();
  const settle = (usage: Usage) => {
    deps.calibration.observe(x.model.id, x.bounds.promptTokensUpper, usage.promptTokens, x.model);
    return admitted.settle({ ...usage, executionMs: Math.round(performance.now() - started) });
  };

  // The client going away cancels the upstream request at once.
  const cancel = new Cancel();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) cancel.abort(CLIENT_GONE);
  });

  let answer: UpstreamAnswer;
  try {
    answer = await deps.upstream.send({
      path: x.path,
      body: upstreamBody(x),
      requestId: req.id,
      cancel,
    });
  } catch (error) {
    await admitted.release();
    throw error;
  }
  if (answer.status >= 300) {
    await admitted.release();
    return upstreamRefusal(answer, reply);
  }
  if (x.stream && /^text\/event-stream/i.test(String(answer.headers['content-type'] ?? ''))) {
    return relayStream(reply, answer, cancel, { exchange: x, admitted, settle });
  }

  let text: string;
  let parsed: Record<string, unknown>;
  try {
    text = await answer.text();
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    await admitted.release();
    throw error instanceof AppError ? error : new AppError('UPSTREAM_FAILED', UPSTREAM_FAILED, { cause: error });
  }
  const usage = usageOf(parsed.usage) ?? {
    promptTokens: await x.estimatePrompt(),
    completionTokens: await estimateStreamedTokens(completionText(parsed), 0, x.bounds.outputTokensUpper),
  };
  const cost = JSON.stringify(costOnWire(admitted.costOf(usage)));
  void settle(usage);
  reply.type('application/json');
  // The upstream's bytes with `cost` spliced in before the closing brace: no re-serialisation.
  const end = text.lastIndexOf('}');
  if ('cost' in parsed || Object.keys(parsed).length === 0 || end < 0) {
    return reply.send(JSON.stringify({ ...parsed, cost: JSON.parse(cost) }));
  }
  return reply.send(`${text.slice(0, end)},"cost":${cost}}`);
}

/**
 * Child process of the gateway bench: sequential streamed requests (one connection, kept alive), timing
 * each from the moment it is sent to the first byte of its body, then reading it to the end.
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';

export interface TtfbJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  requests: number;
}

export interface TtfbResult {
  p50Ms: number;
  p99Ms: number;
}

const WARMUP = 50;

async function run(job: TtfbJob): Promise<TtfbResult> {
  const url = new URL(job.url);
  const client = new Client(url.origin, { keepAliveTimeout: 30_000 });
  const times: number[] = [];
  try {
    for (let i = 0; i < WARMUP + job.requests; i++) {
      const sent = performance.now();
      const res = await client.request({ method: 'POST', path: url.pathname, headers: job.headers, body: job.body });
      let first: number | undefined;
      for await (const _chunk of res.body) first ??= performance.now();
      if (res.statusCode !== 200 || first === undefined) throw new Error(`answer ${res.statusCode}`);
      if (i >= WARMUP) times.push(first - sent);
    }
  } finally {
    await client.close();
  }
  times.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round((times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] ?? 0) * 100) / 100;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

process.on('message', (job: TtfbJob) => {
  run(job).then(
    (result) => process.send?.({ result }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});

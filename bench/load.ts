/**
 * The load generator of `npm run bench`, run as a child process of `run.ts`: it receives one
 * `LoadJob` at a time over IPC and answers with a `LoadResult`.
 *
 * Latency percentiles are computed here from every response's time as autocannon measures it
 * (fractional milliseconds): autocannon's own histogram keeps whole milliseconds, which reads
 * "0 ms" for every fast route and cannot tell 0.1 ms from 0.9 ms.
 */
import autocannon from 'autocannon';

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** Default GET without a body. */
  method?: 'GET' | 'POST';
  body?: string;
}

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Transport errors, timeouts and answers other than 2xx: a run with any is not a valid measurement. */
  failures: number;
  /**
   * CPU the load generator used, in cores (1 = one core flat out). Near 1, the figure measures the
   * generator rather than the server.
   */
  loadCpu: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function load(job: LoadJob): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let answered = 0;
  const cpuBefore = process.cpuUsage();
  const run = autocannon({
    url: job.url,
    headers: job.headers,
    connections: job.connections,
    duration: job.seconds,
    ...(job.method ? { method: job.method } : {}),
    ...(job.body === undefined ? {} : { body: job.body }),
  });
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status < 200 || status >= 300) return;
    if (answered === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[answered++] = ms;
  });
  const result = await run;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = latencies.subarray(0, answered).sort();
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    requestsPerSec: Math.round(answered / result.duration),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    failures: result.errors + result.timeouts + result.non2xx,
    loadCpu: Math.round(((cpu.user + cpu.system) / 1e6 / result.duration) * 100) / 100,
  };
}

process.on('message', (job: LoadJob) => {
  load(job).then(
    (result) => process.send?.({ result }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});

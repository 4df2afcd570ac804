import pino from 'pino';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { bootstrapIfEmpty } from './domain/bootstrap.js';
import { openRuntime } from './runtime.js';
import { answerArguments } from './startup/cli.js';
import { describeFailure, listenFailure } from './startup/errors.js';
import { deliverFirstKey } from './startup/first-key.js';
import { readinessProbes } from './startup/readiness.js';
import { stopGracefully } from './startup/shutdown.js';

/** The composition root: arguments → config → runtime → app → listen → first key; graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<number | undefined> {
  const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
  const answered = answerArguments(process.argv.slice(2), io);
  if (answered !== undefined) return answered;

  const config = loadConfig();
  const logger = pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers["idempotency-key"]'],
  });
  // prom-client is loaded only when metrics are asked for.
  const metrics =
    config.metricsPort === undefined ? undefined : new (await import('./metrics/prometheus.js')).PrometheusMetrics();
  const runtime = await openRuntime(config, { log: logger, ...(metrics ? { metrics } : {}) });
  const accepted = config.acceptedSecrets.length;
  logger.info(
    {
      database: runtime.database.text,
      secret: runtime.secretSource,
      ...(accepted ? { acceptedSecrets: accepted } : {}),
    },
    'database opened',
  );
  const readiness = readinessProbes(runtime.store, config.redisUrl);
  const app = await buildApp({ ...runtime, logger, metrics, readiness: readiness.checks });
  const closeAll = async () => {
    await app.close();
    await readiness.close();
    await runtime.close();
  };
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    await closeAll();
    throw listenFailure(e, config.host, config.port);
  }
  const listeners = [{ close: () => readiness.close() }];
  if (metrics && config.metricsPort !== undefined) {
    const { serveMetrics } = await import('./metrics/server.js');
    const served = await serveMetrics(metrics, config.host, config.metricsPort).catch(async (e) => {
      await closeAll();
      throw listenFailure(e, config.host, config.metricsPort as number);
    });
    listeners.push(served);
    logger.info({ metrics: `http://${config.host}:${served.port}/metrics` }, 'metrics listening');
  }
  logger.info({ address, database: runtime.database.text, counters: runtime.counters.kind }, 'venice-keys listening');

  // Only now: a start that could not listen has handed out no "shown once" key.
  const first = await bootstrapIfEmpty(runtime.store, runtime.services.accounts, runtime.services.keys);
  if (first)
    deliverFirstKey(first, runtime.database, { isTTY: process.stdout.isTTY === true, write: io.out, log: logger });

  const stop = (signal: string) => {
    // The last resort if a store close or the ledger flush hangs past the grace: exit rather than linger.
    const graceMs = config.shutdownGraceMs;
    setTimeout(() => {
      logger.error({ graceMs }, 'shutdown did not finish within the grace period + 10 s: exiting');
      process.exit(1);
    }, graceMs + 10_000).unref();
    return stopGracefully({ app, runtime, logger, graceMs, signal, also: listeners }).then(
      () => process.exit(0),
      (e) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return undefined;
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error) => {
    process.stderr.write(`${describeFailure(error, process.env.LOG_LEVEL === 'debug')}\n`);
    process.exit(1);
  },
);

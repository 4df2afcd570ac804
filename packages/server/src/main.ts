import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openCounters } from './counters/open.js';
import { createAccountWithAdminKey } from './domain/bootstrap.js';
import { systemClock } from './domain/clock.js';
import { createServices, resolveServerSecret } from './services.js';
import { openStore } from './storage/open.js';

/** The composition root: config → store and counters → app → listen; graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers["idempotency-key"]'],
  });
  const store = await openStore(config.databaseUrl);
  const counters = await openCounters(config.redisUrl);
  const serverSecret = await resolveServerSecret(config, store);

  // Instances starting together on an empty database: the one whose claim is stored bootstraps.
  const claim = randomUUID();
  if ((await store.countAccounts()) === 0 && (await store.initSetting('bootstrapped_by', claim)) === claim) {
    const { accounts, keys } = createServices(config, store, systemClock, serverSecret);
    const { account, created } = await createAccountWithAdminKey(accounts, keys);
    // Printed once, to the terminal only: the secret is not logged and not stored.
    process.stdout.write(
      `\nCreated account ${account.id}.\nIts first ADMIN key (shown once, store it now):\n\n  ${created.secret}\n\n`,
    );
  }

  const app = await buildApp({ config, store, counters, serverSecret, logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await counters.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ host: config.host, port: config.port });
  logger.info(
    { address, database: config.databaseUrl.split(':')[0], counters: counters.kind },
    'venice-keys listening',
  );
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Invalid configuration:\n${error.message}\n`);
  } else {
    process.stderr.write(
      `Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});

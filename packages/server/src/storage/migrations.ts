import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

/**
 * One schema for SQLite and PostgreSQL: only portable column types (text, bigint, integer).
 * Ids are text so that a malformed id is simply "not found" on both engines.
 * Money is bigint micro-units; instants are bigint epoch milliseconds.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('usd_balance', 'bigint', (c) => c.notNull())
        .addColumn('diem_epoch_allocation', 'bigint', (c) => c.notNull())
        .addColumn('wallet_address', 'text', (c) => c.unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('secret_digest', 'text', (c) => c.notNull().unique())
        .addColumn('last6', 'text', (c) => c.notNull())
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('limit_usd', 'bigint')
        .addColumn('limit_diem', 'bigint')
        .addColumn('limit_period', 'text', (c) => c.notNull())
        .addColumn('model_privacy', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('api_keys_account_created')
        .on('api_keys')
        .columns(['account_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('usage_daily')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('usd', 'bigint', (c) => c.notNull())
        .addColumn('diem', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_daily_pk', ['key_id', 'day'])
        .execute();
      await db.schema.createIndex('usage_daily_account_day').on('usage_daily').columns(['account_id', 'day']).execute();

      await db.schema
        .createTable('idempotency')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('key_digest', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('sealed_response', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_pk', ['account_id', 'key_digest'])
        .execute();

      await db.schema
        .createTable('web3_tokens_used')
        .addColumn('jti', 'text', (c) => c.primaryKey())
        .addColumn('used_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('rate_limit_breaches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('api_key_id', 'text', (c) => c.notNull())
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('limit_type', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('breaches_account_at')
        .on('rate_limit_breaches')
        .columns(['account_id', 'at'])
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_usage_by_account_key': {
    // One key's spend (retrieve, authentication-time limits) must not scan every key's rows of the account.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('usage_daily_account_key_day')
        .on('usage_daily')
        .columns(['account_id', 'key_id', 'day'])
        .execute();
    },
  },
  '0003_ledger': {
    // The gateway's settlements: ledger lines (Venice's SKU shape), a daily aggregate per model kept
    // forever, and the reservations settled (idempotency; the charge recorded, for a late second settler).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('usage_ledger')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('api_key_id', 'text', (c) => c.notNull())
        .addColumn('reservation_id', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('tokens', 'bigint', (c) => c.notNull())
        .addColumn('price_per_mtok', 'bigint', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('prompt_tokens', 'bigint', (c) => c.notNull())
        .addColumn('completion_tokens', 'bigint', (c) => c.notNull())
        .addColumn('execution_ms', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('usage_ledger_reservation_sku', ['reservation_id', 'sku', 'currency'])
        .execute();
      await db.schema
        .createIndex('usage_ledger_account_at')
        .on('usage_ledger')
        .columns(['account_id', 'at', 'id'])
        .execute();
      await db.schema.createIndex('usage_ledger_at').on('usage_ledger').columns(['at']).execute();

      await db.schema
        .createTable('usage_daily_model')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('api_key_id', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('tokens', 'bigint', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_daily_model_pk', [
          'account_id',
          'day',
          'api_key_id',
          'model_id',
          'kind',
          'currency',
        ])
        .execute();

      await db.schema
        .createTable('settled_reservations')
        .addColumn('reservation_id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('usd', 'bigint', (c) => c.notNull())
        .addColumn('diem', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0004_account_disabled': {
    // An operator's stop: null while the account may authenticate; the time it was disabled otherwise.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').addColumn('disabled_at', 'bigint').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the schema up to date. On PostgreSQL, `schema` must name the schema in use: Kysely looks
 * for its bookkeeping tables in every schema otherwise, and would take another schema's for ours.
 */
export async function migrate(db: Kysely<unknown>, schema?: string): Promise<void> {
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

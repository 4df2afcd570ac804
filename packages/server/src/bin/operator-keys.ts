import { type Command, Option } from 'commander';
import { withKeyDefaults } from '../domain/keys.js';
import type { ApiKeyRecord } from '../domain/model.js';
import { iso, isoOrNull } from '../http/format.js';
import type { OperatorContext } from './operator.js';

function describe(k: ApiKeyRecord) {
  return {
    id: k.id,
    apiKeyType: k.type,
    description: k.description,
    last6Chars: k.last6,
    createdAt: iso(k.createdAt),
    expiresAt: isoOrNull(k.expiresAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
  };
}

/** `keys …`: recovery when an account lost its ADMIN key (the API cannot help: it needs one). */
export function keyCommands(program: Command, ctx: OperatorContext): void {
  const { io } = ctx;
  const keys = program.command('keys').description("manage an account's API keys");

  keys
    .command('create')
    .description('create a key for an account and print its secret (shown once)')
    .requiredOption('--account <accountId>', 'the account')
    .addOption(new Option('--type <type>', 'key type').choices(['ADMIN', 'INFERENCE']).default('ADMIN'))
    .option('--description <text>', 'description (1-64 characters)', 'Operator recovery key')
    .option('--json', 'print JSON')
    .action(async (o: { account: string; type: 'ADMIN' | 'INFERENCE'; description: string; json?: boolean }) => {
      if (o.description.trim().length === 0 || o.description.length > 64) {
        ctx.usage('--description must be 1 to 64 characters');
      }
      const { services } = ctx.runtime();
      const account = await services.accounts.get(o.account);
      const { key, secret } = await services.keys.create(
        account.id,
        withKeyDefaults({ type: o.type, description: o.description }),
      );
      io.out(
        o.json
          ? `${JSON.stringify({ ...describe(key), accountId: account.id, apiKey: secret })}\n`
          : `Created ${key.type} key ${key.id} for account ${account.id} (shown once, store it now):\n  ${secret}\n`,
      );
    });

  keys
    .command('revoke <keyId>')
    .description('revoke a key at once (an ADMIN key only while another active ADMIN key outlives it)')
    .action(async (id: string) => {
      const { store, services } = ctx.runtime();
      const accountId = await store.accountOfKey(id);
      if (!accountId) ctx.fail('API key not found');
      await services.keys.revoke(accountId, id);
      io.out(`Revoked key ${id} of account ${accountId}\n`);
    });

  keys
    .command('list')
    .description("list an account's active keys (never their secrets)")
    .requiredOption('--account <accountId>', 'the account')
    .option('--json', 'print JSON lines')
    .action(async (o: { account: string; json?: boolean }) => {
      const { services } = ctx.runtime();
      const account = await services.accounts.get(o.account);
      const all = await services.keys.list(account.id);
      if (o.json) {
        for (const k of all) io.out(`${JSON.stringify(describe(k))}\n`);
        return;
      }
      io.out(`${['id', 'type', 'last6', 'created', 'expires', 'description'].join('\t')}\n`);
      for (const k of all.map(describe)) {
        io.out(`${[k.id, k.apiKeyType, k.last6Chars, k.createdAt, k.expiresAt ?? '-', k.description].join('\t')}\n`);
      }
    });
}

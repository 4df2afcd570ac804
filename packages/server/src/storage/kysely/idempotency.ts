import type { Kysely, Transaction } from 'kysely';
import type { IdempotencyTx } from '../../domain/ports/keys.js';
import { type Database, num } from './schema.js';

/** Key-creation replays of one account, inside its transaction. */
export function idempotencyTx(trx: Transaction<Database>, accountId: string): IdempotencyTx {
  return {
    async getIdempotency(keyDigest) {
      const r = await trx
        .selectFrom('idempotency')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('key_digest', '=', keyDigest)
        .executeTakeFirst();
      return (
        r && {
          keyDigest: r.key_digest,
          requestHash: r.request_hash,
          sealedResponse: r.sealed_response,
          createdAt: num(r.created_at),
          expiresAt: num(r.expires_at),
        }
      );
    },

    async deleteIdempotency(keyDigest) {
      await trx
        .deleteFrom('idempotency')
        .where('account_id', '=', accountId)
        .where('key_digest', '=', keyDigest)
        .execute();
    },

    async putIdempotency(r) {
      await trx
        .insertInto('idempotency')
        .values({
          account_id: accountId,
          key_digest: r.keyDigest,
          request_hash: r.requestHash,
          sealed_response: r.sealedResponse,
          created_at: r.createdAt,
          expires_at: r.expiresAt,
        })
        .execute();
    },
  };
}

/** Replays past their expiry, of every account. */
export async function pruneIdempotency(db: Kysely<Database>, now: number): Promise<number> {
  const r = await db.deleteFrom('idempotency').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

import type { Kysely, Transaction } from 'kysely';
import type { Web3TokenStore, Web3TokenTx } from '../../domain/ports/web3-tokens.js';
import type { Database } from './schema.js';

export class KyselyWeb3TokenStore implements Web3TokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async isWeb3TokenUsed(jti: string): Promise<boolean> {
    const r = await this.db.selectFrom('web3_tokens_used').select('jti').where('jti', '=', jti).executeTakeFirst();
    return r !== undefined;
  }

  async pruneWeb3Tokens(now: number): Promise<number> {
    const r = await this.db.deleteFrom('web3_tokens_used').where('expires_at', '<', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export function web3TokenTx(trx: Transaction<Database>): Web3TokenTx {
  return {
    async useWeb3Token(jti, at, expiresAt) {
      const inserted = await trx
        .insertInto('web3_tokens_used')
        .values({ jti, used_at: at, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .returning('jti')
        .executeTakeFirst();
      return inserted !== undefined;
    },
  };
}

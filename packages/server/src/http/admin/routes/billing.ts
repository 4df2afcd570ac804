import type { FastifyInstance } from 'fastify';
import type { AccountService } from '../../../domain/accounts.js';
import { callerOf } from '../../auth.js';
import * as present from '../../present.js';

export function billingRoutes(app: FastifyInstance, deps: { accounts: AccountService }): void {
  app.get('/api/v1/billing/balance', async (req) => {
    const account = await deps.accounts.get(callerOf(req).account.id);
    return present.balance(account, await deps.accounts.billing(account));
  });
}

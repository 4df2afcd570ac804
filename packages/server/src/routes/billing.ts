import type { FastifyInstance } from 'fastify';
import type { AccountService } from '../domain/accounts.js';
import { numberFromMicros } from '../domain/money.js';
import { callerOf } from '../http/auth.js';
import { refuseOtherMethods } from '../http/plumbing.js';

export function billingRoutes(app: FastifyInstance, deps: { accounts: AccountService }): void {
  app.get('/api/v1/billing/balance', async (req) => {
    const account = await deps.accounts.get(callerOf(req).account.id);
    const b = await deps.accounts.billing(account);
    return {
      canConsume: b.canConsume,
      consumptionCurrency: b.currency,
      balances: { diem: numberFromMicros(b.balances.diem), usd: numberFromMicros(b.balances.usd) },
      diemEpochAllocation: numberFromMicros(account.diemEpochAllocation),
    };
  });
  refuseOtherMethods(app, '/api/v1/billing/balance', ['GET']);
}

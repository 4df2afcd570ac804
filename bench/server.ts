/**
 * The server's modules as `npm start` runs them: tsc's output in packages/server/dist (built by
 * `prebench` when stale), not src transformed by tsx on the fly. tsx compiles with esbuild's keepNames,
 * which wraps every function created per request in a `__name` call (an Object.defineProperty): a cost
 * on the gateway's hot path that the real server does not have. The types are src's.
 */
const dist = <M>(path: string): Promise<M> =>
  import(new URL(`../packages/server/dist/${path}`, import.meta.url).href) as Promise<M>;

export const { buildApp } = await dist<typeof import('../packages/server/src/app.js')>('app.js');
export const { resolveConfig } = await dist<typeof import('../packages/server/src/config.js')>('config.js');
export const { MemoryLimitCounters } =
  await dist<typeof import('../packages/server/src/counters/memory.js')>('counters/memory.js');
export const { openReservations } = await dist<typeof import('../packages/server/src/counters/reservations-open.js')>(
  'counters/reservations-open.js',
);
export const { createAccountWithAdminKey } =
  await dist<typeof import('../packages/server/src/domain/bootstrap.js')>('domain/bootstrap.js');
export const { systemClock } = await dist<typeof import('../packages/server/src/domain/clock.js')>('domain/clock.js');
export const { withKeyDefaults } = await dist<typeof import('../packages/server/src/domain/keys.js')>('domain/keys.js');
export const { dayOf } = await dist<typeof import('../packages/server/src/domain/time.js')>('domain/time.js');
export const { UsageAnalyticsService } =
  await dist<typeof import('../packages/server/src/domain/usage/analytics.js')>('domain/usage/analytics.js');
export const { buildGateway, buildRuntime } =
  await dist<typeof import('../packages/server/src/runtime.js')>('runtime.js');
export const { openPostgresStore } =
  await dist<typeof import('../packages/server/src/storage/postgres.js')>('storage/postgres.js');
export const { openSqliteStore } =
  await dist<typeof import('../packages/server/src/storage/sqlite.js')>('storage/sqlite.js');

import { afterAll, beforeAll } from 'vitest';
import { buildTestApp, type TestApp } from './app.js';
import type { StoreFactory } from './stores.js';

/**
 * The app of a describe block over a fresh store of its own: built in `beforeAll`, closed with its
 * store in `afterAll`. The returned object is filled in once `beforeAll` ran.
 */
export function useTestApp(factory: StoreFactory, options: Parameters<typeof buildTestApp>[1] = {}): TestApp {
  const t = {} as TestApp;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const opened = await factory.open();
    dispose = opened.dispose;
    Object.assign(t, await buildTestApp(opened.store, options));
  });
  afterAll(async () => {
    await t.app?.close();
    await dispose?.();
  });
  return t;
}

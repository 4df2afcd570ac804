import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { buildTestApp, type TestApp } from './app.js';
import type { StoreFactory } from './stores.js';

export interface FixtureOptions extends NonNullable<Parameters<typeof buildTestApp>[1]> {
  /** Also listen on a free loopback port (for raw-socket tests); `port` is then set. */
  listen?: boolean;
}

/**
 * The app of a describe block over a fresh store of its own: built in `beforeAll`, closed with its
 * store in `afterAll`. The returned object is filled in once `beforeAll` ran.
 */
export function useTestApp(factory: StoreFactory, options: FixtureOptions = {}): TestApp & { port: number } {
  const t = {} as TestApp & { port: number };
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const opened = await factory.open();
    dispose = opened.dispose;
    const { listen, ...build } = options;
    Object.assign(t, await buildTestApp(opened.store, build));
    if (listen) {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      t.port = (t.app.server.address() as AddressInfo).port;
    }
  });
  afterAll(async () => {
    await t.app?.close();
    await dispose?.();
  });
  return t;
}

import { afterAll, beforeAll } from 'vitest';
import { assertBuilt, CliUser } from './cli.js';
import { type ServerOptions, startServer, type TestServer } from './server.js';

export interface ServerFixture {
  server: TestServer;
  /** The first account's id and ADMIN key. */
  account: { id: string; adminKey: string };
  /** A CLI user with that ADMIN key in VENICE_API_KEY and the server in VENICE_BASE_URL. */
  admin: CliUser;
}

/** A server and an ADMIN user for the tests of one file: set up before them, stopped after them. */
export function useServer(options: ServerOptions & { credit?: string } = {}): ServerFixture {
  const fixture = {} as ServerFixture;
  beforeAll(async () => {
    assertBuilt();
    fixture.server = await startServer(options);
    fixture.account = await fixture.server.newAccount({ credit: options.credit ?? '100' });
    fixture.admin = new CliUser({ VENICE_API_KEY: fixture.account.adminKey, VENICE_BASE_URL: fixture.server.url });
  });
  afterAll(async () => {
    fixture.admin?.dispose();
    await fixture.server?.stop();
  });
  return fixture;
}

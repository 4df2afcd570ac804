import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamHandle } from '../../../../tests/support/upstream/server.js';
import { spawnUpstream } from '../../../../tests/support/upstream/spawn.js';
import { ADMIN, ensureBuilt, type Running, runToEnd, servingSetup, start } from './process.js';

/**
 * `accounts disable` / `enable` against two compiled servers on one database: each instance learns
 * the account state when its 1 s authentication cache entry lapses, with no message between them.
 */

/** Generous against a loaded machine; the figure the issue asks for (1 s) is printed, not asserted. */
const POLL_BOUND_MS = 10_000;

describe('accounts disable / enable across instances', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'vk-disable-'));
  let upstream: UpstreamHandle;
  const servers: Running[] = [];
  const bases: string[] = [];
  let adminKey: string;
  let accountId: string;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    ensureBuilt();
    upstream = await spawnUpstream();
    ({ env, adminKey, accountId } = servingSetup(cwd, upstream, 'm?completion=3'));
    for (let i = 0; i < 2; i++) {
      const server = start([], { cwd, env });
      servers.push(server);
      bases.push((await server.logLine((m) => m === 'venice-keys listening')).address as string);
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGKILL');
    await upstream?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  const headers = () => ({ authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' });
  const admin = (base: string) => fetch(`${base}/api/v1/api_keys`, { headers: headers() });
  const chat = (base: string) =>
    fetch(`${base}/api/v1/chat/completions`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ model: 'steady', messages: [{ role: 'user', content: 'hi' }] }),
    });
  const operator = (...args: string[]) => {
    const run = runToEnd(ADMIN, args, { cwd, env });
    expect(run.code, run.stderr).toBe(0);
    return run.stdout;
  };

  /** Polls every instance's admin route until each answers `status`; returns the ms each took. */
  async function untilAll(status: number, since: number): Promise<number[]> {
    return Promise.all(
      bases.map(async (base) => {
        for (;;) {
          const res = await admin(base);
          await res.arrayBuffer();
          if (res.status === status) return Date.now() - since;
          if (Date.now() - since > POLL_BOUND_MS) throw new Error(`${base} still answers ${res.status}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
  }

  it('refuses the account keys on the gateway and admin routes of every instance, then lets them in again', async () => {
    for (const base of bases) {
      expect((await admin(base)).status).toBe(200);
      const answer = await chat(base);
      expect(answer.status).toBe(200);
      await answer.json();
    }

    const started = Date.now();
    const disabled = JSON.parse(operator('accounts', 'disable', accountId, '--json'));
    const disabledAt = Date.now();
    expect(disabled).toMatchObject({ id: accountId, disabledAt: expect.any(String) });
    const stopped = await untilAll(401, disabledAt);
    console.log(
      `disable -> 401 on each instance ${stopped.join(', ')} ms after the operator exited ` +
        `(it ran ${disabledAt - started} ms; auth cache 1 s)`,
    );
    for (const base of bases) {
      const refused = await chat(base);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'Authentication failed' });
      expect(await (await admin(base)).json()).toEqual({ error: 'Authentication failed' });
    }
    expect(operator('accounts', 'list')).toContain(`disabled since ${disabled.disabledAt}`);

    const enabled = JSON.parse(operator('accounts', 'enable', accountId, '--json'));
    const enabledAt = Date.now();
    expect(enabled).toMatchObject({ id: accountId, disabledAt: null });
    const resumed = await untilAll(200, enabledAt);
    console.log(`enable -> 200 on each instance after ${resumed.join(', ')} ms`);
    for (const base of bases) {
      const answer = await chat(base);
      expect(answer.status).toBe(200);
      await answer.json();
    }
    expect(operator('accounts', 'list')).toMatch(new RegExp(`${accountId}\\t.*\\tenabled\\n`));
  });

  it('answers an unknown account with exit code 1 and changes nothing', () => {
    const run = runToEnd(ADMIN, ['accounts', 'disable', '00000000-0000-4000-8000-000000000000'], { cwd, env });
    expect(run).toMatchObject({ code: 1, stderr: expect.stringContaining('error: Account not found') });
  });
});

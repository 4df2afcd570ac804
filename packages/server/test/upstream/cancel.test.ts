import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { startUpstream } from '../../../../tests/support/upstream/server.js';
import { Cancel } from '../../src/upstream/cancel.js';

describe('Cancel', () => {
  it('runs each listener once at the first abort, with its reason, and not a removed one', () => {
    const cancel = new Cancel();
    const heard: unknown[] = [];
    const removed = () => heard.push('removed');
    cancel.once('abort', () => heard.push(cancel.reason));
    cancel.on('abort', removed);
    cancel.removeListener('abort', removed);
    cancel.abort('first');
    cancel.abort('second');
    expect(heard).toEqual(['first']);
    expect(cancel.aborted).toBe(true);
    expect(cancel.reason).toBe('first');
  });

  it('is accepted by undici as a signal and aborts a request in flight with its reason', async () => {
    const upstream = await startUpstream();
    const pool = new Pool(new URL(upstream.url).origin);
    try {
      const cancel = new Cancel();
      const reason = new Error('the client went away');
      const pending = pool.request({ method: 'GET', path: '/slow-never-answers', signal: cancel });
      cancel.abort(reason);
      await expect(pending).rejects.toBe(reason);
    } finally {
      await pool.close();
      await upstream.close();
    }
  });
});

/**
 * The test upstream as its own process: `node --import tsx tests/support/upstream/main.ts [port] [apiKey]`
 * (or env UPSTREAM_PORT / UPSTREAM_API_KEY). Prints one JSON line `{"url": "...", "apiKey": "..."}` once
 * listening, then serves until SIGTERM or its parent's IPC channel closes.
 */
import { startUpstream } from './server.js';

const port = Number(process.argv[2] ?? process.env.UPSTREAM_PORT ?? 0);
const apiKey = process.argv[3] ?? process.env.UPSTREAM_API_KEY;
const upstream = await startUpstream({ port, ...(apiKey ? { apiKey } : {}) });
process.stdout.write(`${JSON.stringify({ url: upstream.url, apiKey: upstream.apiKey })}\n`);

const stop = () => void upstream.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

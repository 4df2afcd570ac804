import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../domain/clock.js';
import type { Web3KeyService } from '../../../domain/web3-keys.js';
import * as present from '../../present.js';
import { web3KeyBody } from '../../schemas.js';
import { parseWith } from '../../validation.js';
import { newKeyInput } from './api-keys.js';

const PATH = '/api/v1/api_keys/generate_web3_key';
const DEFAULT_DESCRIPTION = 'Web3 API Key';

/** Both routes are open to anyone: the service spends from the client address's budget first. */
export function web3Routes(app: FastifyInstance, deps: { web3: Web3KeyService; clock: Clock }): void {
  const { web3, clock } = deps;

  app.get(PATH, { config: { auth: 'none' } }, async (req) => {
    await web3.admit(req.ip);
    return { success: true, data: { token: await web3.challenge() } };
  });

  app.post(PATH, { config: { auth: 'none' } }, async (req) => {
    await web3.admit(req.ip);
    const body = parseWith(web3KeyBody, req.body);
    // A past expiresAt is a validation error like any other: refused before any RPC or database work.
    const input = newKeyInput({ ...body, description: body.description ?? DEFAULT_DESCRIPTION }, clock.now());
    const created = await web3.mint({ address: body.address, token: body.token, signature: body.signature, input });
    return { success: true, data: present.createdKey(created.key, created.secret) };
  });
}

#!/usr/bin/env node
// Runs the TypeScript operator command through tsx, so that no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../src/bin/venice-keys-admin.ts');

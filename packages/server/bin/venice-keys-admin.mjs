#!/usr/bin/env node
import { runCompiled } from './compiled.mjs';

await runCompiled('bin/venice-keys-admin.js');

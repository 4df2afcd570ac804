import type { Command } from 'commander';
import type { Action } from './action.js';

export function registerUsage(_program: Command, _action: Action): void {}

#!/usr/bin/env node
// Compiles the Solidity test fixtures in tests/fixtures/contracts/ into contracts.json (ABI and
// creation bytecode per contract). The JSON is committed so that tests never need a compiler:
// run this only after changing a .sol file, and commit both.
//
//   node scripts/compile-contracts.mjs
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures', 'contracts');
const outFile = join(dir, 'contracts.json');

const settings = {
  // Cancun is live on Base and on every chain a test could stand in for.
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  // Without the metadata hash the bytecode depends only on the code, not on comments or paths.
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
};

const sources = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.sol'))
    .sort()
    .map((f) => [f, { content: readFileSync(join(dir, f), 'utf8') }]),
);

const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings })));
const problems = (output.errors ?? []).filter((e) => e.severity === 'error');
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (problems.length > 0) process.exit(1);

const contracts = {};
for (const file of Object.keys(output.contracts).sort()) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    contracts[name] = { source: file, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  }
}

const { outputSelection: _, ...recordedSettings } = settings;
writeFileSync(
  outFile,
  `${JSON.stringify({ compiler: solc.version(), settings: recordedSettings, contracts }, null, 2)}\n`,
);
console.log(`wrote ${Object.keys(contracts).join(', ')} to ${outFile}`);

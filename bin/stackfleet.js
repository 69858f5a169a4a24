#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so no build step is needed after `npm ci`.
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');
const result = spawnSync(
  process.execPath,
  [require.resolve('tsx/cli'), join(__dirname, '..', 'src', 'cli', 'main.ts'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);

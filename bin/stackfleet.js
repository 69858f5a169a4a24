#!/usr/bin/env node
// Runs the TypeScript CLI in this process through tsx's loaders, so no build step is needed
// after `npm ci` and SIGINT/SIGTERM reach the CLI itself (a child process would be left running,
// holding its port or the sandbox's state folder, when only this one was signalled).
(async () => {
  require('tsx/cjs/api').register();
  (await import('tsx/esm/api')).register();
  await require('../src/cli/main.ts').runCli(process.argv.slice(2));
})().catch((error) => {
  process.stderr.write(`stackfleet: could not start: ${error?.stack ?? error}\n`);
  process.exitCode = 3;
});

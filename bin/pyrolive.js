#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in dist/cli (compiled from src/cli by `npm run build`); dist/cli/launch.js loads it
// from its bundle and code cache when the build made them (src/cli/launch.ts says why), else from the modules.
let main;
try {
  ({ main } = require('../dist/cli/launch.js').loadCli());
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/launch.js')) {
    process.stderr.write('pyrolive: not built yet: run `npm install` (or `npm run build`) in the checkout first\n');
    process.exit(1);
  }
  throw err;
}
// A reader that stops early (`pyrolive analyze … --json | head`) closes the pipe: end quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') {
    process.exit(0);
  }
  throw err;
});
main(process.argv).catch((e) => {
  process.stderr.write(`pyrolive: ${e && e.message ? e.message : String(e)}\n`);
  process.exit(1);
});

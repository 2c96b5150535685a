#!/usr/bin/env node
'use strict';
// `npm run bench`: runs every benchmark in bench/ (files named *.bench.js), in name order, against the built
// code in dist/ and build/. Each prints its own table.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const only = process.argv.slice(2);
const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.js')).sort()
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (!fs.existsSync(path.join(__dirname, '..', 'dist'))) {
  console.error('bench: not built: run `npm install` (or `npm run build`) first');
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, [path.join(__dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.error(`bench: ${f} failed (exit ${r.status})`); }
}
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
'use strict';
// Bundles the dashboard (web/src) into web/dist with esbuild. Skips quietly if there is no entry yet.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const entry = path.join(root, 'web', 'src', 'main.ts');
const outdir = path.join(root, 'web', 'dist');
if (!fs.existsSync(entry)) {
  console.log('build:web: no web/src/main.ts yet, nothing to bundle');
  process.exit(0);
}
require('esbuild').buildSync({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ['es2020'],
  outdir,
  loader: { '.css': 'css' },
  logLevel: 'warning',
});
for (const f of ['index.html']) {
  const src = path.join(root, 'web', f);
  if (fs.existsSync(src)) {
    fs.copyFileSync(src, path.join(outdir, f));
  }
}
console.log(`build:web: bundled ${path.relative(root, entry)} -> ${path.relative(root, outdir)}`);

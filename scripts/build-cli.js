#!/usr/bin/env node
'use strict';
// Bundles the compiled command line (dist/cli/index.js and what it imports) into dist/cli/bundle.js with esbuild,
// then runs a warm-up analysis in a child process and saves V8's code cache as dist/cli/bundle.cache. Why, and how
// bin/pyrolive.js uses them: src/cli/launch.ts. Run by `npm run build:ts` after tsc.
//
// The heavy packages only some commands need (the server's, RxJS, mathjs, progress bars, file watching) stay
// outside the bundle and load from node_modules when used. A warm-up that fails costs speed only: the bundle then
// runs without a cache, and this prints why.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { createHash } = require('crypto');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli');
const entry = path.join(cli, 'index.js');
const bundle = path.join(cli, 'bundle.js');
const cache = path.join(cli, 'bundle.cache');
/** bundled: small and needed by every command; everything else in dependencies loads from node_modules */
const BUNDLED = new Set(['commander']);
const { BUNDLE_ID_PREFIX } = require(path.join(cli, 'launch.js'));

if (!fs.existsSync(entry)) {
  console.error(`build:cli: no ${path.relative(root, entry)}: run tsc first`);
  process.exit(1);
}
// a cache of another bundle would be refused by its id anyway; removed first so that none is left over
fs.rmSync(cache, { force: true });
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies || {}).filter((name) => !BUNDLED.has(name));
const built = require('esbuild').buildSync({
  entryPoints: [entry],
  write: false,
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: ['node20'],
  // no comments, ASCII only: a smaller text, decoded as latin1 in one step (src/cli/launch.ts)
  minifyWhitespace: true,
  charset: 'ascii',
  external: [...external, '*.node'],
  // commander loads child_process at start-up for a feature pyrolive does not use: loaded on first use instead
  alias: { 'node:child_process': path.join(__dirname, 'lazy-child-process.js') },
  logLevel: 'warning',
});
// the first line identifies the text, and the code cache is saved with the same id (src/cli/launch.ts)
const body = built.outputFiles[0].contents;
const nonAscii = body.findIndex((byte) => byte > 127);
if (nonAscii >= 0) {
  // (esbuild escapes strings, not regular-expression literals: write such a character as \u00b0 in the source)
  const around = Buffer.from(body.subarray(Math.max(0, nonAscii - 60), nonAscii + 20)).toString('utf8');
  console.error(`build:cli: the bundle is not ASCII (launch.ts reads it as latin1), at: ${around}`);
  fs.rmSync(bundle, { force: true });
  process.exit(1);
}
const id = createHash('sha1').update(body).digest('hex');
fs.writeFileSync(bundle, Buffer.concat([Buffer.from(`${BUNDLE_ID_PREFIX}${id}\n`), body]));
const warm = spawnSync(process.execPath, [path.join(__dirname, 'warm-cli.js')], {
  cwd: root,
  encoding: 'utf8',
});
const said = `${warm.stdout || ''}${warm.stderr || ''}`.trim();
if (warm.status === 0 && fs.existsSync(cache)) {
  const size = (fs.statSync(cache).size / 1024).toFixed(0);
  console.log(
    `build:cli: bundled ${path.relative(root, entry)} -> ${path.relative(root, bundle)}, code cache ${size} kB`,
  );
} else {
  console.log(
    `build:cli: bundled ${path.relative(root, entry)} -> ${path.relative(root, bundle)}; no code cache ` +
      `(the warm-up failed: ${said.split('\n').slice(-3).join(' / ') || `exit ${warm.status}`}); pyrolive runs, ` +
      'but starts slower',
  );
}

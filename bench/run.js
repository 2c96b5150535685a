#!/usr/bin/env node
'use strict';
// `npm run bench [NAME...]`: runs every benchmark in bench/ (files named *.bench.js), in name order, against the
// built code in dist/ and build/. Each prints its own table. The peer (bench/peer.py, a scipy curve_fit loop) is
// measured once first, on the same machine in the same run, and every ratio is to that measurement; where there
// is no python3 with numpy and scipy the benches say so and print no ratios. At the end: the README figures block.
// `npm run bench scaling` runs bench/scaling.js (docs/speed.md tables) instead; it is not part of the default run.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { machine, runPeer, describePeer } = require('./peer');

const only = process.argv.slice(2);
if (!fs.existsSync(path.join(__dirname, '..', 'dist'))) {
  console.error('bench: not built: run `npm install` (or `npm run build`) first');
  process.exit(1);
}
if (only.includes('scaling')) {
  const result = spawnSync(
    process.execPath,
    [path.join(__dirname, 'scaling.js'), ...only.filter((name) => name !== 'scaling')],
    { stdio: 'inherit' },
  );
  process.exit(result.status ?? 1);
}
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.js'))
  .sort()
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));

const host = machine();
console.log(`machine: ${host.text}`);
const needsPeer = files.some((f) => f.startsWith('fit') || f.startsWith('analyze'));
const peerResult = needsPeer ? runPeer() : { absent: 'not needed by the benches selected' };
if (needsPeer) {
  console.log(describePeer(peerResult));
}
const summary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-bench-')), 'readme.jsonl');
const env = { ...process.env, PYROLIVE_BENCH_PEER: JSON.stringify(peerResult), PYROLIVE_BENCH_SUMMARY: summary };

let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, [path.join(__dirname, f)], { stdio: 'inherit', env });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${f} failed (exit ${r.status})`);
  }
}
printReadmeBlock();
fs.rmSync(path.dirname(summary), { recursive: true, force: true });
process.exit(failed ? 1 : 0);

function printReadmeBlock() {
  if (!fs.existsSync(summary)) {
    return;
  }
  const rows = fs
    .readFileSync(summary, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  console.log('\n=== README figures block (paste between the bench markers) ===');
  console.log(`Measured with \`npm run bench\` on ${host.text}.`);
  console.log(
    peerResult.absent
      ? `Peer absent: ${peerResult.absent}.`
      : `Peer, side by side in the same run: a scipy ${peerResult.scipy} \`curve_fit\` greybody loop (bench/peer.py) at ` +
          `${Math.round(peerResult.fitsPerSecond).toLocaleString('en-US')} fits/s (BLAS: ${peerResult.blas}).`,
  );
  const unset = require('./shot').unsetForPyrolive();
  if (unset.length) {
    console.log(
      `pyrolive's spawned processes ran without ${unset.join(', ')} (set by this environment; see bench/shot.js).`,
    );
  }
  console.log('\n| what | figure |\n|---|---|');
  for (const row of rows) {
    console.log(`| ${row.what} | ${row.figure} |`);
  }
}

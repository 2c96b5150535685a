#!/usr/bin/env node
'use strict';
// The warm-up of scripts/build-cli.js, in a process of its own: loads dist/cli/bundle.js, runs `analyze` on a small
// simulated shot (lamp, dark and power log; to JSON and to CSV), then saves the bytecode V8 compiled meanwhile as
// dist/cli/bundle.cache. The cache holds only compiled code, no results: what a later run computes does not depend
// on it. Only analyze warms it: V8 reads the whole cache at every start, so code of other commands in it would
// slow analyze's start (the shot is therefore simulated by a child process).
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const { bundlePaths, loadBundle, saveCodeCache } = require(path.join(root, 'dist', 'cli', 'launch.js'));

async function main() {
  const paths = bundlePaths(path.join(root, 'dist', 'cli'));
  const loaded = loadBundle(paths, false);
  const cli = loaded.exports;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-warm-'));
  const run = async (...args) => {
    await cli.main([process.execPath, 'pyrolive', ...args]);
    if (process.exitCode) {
      throw new Error(`pyrolive ${args.join(' ')} failed`);
    }
  };
  try {
    const simulate = ['simulate', dir, '--frames', '1500', '--rows', '4', '--seed', '1'];
    execFileSync(process.execPath, [path.join(root, 'bin', 'pyrolive.js'), ...simulate], { stdio: 'ignore' });
    const shot = path.join(dir, 'shot.spe');
    const calibration = ['--calibration', path.join(dir, 'lamp.spe'), '--lamp-temperature', '2800'];
    const background = ['--background', path.join(dir, 'dark.spe')];
    const power = ['--power', path.join(dir, 'power.csv')];
    await run(
      'analyze',
      shot,
      ...calibration,
      ...background,
      ...power,
      '--chunk',
      '512',
      '--out',
      path.join(dir, 'r.json'),
    );
    await run('analyze', shot, ...calibration, ...background, '--range', '570:830', '--out', path.join(dir, 'r.csv'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  saveCodeCache(loaded, paths);
}

main().catch((e) => {
  process.stderr.write(`warm-up: ${e && e.message ? e.message : String(e)}\n`);
  process.exit(1);
});

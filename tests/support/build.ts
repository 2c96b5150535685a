/**
 * For tests that run the built CLI in a child process: builds dist/ (`npm run build:ts`: tsc, then the command
 * line's bundle and code cache, scripts/build-cli.js) when the bundle is missing or older than any source file. `npm install` / `npm ci` build it already; this keeps a developer's edit-and-test
 * loop honest. A lock directory keeps parallel test files from building at the same time.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'bin/pyrolive.js');

function newest(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = path.join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }, 0);
}

export function ensureBuilt(): void {
  // (written after tsc's output: when it is fresh, so is dist)
  const out = path.join(ROOT, 'dist/cli/bundle.js');
  const stale = () => !fs.existsSync(out) || fs.statSync(out).mtimeMs < newest(path.join(ROOT, 'src'));
  const lock = path.join(os.tmpdir(), 'pyrolive-build-ts.lock');
  for (let k = 0; k < 600 && stale(); k++) {
    try {
      fs.mkdirSync(lock);
    } catch {
      spawnSync('sleep', ['0.5']);
      continue;
    }
    try {
      const r = spawnSync('npm', ['run', 'build:ts'], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) {
        throw new Error(`npm run build:ts failed:\n${r.stdout}${r.stderr}`);
      }
    } finally {
      fs.rmdirSync(lock);
    }
  }
}

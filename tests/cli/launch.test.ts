/**
 * The command line's bundle and code cache (src/cli/launch.ts, scripts/build-cli.js): a cache is used only with the
 * bundle it was made from, a bundle older than the modules is not used, a bundle runs as a CommonJS module of its
 * folder, and the built package's bundle gives the same output as the modules, with a cache V8 accepts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_ID_LENGTH,
  BUNDLE_ID_PREFIX,
  bundleIdOf,
  bundleIsFresh,
  bundlePaths,
  cliFrom,
  codeCacheFile,
  codeCacheFor,
  loadBundle,
  saveCodeCache,
} from '../../src/cli/launch';
import { BIN, ROOT, ensureBuilt } from '../support/build';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-launch-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const idA = 'a'.repeat(BUNDLE_ID_LENGTH);
const idB = 'b'.repeat(BUNDLE_ID_LENGTH);
const withId = (id: string, body: string) => Buffer.from(`${BUNDLE_ID_PREFIX}${id}\n${body}`, 'latin1');

describe('a code cache belongs to one bundle', () => {
  it('reads the id on the first line, and none from a text without that line', () => {
    expect(bundleIdOf(withId(idA, 'x=1'))?.toString('latin1')).toBe(idA);
    expect(bundleIdOf(Buffer.from('"use strict";\nx=1'))).toBeUndefined();
    // an id one character short: the line ends too early
    expect(bundleIdOf(withId(idA.slice(1), 'x=1'))).toBeUndefined();
    expect(bundleIdOf(Buffer.from(`${BUNDLE_ID_PREFIX}${idA}`))).toBeUndefined();
  });

  it("gives V8's data back only for the bundle the cache was made from", () => {
    const bundle = withId(idA, 'exports.x = 1;');
    const data = Buffer.from([1, 2, 3, 4, 5]);
    const file = codeCacheFile(bundle, data);
    expect(file.length).toBe(BUNDLE_ID_LENGTH + data.length);
    expect(codeCacheFor(bundle, file)).toEqual(data);
    expect(codeCacheFor(withId(idB, 'exports.x = 1;'), file)).toBeUndefined();
    expect(codeCacheFor(Buffer.from('exports.x = 1;'), file)).toBeUndefined();
    expect(codeCacheFor(bundle, undefined)).toBeUndefined();
    expect(codeCacheFor(bundle, file.subarray(0, BUNDLE_ID_LENGTH))).toBeUndefined();
    expect(() => codeCacheFile(Buffer.from('exports.x = 1;'), data)).toThrow(/no id line/);
  });
});

describe('a bundle', () => {
  it('is used only when it is not older than the modules it was made from', () => {
    const folder = fs.mkdtempSync(path.join(dir, 'fresh-'));
    const paths = bundlePaths(folder);
    expect(bundleIsFresh(paths)).toBe(false); // neither exists
    fs.writeFileSync(paths.entry, '');
    expect(bundleIsFresh(paths)).toBe(false); // no bundle
    fs.writeFileSync(paths.bundle, '');
    fs.utimesSync(paths.entry, 1000, 1000);
    fs.utimesSync(paths.bundle, 2000, 2000);
    expect(bundleIsFresh(paths)).toBe(true);
    fs.utimesSync(paths.entry, 3000, 3000); // a tsc run after the bundle
    expect(bundleIsFresh(paths)).toBe(false);
  });

  it('runs as a CommonJS module of its folder, and with the code cache saved after a run', () => {
    const folder = fs.mkdtempSync(path.join(dir, 'bundle-'));
    const paths = bundlePaths(folder);
    fs.writeFileSync(path.join(folder, 'helper.js'), 'module.exports = 41;');
    const body =
      'const helper = require("./helper.js");' +
      'exports.main = async (argv) => { module.exports.seen = argv.length + helper; };' +
      'exports.dir = __dirname; exports.file = __filename;';
    fs.writeFileSync(paths.bundle, withId(idA, body));
    const first = loadBundle(paths);
    expect(first.cacheUsed).toBe(false);
    expect(first.exports).toMatchObject({ dir: folder, file: paths.bundle });
    return first.exports.main(['x']).then(() => {
      expect((first.exports as unknown as { seen: number }).seen).toBe(42);
      const size = saveCodeCache(first, paths);
      expect(fs.statSync(paths.cache).size).toBe(size);
      expect(fs.readFileSync(paths.cache).subarray(0, BUNDLE_ID_LENGTH).toString('latin1')).toBe(idA);
      expect(loadBundle(paths).cacheUsed).toBe(true);
      expect(loadBundle(paths, false).cacheUsed).toBe(false);
      // the same text under another id (a rebuilt bundle): the cache is not offered to V8
      fs.writeFileSync(paths.bundle, withId(idB, body));
      expect(loadBundle(paths).cacheUsed).toBe(false);
    });
  });
});

describe('the command line chosen', () => {
  it('is the bundle when fresh and wanted, else the modules; a damaged bundle falls back to the modules', () => {
    const folder = fs.mkdtempSync(path.join(dir, 'choose-'));
    const paths = bundlePaths(folder);
    const modules = { main: async () => undefined };
    fs.writeFileSync(paths.entry, '');
    fs.writeFileSync(paths.bundle, withId(idA, 'exports.main = async () => undefined; exports.fromBundle = true;'));
    fs.utimesSync(paths.entry, 1000, 1000);
    fs.utimesSync(paths.bundle, 2000, 2000);
    expect(cliFrom(paths, () => modules)).toHaveProperty('fromBundle', true);
    expect(cliFrom(paths, () => modules, false)).toBe(modules);
    fs.writeFileSync(paths.bundle, withId(idA, 'exports.main = async () => { return (')); // cut short
    fs.utimesSync(paths.bundle, 2000, 2000);
    expect(cliFrom(paths, () => modules)).toBe(modules);
    fs.writeFileSync(paths.bundle, withId(idA, 'exports.main = async () => undefined; exports.fromBundle = true;'));
    fs.utimesSync(paths.bundle, 500, 500); // older than the modules
    expect(cliFrom(paths, () => modules)).toBe(modules);
  });
});

describe("the package's bundle", () => {
  beforeAll(() => ensureBuilt());

  it('is built with a code cache this Node accepts', () => {
    const code = `const l = require(${JSON.stringify(path.join(ROOT, 'dist/cli/launch.js'))});
      const b = l.loadBundle(l.bundlePaths());
      process.stdout.write(JSON.stringify({ cacheUsed: b.cacheUsed, main: typeof b.exports.main }));`;
    const r = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cacheUsed: true, main: 'function' });
  });

  it('gives the same results as the modules, byte for byte', () => {
    const shot = fs.mkdtempSync(path.join(dir, 'shot-'));
    const run = (args: string[], env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    run(['simulate', shot, '--frames', '300', '--rows', '4', '--seed', '9']);
    const analyze = [
      'analyze',
      path.join(shot, 'shot.spe'),
      '--calibration',
      path.join(shot, 'lamp.spe'),
      '--lamp-temperature',
      '2800',
      '--background',
      path.join(shot, 'dark.spe'),
      '--power',
      path.join(shot, 'power.csv'),
      '--chunk',
      '128',
      '--json',
    ];
    const bundled = run(analyze);
    const modules = run(analyze, { PYROLIVE_NO_BUNDLE: '1' });
    expect(JSON.parse(bundled).frames).toHaveLength(300);
    expect(bundled).toBe(modules);
  });
});

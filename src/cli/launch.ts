/**
 * How bin/pyrolive.js loads the command line: from one bundle with V8's code cache when the build made them, else
 * from the compiled modules (dist/cli/index.js).
 *
 * Why: before the first frame is fitted, a run spends most of its start-up loading its ~60 modules (finding,
 * reading and compiling each) and compiling, function by function, the code it runs once. `npm run build`
 * (scripts/build-cli.js) bundles dist/cli/index.js and everything it imports but the heavy optional packages into
 * dist/cli/bundle.js, runs a warm-up analysis on a small simulated shot and saves the bytecode V8 compiled by then
 * (vm.Script's createCachedData after the run) as dist/cli/bundle.cache. Loading the two skips the module search and
 * most of the compiling: `analyze` on the bench shot starts fitting ~15–20 ms sooner (docs/speed.md, "One bundle
 * and V8's code cache of a warm-up run").
 * Node 22 has this built in (module.enableCompileCache); Node 20 does not.
 *
 * The bundle is the same program: the bundler only concatenates the compiled modules, each still initialised on
 * its first require. It lives in dist/cli so that every module's `__dirname`-relative path (the addon, the web page)
 * resolves as from its own file, two levels under the package root.
 *
 * Safety: V8 checks a code cache against its own version and flags and the source's length only, so the bundle's
 * first line carries the SHA-1 of its text, the cache begins with the same, and a cache is used only with its
 * bundle. The bundle is used only when it is at least as new as dist/cli/index.js (a `tsc` run alone leaves it
 * stale: the modules are then loaded). PYROLIVE_NO_BUNDLE=1 loads the modules always (for tests of the modules' own
 * lazy loading, and for debugging with the modules' source maps).
 */
import * as fs from 'fs';
import Module from 'module';
import * as path from 'path';
import * as vm from 'vm';

/** What the launcher needs of the command line. */
export interface CliEntry {
  main(argv: string[]): Promise<void>;
}

/** The bundle and its code cache in a folder (dist/cli for the package). */
export interface BundlePaths {
  bundle: string;
  cache: string;
  /** the module entry the bundle was made from: a bundle older than it is stale */
  entry: string;
}

/** The bundle of this package (next to this file). */
export function bundlePaths(dir: string = __dirname): BundlePaths {
  return {
    bundle: path.join(dir, 'bundle.js'),
    cache: path.join(dir, 'bundle.cache'),
    entry: path.join(dir, 'index.js'),
  };
}

/**
 * The bundle's first line: this prefix, then an id of its text (the build's hash of the rest). The cache file begins
 * with the same id. Comparing the two costs nothing at start-up (hashing the bundle there would: loading `crypto`
 * alone takes ~2 ms).
 */
export const BUNDLE_ID_PREFIX = '// pyrolive bundle ';
export const BUNDLE_ID_LENGTH = 40;

/** The id on a bundle's first line; undefined when there is none. */
export function bundleIdOf(source: Buffer): Buffer | undefined {
  const start = BUNDLE_ID_PREFIX.length;
  const end = start + BUNDLE_ID_LENGTH;
  if (source.length < end + 1 || source.toString('latin1', 0, start) !== BUNDLE_ID_PREFIX || source[end] !== 10) {
    return undefined;
  }
  return source.subarray(start, end);
}

/** The cache file's bytes for V8's `data`, compiled from the bundle `source`: the bundle's id, then the data. */
export function codeCacheFile(source: Buffer, data: Buffer): Buffer {
  const id = bundleIdOf(source);
  if (id === undefined) {
    throw new Error('the bundle has no id line: build it with scripts/build-cli.js');
  }
  return Buffer.concat([id, data]);
}

/** V8's data in a cache file when it was made from the bundle `source`; undefined otherwise (or for no file). */
export function codeCacheFor(source: Buffer, file: Buffer | undefined): Buffer | undefined {
  const id = bundleIdOf(source);
  if (id === undefined || file === undefined || file.length <= BUNDLE_ID_LENGTH) {
    return undefined;
  }
  return file.subarray(0, BUNDLE_ID_LENGTH).equals(id) ? file.subarray(BUNDLE_ID_LENGTH) : undefined;
}

function readOptional(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Whether the bundle exists and is not older than the modules it was made from. */
export function bundleIsFresh(paths: BundlePaths): boolean {
  let bundle: fs.Stats;
  let entry: fs.Stats;
  try {
    bundle = fs.statSync(paths.bundle);
    entry = fs.statSync(paths.entry);
  } catch {
    return false;
  }
  return bundle.mtimeMs >= entry.mtimeMs;
}

/** A loaded bundle: its exports, and its script (to save V8's code cache from, after a warm-up). */
export interface LoadedBundle {
  exports: CliEntry;
  script: vm.Script;
  source: Buffer;
  /** whether a code cache was found for this bundle and V8 accepted it */
  cacheUsed: boolean;
}

/** Runs the bundle as a CommonJS module, with its code cache when `useCache` and one matches it. */
export function loadBundle(paths: BundlePaths, useCache = true): LoadedBundle {
  const source = fs.readFileSync(paths.bundle);
  const cachedData = useCache ? codeCacheFor(source, readOptional(paths.cache)) : undefined;
  // (the build writes ASCII only: latin1 is the exact text, and decodes in one step)
  const script = new vm.Script(Module.wrap(source.toString('latin1')), { filename: paths.bundle, cachedData });
  const bundleModule = new Module(paths.bundle, module);
  bundleModule.filename = paths.bundle;
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(
    bundleModule.exports,
    bundleModule.exports,
    Module.createRequire(paths.bundle),
    bundleModule,
    paths.bundle,
    path.dirname(paths.bundle),
  );
  bundleModule.loaded = true;
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  return { exports: bundleModule.exports as CliEntry, script, source, cacheUsed };
}

/** Saves V8's bytecode of everything `loaded` has compiled so far as the bundle's code cache (atomically). */
export function saveCodeCache(loaded: LoadedBundle, paths: BundlePaths): number {
  const file = codeCacheFile(loaded.source, loaded.script.createCachedData());
  const temporary = `${paths.cache}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, file);
  fs.renameSync(temporary, paths.cache);
  return file.length;
}

/**
 * The command line from `paths`: the bundle when `useBundle` and it is there and fresh, else `modules()`. A bundle
 * that cannot be loaded (a damaged file) costs only speed: the modules are the same program.
 */
export function cliFrom(paths: BundlePaths, modules: () => CliEntry, useBundle = true): CliEntry {
  if (useBundle && bundleIsFresh(paths)) {
    try {
      return loadBundle(paths).exports;
    } catch {
      // (e.g. a truncated bundle: a SyntaxError before any of its code ran)
    }
  }
  return modules();
}

/**
 * The package's command line (see the file comment) for `argv`. `pyrolive --version` alone loads dist/cli/index.js
 * only, which prints it without loading anything else: reading the bundle and its cache would cost ~3 ms more.
 */
export function loadCli(argv: readonly string[] = process.argv): CliEntry {
  const versionOnly = argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V');
  const useBundle = process.env.PYROLIVE_NO_BUNDLE !== '1' && !versionOnly;
  return cliFrom(bundlePaths(), () => require('./index') as CliEntry, useBundle);
}

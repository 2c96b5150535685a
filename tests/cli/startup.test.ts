/**
 * Lazy start-up: `pyrolive --version` loads no command and not even commander; `pyrolive --help` lists every
 * command from src/cli/commandSummaries.ts without loading them, and that list is exactly what commander prints
 * with every command loaded; `require('pyrolive')` loads only the error classes until an export is used.
 *
 * The command line normally runs from its bundle (src/cli/launch.ts), one file in which each module still starts on
 * its first require: the module-by-module checks run on the modules (PYROLIVE_NO_BUNDLE=1), which a build without
 * the bundle falls back to; the bundle's own checks are that it is what runs and that it leaves the optional
 * packages (RxJS, the server's) unloaded.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, ensureBuilt } from '../support/build';

beforeAll(() => ensureBuilt());

/** Runs node with `code` and returns the printed JSON of the module paths it had loaded (under ROOT) at exit. */
function loadedBy(code: string, bundle = false): { stdout: string; modules: string[]; builtins: string[] } {
  const report =
    "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n' + " +
    "'BUILTINS ' + JSON.stringify(process.moduleLoadList) + '\\n'));";
  const env = { ...process.env, PYROLIVE_NO_BUNDLE: bundle ? '' : '1' };
  const r = spawnSync(process.execPath, ['-e', `${report}\n${code}`], { cwd: ROOT, encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  const modules = (JSON.parse(line!.slice(7)) as string[]).map((m) => path.relative(ROOT, m));
  const builtinsLine = r.stderr.split('\n').find((l) => l.startsWith('BUILTINS '));
  const builtins = (JSON.parse(builtinsLine!.slice(9)) as string[])
    .filter((m) => m.startsWith('NativeModule '))
    .map((m) => m.slice('NativeModule '.length));
  return { stdout: r.stdout, modules, builtins };
}

const runCli = (argv: string) =>
  `process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...${argv}]; require(${JSON.stringify(BIN)});`;

describe('start-up loads what the command line needs', () => {
  it('--version prints the version and loads neither commander nor any command', () => {
    const { version } = require(path.join(ROOT, 'package.json')) as { version: string };
    const { stdout, modules } = loadedBy(runCli('["--version"]'));
    expect(stdout).toBe(`${version}\n`);
    expect(modules.filter((m) => m.includes('node_modules'))).toEqual([]);
    expect(modules.filter((m) => m.startsWith(path.join('dist', 'cli', 'commands')))).toEqual([]);
  });

  it('--help lists every command without loading one (no rxjs, no server, no analyzer)', () => {
    const { stdout, modules } = loadedBy(runCli('["--help"]'));
    for (const name of ['inspect', 'analyze', 'detect', 'simulate', 'serve', 'demo', 'report']) {
      expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(modules.filter((m) => m.startsWith(path.join('dist', 'cli', 'commands')))).toEqual([]);
    expect(modules.some((m) => m.includes(`node_modules${path.sep}rxjs`))).toBe(false);
    expect(modules.some((m) => m.includes(path.join('dist', 'analysis')))).toBe(false);
  });

  it('the command summaries are what the commands themselves register (help text identical)', () => {
    const { buildProgram } = require(path.join(ROOT, 'dist/cli/index.js')) as typeof import('../../src/cli/index');
    const everyCommandLoaded = buildProgram().helpInformation();
    const fromSummaries = buildProgram('--help').helpInformation();
    expect(fromSummaries).toBe(everyCommandLoaded);
  });

  it('`pyrolive analyze` loads the analyze command only (not the server or rxjs)', () => {
    const { modules } = loadedBy(`${runCli('["analyze", "--help"]')}`);
    const commands = modules.filter((m) => m.startsWith(path.join('dist', 'cli', 'commands')));
    expect(commands).toEqual([path.join('dist', 'cli', 'commands', 'analyze.js')]);
    expect(modules.some((m) => m.includes(`node_modules${path.sep}rxjs`))).toBe(false);
  });
});

describe('start-up from the bundle', () => {
  it('`pyrolive analyze` runs from the bundle, without RxJS, the server or child_process', () => {
    const { stdout, modules, builtins } = loadedBy(runCli('["analyze", "--help"]'), true);
    // (commander's child_process is loaded on first use: scripts/lazy-child-process.js)
    expect(builtins).not.toContain('child_process');
    expect(stdout).toMatch(/^Usage: pyrolive analyze/);
    expect(modules).toContain(path.join('dist', 'cli', 'launch.js'));
    // (the bundle is run by launch.js, not require()d: it is in no module cache, and the modules are not loaded)
    expect(modules).not.toContain(path.join('dist', 'cli', 'index.js'));
    expect(modules.filter((m) => m.startsWith(path.join('dist', 'cli', 'commands')))).toEqual([]);
    expect(modules.some((m) => m.includes(`node_modules${path.sep}rxjs`))).toBe(false);
    expect(modules.some((m) => m.includes(`node_modules${path.sep}ws`))).toBe(false);
  });

  it('--version alone skips the bundle (the small index module prints it) and loads no package', () => {
    const { version } = require(path.join(ROOT, 'package.json')) as { version: string };
    const { stdout, modules } = loadedBy(runCli('["--version"]'), true);
    expect(stdout).toBe(`${version}\n`);
    expect(modules).toContain(path.join('dist', 'cli', 'index.js'));
    expect(modules.filter((m) => m.includes('node_modules'))).toEqual([]);
  });
});

describe('the package index loads an area on first use', () => {
  it('require() loads only the errors; each export still works', () => {
    const index = JSON.stringify(path.join(ROOT, 'dist/index.js'));
    const { stdout, modules } = loadedBy(`const p = require(${index}); const before = Object.keys(require.cache).length;
      const d = new p.SlopeChangeDetector(); console.log(JSON.stringify({ before, names: Object.keys(p).length,
        detector: typeof d.push, engine: typeof p.getEngine, ok: p.FIT_STATUS.Ok,
        errors: typeof p.InputFileError }));`);
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    expect(seen).toMatchObject({ detector: 'function', engine: 'function', ok: 0, errors: 'function' });
    expect(seen.before).toBeLessThanOrEqual(3); // dist/index.js, dist/errors.js (+ the -e script's own entry)
    expect(modules.some((m) => m.includes(path.join('dist', 'detect')))).toBe(true); // loaded by the first use
    expect(modules.some((m) => m.includes(`node_modules${path.sep}rxjs`))).toBe(false);
  });
});

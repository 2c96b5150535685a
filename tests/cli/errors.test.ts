/**
 * Library → CLI error mapping (src/cli/options.ts): a ConfigError names a config field; the CLI prints the flag
 * that sets it, from one table whose every flag is a real option of some command. User errors are one line;
 * anything else is a bug, one line or, under PYROLIVE_DEBUG, its stack.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputFileError, UsageError } from '../../src/errors';
import { FLAG_OF_FIELD, flagOfField, formatCliError, num } from '../../src/cli/options';

/**
 * Every long flag of every command (`--no-x` also counts as `--x`), as commander registered them: each module
 * of src/cli/commands registers itself on a program (the CLI loads them with require(), which runs only built).
 */
async function allFlags(): Promise<Set<string>> {
  const dir = path.resolve(__dirname, '../../src/cli/commands');
  const program = new Command();
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const module = (await import(path.join(dir, file))) as { register?: (program: Command) => void };
    module.register?.(program);
  }
  expect(program.commands.length).toBeGreaterThanOrEqual(7);
  const flags = new Set<string>();
  for (const command of program.commands) {
    for (const option of command.options) {
      if (option.long !== undefined) {
        flags.add(option.long);
        flags.add(option.long.replace(/^--no-/, '--'));
      }
    }
  }
  return flags;
}

describe('config field → flag', () => {
  it('the example of the issue reads the same to the user as before', () => {
    const error = new ConfigError('gain', 'must be a positive number (got -1)');
    expect(error.message).toBe('gain must be a positive number (got -1)');
    expect(error.code).toBe('E_CONFIG');
    expect(formatCliError(error, false)).toBe('pyrolive: --gain must be a positive number (got -1)\n');
  });

  it('camelCase fields map to their kebab-case flags, and renamed ones to theirs', () => {
    expect(flagOfField('readNoise')).toBe('--read-noise');
    expect(flagOfField('lampTemperature')).toBe('--lamp-temperature');
    expect(flagOfField('range')).toBe('--range');
    expect(flagOfField('chunkFrames')).toBe('--chunk');
    expect(flagOfField('frameInterval')).toBe('--frame-interval');
    const error = new ConfigError('readNoise', 'must be a non-negative number (got -3)');
    expect(formatCliError(error, false)).toBe('pyrolive: --read-noise must be a non-negative number (got -3)\n');
  });

  it('every flag in the table is an option of some command', async () => {
    const flags = await allFlags();
    const unknown = Object.entries(FLAG_OF_FIELD).filter(([, flag]) => !flags.has(flag));
    expect(unknown).toEqual([]);
    expect(Object.keys(FLAG_OF_FIELD).length).toBeGreaterThan(20);
  });

  it('a field no flag sets keeps its own name; inherited Object keys are not fields', () => {
    expect(flagOfField('toString')).toBeUndefined();
    const error = new ConfigError('toString', 'is odd');
    expect(formatCliError(error, false)).toBe('pyrolive: toString is odd\n');
    expect(formatCliError(new ConfigError('noSuchField', 'must be set'), false)).toBe(
      'pyrolive: noSuchField must be set\n',
    );
  });
});

describe('what the CLI prints', () => {
  it('user errors: one line, never a stack, even under PYROLIVE_DEBUG', () => {
    const fileError = new InputFileError('shot.spe', 'truncated: 3 of 10 frames');
    expect(fileError.code).toBe('E_INPUT_FILE');
    for (const debug of [false, true]) {
      expect(formatCliError(fileError, debug)).toBe('pyrolive: shot.spe: truncated: 3 of 10 frames\n');
      expect(formatCliError(new UsageError('give exactly one source'), debug)).toBe(
        'pyrolive: give exactly one source\n',
      );
    }
  });

  it('a bug: one line normally, its stack under PYROLIVE_DEBUG', () => {
    const bug = new Error('internal error: vector::_M_range_check');
    expect(formatCliError(bug, false)).toBe('pyrolive: internal error: vector::_M_range_check\n');
    const withStack = formatCliError(bug, true);
    expect(withStack).toContain('Error: internal error: vector::_M_range_check\n    at ');
    expect(withStack).toContain('errors.test.ts');
    expect(formatCliError('thrown string', false)).toBe('pyrolive: thrown string\n');
  });

  it('option parsers throw coded usage errors that name the flag', () => {
    const parse = num('--gain');
    expect(parse('2.5')).toBe(2.5);
    let thrown: unknown;
    try {
      parse('-1');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as UsageError).code).toBe('E_OPTION_VALUE');
    expect((thrown as UsageError).message).toBe('--gain must be a positive number (got "-1")');
  });
});

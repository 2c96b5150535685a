/**
 * Typed errors. Anything a user can cause (bad file, bad option, bad data) is a PyroliveError:
 * the CLI prints `pyrolive: <message>` on one line and exits non-zero, never a stack trace.
 * Anything else is a bug and keeps its stack.
 *
 * Every PyroliveError has a stable `code` (E_...), so callers and tests can tell errors apart without matching
 * message text. Library code names config fields (ConfigError.field), never command-line flags: the CLI maps
 * fields to its flags in one place (src/cli/options.ts).
 */
export class PyroliveError extends Error {
  readonly code: string;
  constructor(message: string, code = 'E_PYROLIVE') {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A problem with an input file: the message names the file. */
export class InputFileError extends PyroliveError {
  readonly file: string;
  constructor(file: string, problem: string, code = 'E_INPUT_FILE') {
    super(`${file}: ${problem}`, code);
    this.file = file;
  }
}

/** A bad command-line option or API argument. */
export class UsageError extends PyroliveError {
  constructor(message: string, code = 'E_USAGE') {
    super(message, code);
  }
}

/**
 * A bad value of a named configuration field (e.g. `gain`, `range`): the message is `<field> <problem>` and the
 * CLI rewrites the field to the flag that set it.
 */
export class ConfigError extends UsageError {
  readonly field: string;
  readonly problem: string;
  constructor(field: string, problem: string, code = 'E_CONFIG') {
    super(`${field} ${problem}`, code);
    this.field = field;
    this.problem = problem;
  }
}

/** Invalid numeric arguments given to a physics function (both engines throw this). */
export class FitArgumentError extends PyroliveError {
  constructor(message: string, code = 'E_FIT_ARGUMENT') {
    super(message, code);
  }
}

/** Invalid data given to the slope-change detector (too few points, NaN ...). */
export class DetectInputError extends PyroliveError {
  constructor(message: string, code = 'E_DETECT_INPUT') {
    super(message, code);
  }
}

export function isPyroliveError(e: unknown): e is PyroliveError {
  return e instanceof PyroliveError;
}

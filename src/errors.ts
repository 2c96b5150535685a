/**
 * Typed errors. Anything a user can cause (bad file, bad option, bad data) is a PyroliveError:
 * the CLI prints `pyrolive: <message>` on one line and exits non-zero, never a stack trace.
 * Anything else is a bug and keeps its stack.
 */
export class PyroliveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A problem with an input file: the message names the file. */
export class InputFileError extends PyroliveError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.file = file;
  }
}

/** A bad command-line option or API argument. */
export class UsageError extends PyroliveError {}

/** Invalid numeric arguments given to a physics function (both engines throw this). */
export class FitArgumentError extends PyroliveError {}

/** Invalid data given to the slope-change detector (too few points, NaN ...). */
export class DetectInputError extends PyroliveError {}

export function isPyroliveError(e: unknown): e is PyroliveError {
  return e instanceof PyroliveError;
}

/**
 * The `pyrolive` command line. Each command lives in ./commands/<name>.ts and registers itself on the
 * program; this file only wires them and turns errors into one line on stderr and a non-zero exit.
 */
import { Command, CommanderError } from 'commander';
import { isPyroliveError } from '../errors';
import * as inspect from './commands/inspect';
import * as analyze from './commands/analyze';
import * as detect from './commands/detect';
import * as simulate from './commands/simulate';
import * as serve from './commands/serve';
import * as demo from './commands/demo';
import * as report from './commands/report';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const pkg = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('pyrolive')
    .description('Thermal-emission spectra of a laser-heated diamond-anvil cell to temperatures, paired with laser ' +
      'power, with live detection of the plateau (change of slope) in power vs temperature.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  for (const cmd of [inspect, analyze, detect, simulate, serve, demo, report]) cmd.register(program);
  program.addHelpText('after', `
Examples:
  $ pyrolive simulate shot/ --frames 400 --seed 7          # a simulated heating shot with lamp, dark, power log
  $ pyrolive inspect shot/shot.spe                          # what is in an SPE file
  $ pyrolive analyze shot/shot.spe --calibration shot/lamp.spe --lamp-temperature 2800 \\
        --background shot/dark.spe --power shot/power.csv --range 570:830 --json > results.json
  $ pyrolive detect curve.csv --plot curve.html            # find the plateau in power vs temperature
  $ pyrolive report results.json -o shot.html               # a self-contained page for the logbook
  $ pyrolive serve --simulate                               # the live dashboard on a simulated source
  $ pyrolive demo                                           # what \`npm start\` runs

Engine: native C++ by default; PYROLIVE_ENGINE=js forces the TypeScript engine.
Set PYROLIVE_DEBUG=1 to see stack traces of unexpected errors.`);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its message (or the help/version)
      process.exitCode = e.exitCode;
      return;
    }
    if (isPyroliveError(e)) {
      process.stderr.write(`pyrolive: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    const err = e as Error;
    if (process.env.PYROLIVE_DEBUG) process.stderr.write(`${err?.stack ?? String(e)}\n`);
    else process.stderr.write(`pyrolive: ${err?.message ?? String(e)}\n`);
    process.exitCode = 1;
  }
}

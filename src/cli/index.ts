/**
 * The `pyrolive` command line. Each command lives in ./commands/<name>.ts and registers itself on the
 * program; this file only wires them and turns errors into one line on stderr and a non-zero exit.
 */
import type { Command } from 'commander';
import { COMMAND_SUMMARIES } from './commandSummaries';

type CommandModule = { register(program: Command): void };

/**
 * Commands, loaded on demand: `pyrolive analyze` does not pay for loading the server, the dashboard pipeline
 * and RxJS (~50 ms of start-up). The top-level help lists the others from ./commandSummaries without loading
 * them; `--version` loads nothing (not even commander).
 */
const COMMANDS: Record<string, () => CommandModule> = {
  inspect: () => require('./commands/inspect'),
  analyze: () => require('./commands/analyze'),
  detect: () => require('./commands/detect'),
  simulate: () => require('./commands/simulate'),
  serve: () => require('./commands/serve'),
  demo: () => require('./commands/demo'),
  report: () => require('./commands/report'),
  batch: () => require('./commands/batch'),
  summary: () => require('./commands/summary'),
};

const pkg = require('../../package.json') as { version: string };

function loadCommander(): typeof import('commander') {
  return require('commander');
}

/** The command a command line needs loaded: `pyrolive NAME ...` or `pyrolive help NAME`; undefined for none. */
function commandOf(only: string | undefined, next: string | undefined): string | undefined {
  const known = (name: string | undefined) =>
    name !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, name);
  if (known(only)) {
    return only;
  }
  return only === 'help' && known(next) ? next : undefined;
}

/**
 * The program. With `only` (argv[2]; `next` is argv[3]), just the command that line runs is loaded, and the
 * others are listed from their summaries; with neither, every command is loaded.
 */
export function buildProgram(only?: string, next?: string): Command {
  const commander = loadCommander();
  const program = new commander.Command();
  const help = new commander.Help();
  const stubTerms = new Map<Command, string>();
  program
    .name('pyrolive')
    .description(
      'Thermal-emission spectra of a laser-heated diamond-anvil cell to temperatures, paired with laser ' +
        'power, with live detection of the plateau (change of slope) in power vs temperature.',
    )
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({
      sortSubcommands: false,
      subcommandTerm: (cmd: Command) => stubTerms.get(cmd) ?? help.subcommandTerm(cmd),
    });
  const needed = commandOf(only, next);
  for (const name of Object.keys(COMMANDS)) {
    const summary = COMMAND_SUMMARIES[name];
    if (only === undefined || name === needed || summary === undefined) {
      COMMANDS[name]().register(program);
    } else {
      stubTerms.set(program.command(name).description(summary.description), summary.term);
    }
  }
  program.addHelpText(
    'after',
    `
Examples:
  $ pyrolive simulate shot/ --frames 400 --seed 7          # a simulated heating shot with lamp, dark, power log
  $ pyrolive inspect shot/shot.spe                          # what is in an SPE file
  $ pyrolive analyze shot/shot.spe --calibration shot/lamp.spe --lamp-temperature 2800 \\
        --background shot/dark.spe --power shot/power.csv --range 570:830 --json > results.json
  $ pyrolive detect curve.csv --plot curve.html            # find the plateau in power vs temperature
  $ pyrolive report results.json -o shot.html               # a self-contained page for the logbook
  $ pyrolive batch beamtime.csv --calibration lamp.spe --lamp-temperature 2800 --out-dir results/ --jobs 2
                                                            # every shot of a beamtime (--shard K/N for a job array)
  $ pyrolive summary results/ --plot phase.html            # the phase diagram: plateau onset T vs pressure
  $ pyrolive serve --simulate                               # the live dashboard on a simulated source
  $ pyrolive demo                                           # what \`npm start\` runs

Engine: native C++ by default; PYROLIVE_ENGINE=js forces the TypeScript engine.
Set PYROLIVE_DEBUG=1 to see stack traces of unexpected errors (with PYROLIVE_NO_BUNDLE=1 as well, they name the
source modules instead of the bundle dist/cli/bundle.js).`,
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  const program = buildProgram(argv[2], argv[3]);
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof loadCommander().CommanderError) {
      // commander has already printed its message (or the help/version)
      process.exitCode = e.exitCode;
      return;
    }
    // loaded here, on the error path only: options.ts holds the field → flag table
    const { formatCliError } = require('./options') as typeof import('./options');
    process.stderr.write(formatCliError(e, Boolean(process.env.PYROLIVE_DEBUG)));
    process.exitCode = 1;
  }
}

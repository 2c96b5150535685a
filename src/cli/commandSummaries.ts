/**
 * What `pyrolive --help` lists for each command (its term and one-line description), so that the top-level help
 * does not load every command module with its dependencies (the server, RxJS, the analyzer …). A command missing
 * here is loaded to list it. tests/cli/startup.test.ts checks this table against the commands themselves: when a
 * command's arguments or description change, update its entry.
 */
export interface CommandSummary {
  /** As commander lists it: name, `[options]` when it has options, then its arguments. */
  term: string;
  description: string;
}

export const COMMAND_SUMMARIES: Record<string, CommandSummary> = {
  inspect: {
    term: 'inspect [options] <file>',
    description:
      'show what is in an SPE file or Andor ASCII export (dimensions, data type, calibration, camera, timing)',
  },
  analyze: {
    term: 'analyze [options] <shots...>',
    description:
      'Fit a temperature to every frame of one or more SPE shots or Andor SOLIS ASCII exports (.asc, ' +
      'calibrated with a lamp), or to text spectra already corrected for the system response; pair with a laser ' +
      'power log and find the plateau.',
  },
  detect: {
    term: 'detect [options] <curve>',
    description: 'find the plateau (change of slope) in a laser power vs temperature curve',
  },
  simulate: {
    term: 'simulate [options] <outdir>',
    description: 'write a simulated heating shot (SPE 3.0) with lamp, dark, power log and truth',
  },
  serve: {
    term: 'serve [options]',
    description:
      'The live dashboard (HTTP + WebSocket) on a replayed shot, a folder LightField writes into, or the ' +
      'simulator:\nevery frame fitted as in `analyze`, paired with the laser power, plateau detected live; ' +
      'optionally recorded.',
  },
  demo: {
    term: 'demo [options]',
    description:
      'The live dashboard on a simulated heating shot (plateau at 25 W after 15 s, loops every 30 s):\n' +
      'see what `serve` does without a detector.',
  },
  report: {
    term: 'report [options] <input>',
    description: 'write a self-contained HTML page of a shot (charts, plateaus, events, summary) for the logbook',
  },
  batch: {
    term: 'batch [options] <manifest>',
    description: 'analyse every shot of a beamtime manifest (shardable as a job array), one result file per shot',
  },
  summary: {
    term: 'summary [options] <inputs...>',
    description: 'a beamtime as one table (sorted by pressure) and a phase-diagram page: plateau onset T vs pressure',
  },
};

/**
 * `pyrolive demo` (what `npm start` runs): the live dashboard on an embedded simulated heating shot, analysed by
 * the real pipeline (simulated lamp and dark calibration), with its plateau at 15 s, looping every 30 s.
 */
import { Command } from 'commander';
import { UsageError } from '../../errors';
import { afterPriming, buildAnalyzer, liveAnalyzer, primeAnalyzer } from '../../stream/analyzer';
import { demoShotOptions, firstChunkOfShotAsync, simulate, simulatedCalibration } from '../../stream/simulate';
import { runLive } from './serve';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'The live dashboard on a simulated heating shot (plateau at 25 W after 15 s, loops every 30 s):\n' +
        'see what `serve` does without a detector.',
    )
    .option(
      '--port <n>',
      'TCP port (0 = any free port)',
      (v: string) => {
        const x = Number(v);
        if (!Number.isInteger(x) || x < 0 || x > 65535) {
          throw new UsageError(`--port must be an integer 0–65535 (0 = any free port), got "${v}"`);
        }
        return x;
      },
      8787,
    )
    .option('--host <h>', 'address to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--record <dir>', 'also record the run into this new folder (see `serve --help`)')
    .addHelpText(
      'after',
      `
Examples:
  $ pyrolive demo                 # then open http://127.0.0.1:8787/
  $ pyrolive demo --port 9000`,
    )
    .action(async (o: { port: number; host: string; record?: string }) => {
      const shot = demoShotOptions();
      const cal = simulatedCalibration(shot);
      const built = buildAnalyzer({}, cal.geometry, 'simulated shot', cal).analyzer;
      const analyzer = liveAnalyzer(built);
      // the noise model from the shot's first 1024 frames, as `analyze` of a recording of it has it
      const priming = async () => primeAnalyzer(built, await firstChunkOfShotAsync(shot));
      await runLive({
        source: afterPriming(priming, simulate(shot)),
        sourceName: 'demo (simulated shot)',
        analyzer,
        host: o.host,
        port: o.port,
        record: o.record ?? null,
        recordInfo: { simulate: true },
        simulated: shot,
        note: 'a simulated heating shot: the plateau (25 W, ~2350 K) comes after ~15 s; the shot loops every 30 s',
      });
    });
}

/**
 * Development helper: the dashboard fed by the fake simulated shot, without the pipeline.
 *   npm run build:web && npx vite-node tests/server/dev-server.ts [port] [ROI,ROI...]
 * e.g. `... 8788 DS,US` for a double-sided shot (two ROIs).
 */
import { startServer } from '../../src/server';
import { startFakeShot } from './fake-source';

async function main(): Promise<void> {
  const rois = process.argv[3] ? process.argv[3].split(',') : undefined;
  const shot = startFakeShot({ rate: 1000, wattsPerSecond: 2, rois });
  const server = await startServer({
    port: Number(process.argv[2] ?? 8788),
    source: shot.source,
    log: (l) => console.error(l),
  });
  console.log(`dashboard on ${server.url} (fake source, 1 kHz)`);
  const stop = async () => {
    await server.close();
    await shot.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
void main();

/**
 * A worker process of `runBatch` with several jobs: receives ShotJob messages from its parent, runs each
 * (runShotJob) and answers {type: 'done', outcome} or {type: 'failed', message}. A shot that throws is answered as
 * failed; a crash of this process is seen by the parent (which fails the shot in flight and starts a new worker).
 * Exits when the parent goes away.
 */
import { isPyroliveError } from '../errors';
import { runShotJob, type ShotJob } from './job';

export type WorkerRequest = { type: 'job'; job: ShotJob };
export type WorkerReply =
  { type: 'done'; outcome: Awaited<ReturnType<typeof runShotJob>> } | { type: 'failed'; name: string; message: string };

/** The one-line message of a failed shot (the stack too under PYROLIVE_DEBUG, for errors that are bugs). */
export function failureMessage(error: unknown): string {
  if (isPyroliveError(error)) {
    return error.message;
  }
  const err = error as Error;
  if (process.env.PYROLIVE_DEBUG && err?.stack) {
    return err.stack;
  }
  return err?.message ?? String(error);
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  try {
    return { type: 'done', outcome: await runShotJob(request.job) };
  } catch (error) {
    return { type: 'failed', name: request.job.name, message: failureMessage(error) };
  }
}

/** Serves jobs from the parent process until it goes away. */
export function serveWorker(): void {
  process.on('message', (request: WorkerRequest) => {
    void handle(request).then((reply) => {
      process.send?.(reply);
    });
  });
  process.on('disconnect', () => {
    process.exit(0);
  });
}

if (require.main === module && process.send) {
  serveWorker();
}

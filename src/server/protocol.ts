/**
 * What the server needs from a live source. The wire types themselves live in the leaf module src/protocol.ts.
 */
import type { Observable } from 'rxjs';
import type { LiveMessage } from '../protocol';

/**
 * What the server needs from the pipeline: a stream of messages to broadcast, the latest state for a client
 * that connects mid-run, and a place to push ingested power readings.
 */
export interface LiveSource {
  messages: Observable<LiveMessage>;
  /** Messages a new client needs first (hello, recent frames, events, latest spectrum, status). */
  snapshot(): LiveMessage[];
  ingestPower(reading: { power: number; time?: number }): void;
  stop(): Promise<void>;
}

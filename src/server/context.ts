/**
 * ServerContext: the state the HTTP handler (./http.ts) and the WebSocket side (./ws.ts) share — the source,
 * the connected clients, the origin policy, limits and counters. startServer (./index.ts) builds it.
 */
import type { ClientChannel, ClientLimits } from './client';
import type { OriginPolicy } from './origin';
import type { LiveSource } from './protocol';
import type { LiveMessage } from '../protocol';

export interface ServerContext {
  policy: OriginPolicy;
  source: LiveSource;
  clients: Set<ClientChannel>;
  limits: ClientLimits;
  /** Most WebSocket clients at once. */
  maxClients: number;
  log: (line: string) => void;
  /** Date.now() at start. */
  started: number;
  /** Counters and the latest hello/status seen on the source's messages (for GET /api/status). */
  stats: { droppedClients: number; latestStatus: LiveMessage | null; hello: LiveMessage | null };
}

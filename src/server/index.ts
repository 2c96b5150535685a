/**
 * The live server: the built dashboard over HTTP (static files from web/dist only), a small JSON API, and the
 * WebSocket at /ws that broadcasts a LiveSource's messages to every dashboard.
 *
 *   GET  /, /main.js, ...   the page and its assets (sirv over a file list made at start; nothing else is served)
 *   GET  /api/status        JSON: source status, clients, uptime
 *   POST /api/power         {"power": W, "time"?: s} → source.ingestPower (same-origin or non-browser only)
 *   WS   /ws                LiveMessage JSON text frames; client may send {"type":"power",...} or {"type":"ping"}
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type { Duplex } from 'stream';
import sirv from 'sirv';
import { UsageError } from '../errors';
import { ClientChannel, ClientLimits, DEFAULT_LIMITS } from './client';
import { allowedHostnames, isWildcard, OriginPolicy } from './origin';
import type { LiveSource } from './protocol';
import type { LiveMessage } from '../protocol';
import type { ServerContext } from './context';
import { createRequestHandler } from './http';
import { attachWebSocket } from './ws';

export { isLoopback } from './origin';
export type { ClientLimits } from './client';
export { isSafeStaticPath, MAX_POWER_BODY_BYTES, parsePowerReading, readJsonBody } from './http';
export type { ServerContext } from './context';

/** web/dist of this package (works from src/server under vitest and from dist/server once compiled). */
export const DEFAULT_STATIC_DIR = path.resolve(__dirname, '..', '..', 'web', 'dist');

export interface ServerOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  source: LiveSource;
  /** Directory holding the built page (default: the package's web/dist). */
  staticDir?: string;
  /** Extra origins allowed to use /ws and POST /api/power (e.g. a reverse proxy's https origin). */
  allowedOrigins?: string[];
  /** Per-client send-queue limits (defaults in DEFAULT_LIMITS). */
  limits?: Partial<ClientLimits>;
  /** How often slow clients are flushed / checked (ms, default 25). */
  flushIntervalMs?: number;
  /** WebSocket keep-alive ping interval (ms, default 15000); a client that misses one pong is dropped. */
  heartbeatMs?: number;
  /** Most WebSocket clients at once (default 64); further upgrades get 503. */
  maxClients?: number;
  /** Called with a one-line note when a client is dropped or a source error occurs (default: silent). */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  /** Number of connected WebSocket clients. */
  clientCount(): number;
  /** Per-client send state (bytes buffered in the socket, items held for coalescing, counters). */
  clientsInfo(): {
    bufferedAmount: number;
    pendingSize: number;
    sent: number;
    coalesced: number;
    thinnedFrames: number;
  }[];
  /** Clients dropped so far (stalled, over the buffer limit, or no pong). */
  droppedClients(): number;
  close(): Promise<void>;
}

function staticFiles(staticDir: string) {
  return sirv(staticDir, {
    dev: false, // list the files once: only those can ever be served
    dotfiles: false,
    etag: true,
    extensions: ['html'],
    setHeaders: (res) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      );
    },
  });
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(new UsageError(`port ${port} on ${host} is already in use (try --port 0 for any free port)`));
      } else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
        reject(new UsageError(`cannot listen on ${host}: ${e.code}`));
      } else {
        reject(e);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Starts the live server for `opts.source`: the dashboard and /api over HTTP (./http.ts) and the broadcast over
 * the WebSocket at /ws (./ws.ts), both over one ServerContext. Resolves once listening; `close()` drops every
 * client and stops. Throws UsageError for a bad port, an unbuilt dashboard or an address in use.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 8787;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new UsageError(`port must be an integer 0–65535, got ${requestedPort}`);
  }
  const staticDir = path.resolve(options.staticDir ?? DEFAULT_STATIC_DIR);
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new UsageError(
      `the dashboard is not built (${path.join(staticDir, 'index.html')} missing): run \`npm run build\``,
    );
  }
  const policy: OriginPolicy = {
    hostnames: allowedHostnames(host),
    port: requestedPort,
    extraOrigins: new Set(options.allowedOrigins ?? []),
  };
  const ctx: ServerContext = {
    policy,
    source: options.source,
    clients: new Set<ClientChannel>(),
    limits: { ...DEFAULT_LIMITS, ...(options.limits ?? {}) },
    maxClients: options.maxClients ?? 64,
    log: options.log ?? (() => undefined),
    started: Date.now(),
    stats: { droppedClients: 0, latestStatus: null, hello: null },
  };
  const server = http.createServer(createRequestHandler(ctx, staticFiles(staticDir)));
  server.on('clientError', (_err, socket: Duplex) => {
    if ((socket as unknown as { writable?: boolean }).writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    } else {
      socket.destroy();
    }
  });
  const ws = attachWebSocket(server, ctx, {
    flushIntervalMs: options.flushIntervalMs,
    heartbeatMs: options.heartbeatMs,
  });
  try {
    await listen(server, requestedPort, host);
  } catch (e) {
    await ws.close();
    throw e;
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : requestedPort;
  policy.port = port;
  const urlHost = isWildcard(host) ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    host,
    clientCount: () => ctx.clients.size,
    clientsInfo: () =>
      [...ctx.clients].map((c) => ({ bufferedAmount: c.ws.bufferedAmount, pendingSize: c.pendingSize, ...c.stats })),
    droppedClients: () => ctx.stats.droppedClients,
    close: () => {
      if (closing) {
        return closing;
      }
      closing = (async () => {
        await ws.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections?.();
        });
      })();
      return closing;
    },
  };
}

export { isWildcard };
export type { LiveSource, LiveMessage };

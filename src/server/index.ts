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
import WebSocket, { WebSocketServer } from 'ws';
import type { Subscription } from 'rxjs';
import { UsageError } from '../errors';
import { ClientChannel, ClientLimits, DEFAULT_LIMITS, Outgoing } from './client';
import { allowedHostnames, hostAllowed, isWildcard, OriginPolicy, originAllowed } from './origin';
import { LiveMessage, LiveSource, MAX_CLIENT_MESSAGE_BYTES } from './protocol';

export { isLoopback } from './origin';
export type { ClientLimits } from './client';

/** web/dist of this package (works from src/server under vitest and from dist/server once compiled). */
export const DEFAULT_STATIC_DIR = path.resolve(__dirname, '..', '..', 'web', 'dist');

/** Largest accepted POST /api/power body. */
export const MAX_POWER_BODY_BYTES = 4096;

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
  clientsInfo(): { bufferedAmount: number; pendingSize: number; sent: number; coalesced: number; thinnedFrames: number }[];
  /** Clients dropped so far (stalled, over the buffer limit, or no pong). */
  droppedClients(): number;
  close(): Promise<void>;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/**
 * Validates a power reading from a client (HTTP body or WebSocket message). Returns the reading or an error text.
 */
export function parsePowerReading(value: unknown): { power: number; time?: number } | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object {"power": W, "time"?: s}';
  const v = value as Record<string, unknown>;
  if (typeof v.power !== 'number' || !Number.isFinite(v.power)) return '"power" must be a finite number (W)';
  if (v.power < 0 || v.power > 1e6) return '"power" must be between 0 and 1e6 W';
  if (v.time === undefined || v.time === null) return { power: v.power };
  if (typeof v.time !== 'number' || !Number.isFinite(v.time)) return '"time" must be a finite number (s)';
  return { power: v.power, time: v.time };
}

/**
 * A URL path is served only if it is plain: no backslash, no NUL or control characters, no '.' or '..' segment
 * after percent-decoding (once or twice), no encoded slash, no drive letter or double slash. sirv then serves only
 * files it listed under staticDir at start-up, so this is a second, independent fence.
 */
export function isSafeStaticPath(rawPath: string): boolean {
  if (!rawPath.startsWith('/') || rawPath.startsWith('//')) return false;
  if (rawPath.length > 1024) return false;
  let decoded = rawPath;
  for (let i = 0; i < 3; i++) {
    if (/[\\\0-\x1f\x7f]/.test(decoded)) return false;
    if (/%(2f|5c|00)/i.test(decoded)) return false;
    if (decoded.split('/').some((seg) => seg === '..' || seg === '.')) return false;
    if (/^\/?[a-zA-Z]:/.test(decoded)) return false;
    if (!decoded.includes('%')) return true;
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return false;
    }
  }
  return false; // still encoded after three rounds: nobody legitimate does that
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const requestedPort = opts.port ?? 8787;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new UsageError(`port must be an integer 0–65535, got ${requestedPort}`);
  }
  const source = opts.source;
  const staticDir = path.resolve(opts.staticDir ?? DEFAULT_STATIC_DIR);
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new UsageError(`the dashboard is not built (${path.join(staticDir, 'index.html')} missing): run \`npm run build\``);
  }
  const limits: ClientLimits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
  const log = opts.log ?? (() => undefined);
  const started = Date.now();

  const serveStatic = sirv(staticDir, {
    dev: false, // list the files once: only those can ever be served
    dotfiles: false,
    etag: true,
    extensions: ['html'],
    setHeaders: (res) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy',
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    },
  });

  const policy: OriginPolicy = { hostnames: allowedHostnames(host), port: requestedPort, extraOrigins: new Set(opts.allowedOrigins ?? []) };
  const clients = new Set<ClientChannel>();
  let latestStatus: LiveMessage | null = null;
  let hello: LiveMessage | null = null;
  let droppedClients = 0;

  const handlePowerPost = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const origin = req.headers.origin;
    if (!originAllowed(policy, origin)) {
      sendJson(res, 403, { error: `origin ${origin} not allowed` });
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_POWER_BODY_BYTES) {
      sendJson(res, 413, { error: `body larger than ${MAX_POWER_BODY_BYTES} bytes` });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      if (aborted) return;
      size += c.length;
      if (size > MAX_POWER_BODY_BYTES) {
        aborted = true;
        sendJson(res, 413, { error: `body larger than ${MAX_POWER_BODY_BYTES} bytes` });
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (aborted) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        sendJson(res, 400, { error: 'body is not valid JSON' });
        return;
      }
      const reading = parsePowerReading(body);
      if (typeof reading === 'string') {
        sendJson(res, 400, { error: reading });
        return;
      }
      try {
        source.ingestPower(reading);
      } catch (e) {
        sendJson(res, 400, { error: (e as Error).message });
        return;
      }
      sendJson(res, 200, { ok: true, power: reading.power, time: reading.time ?? null });
    });
  };

  const snapshotHello = (): LiveMessage | null => {
    try {
      return source.snapshot().find((m) => m.type === 'hello') ?? null;
    } catch {
      return null;
    }
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    try {
      if (!hostAllowed(policy, req.headers.host)) {
        sendJson(res, 421, { error: 'unknown Host' });
        return;
      }
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const rawPath = q >= 0 ? raw.slice(0, q) : raw;
      if (rawPath === '/api/status') {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.setHeader('Allow', 'GET, HEAD');
          sendJson(res, 405, { error: 'method not allowed' });
          return;
        }
        sendJson(res, 200, {
          ok: true,
          uptimeSeconds: (Date.now() - started) / 1000,
          clients: clients.size,
          droppedClients,
          hello: hello ?? snapshotHello(),
          status: latestStatus,
        });
        return;
      }
      if (rawPath === '/api/power') {
        if (req.method !== 'POST') {
          res.setHeader('Allow', 'POST');
          sendJson(res, 405, { error: 'method not allowed' });
          req.resume();
          return;
        }
        handlePowerPost(req, res);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        sendJson(res, 405, { error: 'method not allowed' });
        req.resume();
        return;
      }
      if (!isSafeStaticPath(rawPath)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('not found');
        return;
      }
      delete req.headers.range; // whole files only (the pages are small); avoids malformed-range edge cases
      serveStatic(req, res, () => {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('not found');
      });
    } catch (e) {
      log(`http: ${(e as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };

  const server = http.createServer(onRequest);
  server.on('clientError', (_err, socket: Duplex) => {
    if ((socket as unknown as { writable?: boolean }).writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });

  const refuseUpgrade = (socket: Duplex, status: number, text: string): void => {
    socket.on('error', () => undefined);
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const rawPath = (req.url ?? '').split('?')[0];
    if (rawPath !== '/ws') return refuseUpgrade(socket, 404, 'Not Found');
    if (!hostAllowed(policy, req.headers.host)) return refuseUpgrade(socket, 421, 'Misdirected Request');
    if (!originAllowed(policy, req.headers.origin)) {
      log(`ws: refused upgrade from origin ${req.headers.origin}`);
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    if (clients.size >= (opts.maxClients ?? 64)) {
      log('ws: refused a client: too many clients');
      return refuseUpgrade(socket, 503, 'Service Unavailable');
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  const onConnection = (ws: WebSocket): void => {
    const channel = new ClientChannel(ws, limits, (why) => {
      droppedClients++;
      clients.delete(channel);
      log(`ws: dropped a client: ${why}`);
    });
    clients.add(channel);
    ws.on('pong', () => { channel.alive = true; });
    ws.on('error', () => undefined);
    ws.on('close', () => { clients.delete(channel); });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return; // malformed: ignored
      }
      if (typeof msg !== 'object' || msg === null) return;
      const m = msg as { type?: unknown };
      if (m.type === 'power') {
        const reading = parsePowerReading(msg);
        if (typeof reading === 'string') return;
        try {
          source.ingestPower(reading);
        } catch (e) {
          log(`ws: ingestPower: ${(e as Error).message}`);
        }
      }
      // 'ping' is a keep-alive; anything else is ignored
    });
    let snapshot: LiveMessage[] = [];
    try {
      snapshot = source.snapshot();
    } catch (e) {
      log(`ws: snapshot failed: ${(e as Error).message}`);
    }
    for (const m of snapshot) channel.send(new Outgoing(m));
  };

  const subscription: Subscription = source.messages.subscribe({
    next: (msg) => {
      if (msg.type === 'status') latestStatus = msg;
      else if (msg.type === 'hello') hello = msg;
      if (clients.size === 0) return;
      const out = new Outgoing(msg);
      for (const c of clients) c.send(out);
    },
    error: (e) => log(`source error: ${(e as Error)?.message ?? String(e)}`),
  });

  const flushTimer = setInterval(() => {
    const now = Date.now();
    for (const c of clients) c.tick(now);
  }, opts.flushIntervalMs ?? 25);
  flushTimer.unref();

  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        c.drop('no pong');
        continue;
      }
      c.alive = false;
      try { c.ws.ping(); } catch { /* closing */ }
    }
  }, opts.heartbeatMs ?? 15_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      subscription.unsubscribe();
      clearInterval(flushTimer);
      clearInterval(heartbeat);
      if (e.code === 'EADDRINUSE') reject(new UsageError(`port ${requestedPort} on ${host} is already in use (try --port 0 for any free port)`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new UsageError(`cannot listen on ${host}: ${e.code}`));
      else reject(e);
    };
    server.once('error', onError);
    server.listen(requestedPort, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : requestedPort;
  policy.port = port;
  const urlHost = isWildcard(host) ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}/`;

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    host,
    clientCount: () => clients.size,
    clientsInfo: () => [...clients].map((c) => ({ bufferedAmount: c.ws.bufferedAmount, pendingSize: c.pendingSize, ...c.stats })),
    droppedClients: () => droppedClients,
    close: () => {
      if (closing) return closing;
      closing = (async () => {
        subscription.unsubscribe();
        clearInterval(flushTimer);
        clearInterval(heartbeat);
        for (const c of clients) c.close(1001, 'server shutting down');
        clients.clear();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
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

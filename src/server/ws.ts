/**
 * The WebSocket side of the live server: the upgrade at /ws (host, origin and client-count checks), one
 * ClientChannel per dashboard (snapshot first, then every message of the source), client power messages, the
 * broadcast of the source's messages, the flush of slow clients and the keep-alive heartbeat.
 */
import type * as http from 'http';
import type { Duplex } from 'stream';
import type { Subscription } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { ClientChannel, Outgoing } from './client';
import { hostAllowed, originAllowed } from './origin';
import { parsePowerReading } from './http';
import type { ServerContext } from './context';
import { MAX_CLIENT_MESSAGE_BYTES, type LiveMessage } from '../protocol';

export interface WebSocketOptions {
  /** How often slow clients are flushed / checked (ms, default 25). */
  flushIntervalMs?: number;
  /** Keep-alive ping interval (ms, default 15000); a client that misses one pong is dropped. */
  heartbeatMs?: number;
}

export interface AttachedWebSocket {
  /** Closes every client and stops the broadcast and the timers. */
  close(): Promise<void>;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function onClientMessage(ctx: ServerContext, data: WebSocket.RawData, isBinary: boolean): void {
  if (isBinary) {
    return;
  }
  let msg: unknown;
  try {
    msg = JSON.parse(data.toString());
  } catch {
    return; // malformed: ignored
  }
  if (typeof msg !== 'object' || msg === null || (msg as { type?: unknown }).type !== 'power') {
    return; // 'ping' is a keep-alive; anything else is ignored
  }
  const reading = parsePowerReading(msg);
  if (typeof reading === 'string') {
    return;
  }
  try {
    ctx.source.ingestPower(reading);
  } catch (e) {
    ctx.log(`ws: ingestPower: ${(e as Error).message}`);
  }
}

function onConnection(ctx: ServerContext, ws: WebSocket): void {
  const channel = new ClientChannel(ws, ctx.limits, (why) => {
    ctx.stats.droppedClients++;
    ctx.clients.delete(channel);
    ctx.log(`ws: dropped a client: ${why}`);
  });
  ctx.clients.add(channel);
  ws.on('pong', () => {
    channel.alive = true;
  });
  ws.on('error', () => undefined);
  ws.on('close', () => {
    ctx.clients.delete(channel);
  });
  ws.on('message', (data, isBinary) => onClientMessage(ctx, data, isBinary));
  let snapshot: LiveMessage[] = [];
  try {
    snapshot = ctx.source.snapshot();
  } catch (e) {
    ctx.log(`ws: snapshot failed: ${(e as Error).message}`);
  }
  for (const m of snapshot) {
    channel.send(new Outgoing(m));
  }
}

function broadcast(ctx: ServerContext): Subscription {
  return ctx.source.messages.subscribe({
    next: (msg) => {
      if (msg.type === 'status') {
        ctx.stats.latestStatus = msg;
      } else if (msg.type === 'hello') {
        ctx.stats.hello = msg;
      }
      if (ctx.clients.size === 0) {
        return;
      }
      const out = new Outgoing(msg);
      for (const c of ctx.clients) {
        c.send(out);
      }
    },
    error: (e) => ctx.log(`source error: ${(e as Error)?.message ?? String(e)}`),
  });
}

function startHeartbeat(ctx: ServerContext, everyMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    for (const c of ctx.clients) {
      if (!c.alive) {
        c.drop('no pong');
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        /* closing */
      }
    }
  }, everyMs);
  timer.unref();
  return timer;
}

/** Serves /ws on `server` over `ctx` and broadcasts the source's messages to every client. */
export function attachWebSocket(
  server: http.Server,
  ctx: ServerContext,
  options: WebSocketOptions = {},
): AttachedWebSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const rawPath = (req.url ?? '').split('?')[0];
    if (rawPath !== '/ws') {
      return refuseUpgrade(socket, 404, 'Not Found');
    }
    if (!hostAllowed(ctx.policy, req.headers.host)) {
      return refuseUpgrade(socket, 421, 'Misdirected Request');
    }
    if (!originAllowed(ctx.policy, req.headers.origin)) {
      ctx.log(`ws: refused upgrade from origin ${req.headers.origin}`);
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    if (ctx.clients.size >= ctx.maxClients) {
      ctx.log('ws: refused a client: too many clients');
      return refuseUpgrade(socket, 503, 'Service Unavailable');
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ctx, ws));
  });
  const subscription = broadcast(ctx);
  const flushTimer = setInterval(() => {
    const now = Date.now();
    for (const c of ctx.clients) {
      c.tick(now);
    }
  }, options.flushIntervalMs ?? 25);
  flushTimer.unref();
  const heartbeat = startHeartbeat(ctx, options.heartbeatMs ?? 15_000);
  let closing: Promise<void> | null = null;
  return {
    close: () => {
      if (closing) {
        return closing;
      }
      subscription.unsubscribe();
      clearInterval(flushTimer);
      clearInterval(heartbeat);
      for (const c of ctx.clients) {
        c.close(1001, 'server shutting down');
      }
      ctx.clients.clear();
      closing = new Promise<void>((resolve) => wss.close(() => resolve()));
      return closing;
    },
  };
}

/**
 * The HTTP side of the live server: the router (GET /api/status, POST /api/power, the dashboard's static
 * files) over a ServerContext, and the small helpers it needs (JSON replies, a bounded JSON body reader, the
 * power reading check, the static path fence).
 */
import type * as http from 'http';
import { hostAllowed, originAllowed } from './origin';
import type { ServerContext } from './context';
import type { LiveMessage } from '../protocol';

/** Largest accepted POST /api/power body. */
export const MAX_POWER_BODY_BYTES = 4096;

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'expected a JSON object {"power": W, "time"?: s}';
  }
  const v = value as Record<string, unknown>;
  if (typeof v.power !== 'number' || !Number.isFinite(v.power)) {
    return '"power" must be a finite number (W)';
  }
  if (v.power < 0 || v.power > 1e6) {
    return '"power" must be between 0 and 1e6 W';
  }
  if (v.time === undefined || v.time === null) {
    return { power: v.power };
  }
  if (typeof v.time !== 'number' || !Number.isFinite(v.time)) {
    return '"time" must be a finite number (s)';
  }
  return { power: v.power, time: v.time };
}

/**
 * A URL path is served only if it is plain: no backslash, no NUL or control characters, no '.' or '..' segment
 * after percent-decoding (once or twice), no encoded slash, no drive letter or double slash. sirv then serves only
 * files it listed under staticDir at start-up, so this is a second, independent fence.
 */
export function isSafeStaticPath(rawPath: string): boolean {
  if (!rawPath.startsWith('/') || rawPath.startsWith('//')) {
    return false;
  }
  if (rawPath.length > 1024) {
    return false;
  }
  let decoded = rawPath;
  for (let i = 0; i < 3; i++) {
    // control characters and backslashes in a request path are refused on purpose
    // eslint-disable-next-line no-control-regex
    if (/[\\\0-\x1f\x7f]/.test(decoded)) {
      return false;
    }
    if (/%(2f|5c|00)/i.test(decoded)) {
      return false;
    }
    if (decoded.split('/').some((seg) => seg === '..' || seg === '.')) {
      return false;
    }
    if (/^\/?[a-zA-Z]:/.test(decoded)) {
      return false;
    }
    if (!decoded.includes('%')) {
      return true;
    }
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return false;
    }
  }
  return false; // still encoded after three rounds: nobody legitimate does that
}

export type JsonBody = { ok: true; body: unknown } | { ok: false; status: number; error: string };

/** Reads a JSON request body of at most `limit` bytes (413 beyond, 400 when not JSON). */
export function readJsonBody(req: http.IncomingMessage, limit: number): Promise<JsonBody> {
  return new Promise((resolve) => {
    const tooLarge: JsonBody = { ok: false, status: 413, error: `body larger than ${limit} bytes` };
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      resolve(tooLarge);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk: Buffer) => {
      if (aborted) {
        return;
      }
      size += chunk.length;
      if (size > limit) {
        aborted = true;
        req.resume();
        resolve(tooLarge);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (aborted) {
        return;
      }
      try {
        resolve({ ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        resolve({ ok: false, status: 400, error: 'body is not valid JSON' });
      }
    });
  });
}

async function handlePowerPost(ctx: ServerContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const origin = req.headers.origin;
  if (!originAllowed(ctx.policy, origin)) {
    sendJson(res, 403, { error: `origin ${origin} not allowed` });
    req.resume();
    return;
  }
  const read = await readJsonBody(req, MAX_POWER_BODY_BYTES);
  if (!read.ok) {
    sendJson(res, read.status, { error: read.error });
    return;
  }
  const reading = parsePowerReading(read.body);
  if (typeof reading === 'string') {
    sendJson(res, 400, { error: reading });
    return;
  }
  try {
    ctx.source.ingestPower(reading);
  } catch (e) {
    sendJson(res, 400, { error: (e as Error).message });
    return;
  }
  sendJson(res, 200, { ok: true, power: reading.power, time: reading.time ?? null });
}

function snapshotHello(ctx: ServerContext): LiveMessage | null {
  try {
    return ctx.source.snapshot().find((m) => m.type === 'hello') ?? null;
  } catch {
    return null;
  }
}

function methodNotAllowed(res: http.ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendJson(res, 405, { error: 'method not allowed' });
}

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('not found');
}

function route(
  ctx: ServerContext,
  serveStatic: (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  if (!hostAllowed(ctx.policy, req.headers.host)) {
    sendJson(res, 421, { error: 'unknown Host' });
    return;
  }
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawPath = q >= 0 ? raw.slice(0, q) : raw;
  if (rawPath === '/api/status') {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      methodNotAllowed(res, 'GET, HEAD');
      return;
    }
    sendJson(res, 200, {
      ok: true,
      uptimeSeconds: (Date.now() - ctx.started) / 1000,
      clients: ctx.clients.size,
      droppedClients: ctx.stats.droppedClients,
      hello: ctx.stats.hello ?? snapshotHello(ctx),
      status: ctx.stats.latestStatus,
    });
    return;
  }
  if (rawPath === '/api/power') {
    if (req.method !== 'POST') {
      methodNotAllowed(res, 'POST');
      req.resume();
      return;
    }
    void handlePowerPost(ctx, req, res);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    methodNotAllowed(res, 'GET, HEAD');
    req.resume();
    return;
  }
  if (!isSafeStaticPath(rawPath)) {
    notFound(res);
    return;
  }
  delete req.headers.range; // whole files only (the pages are small); avoids malformed-range edge cases
  serveStatic(req, res, () => notFound(res));
}

/** The request handler of the live server over `ctx`, serving the page with `serveStatic` (sirv). */
export function createRequestHandler(
  ctx: ServerContext,
  serveStatic: (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    try {
      route(ctx, serveStatic, req, res);
    } catch (e) {
      ctx.log(`http: ${(e as Error).message}`);
      if (!res.headersSent) {
        sendJson(res, 500, { error: 'internal error' });
      } else {
        res.destroy();
      }
    }
  };
}

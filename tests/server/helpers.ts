import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as crypto from 'crypto';
import WebSocket from 'ws';
import type { LiveMessage } from '../../src/protocol';

/** A throw-away static dir with a page, an asset, a dotfile, and a secret file NEXT TO it (must never be served). */
export function makeStaticTree(): { root: string; staticDir: string; secret: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-srv-'));
  const staticDir = path.join(root, 'public');
  fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>pyrolive test page</title>');
  fs.writeFileSync(path.join(staticDir, 'main.js'), 'console.log("main");');
  fs.writeFileSync(path.join(staticDir, 'assets', 'a.css'), 'body{}');
  fs.writeFileSync(path.join(staticDir, '.env'), 'HIDDEN=1');
  const secret = 'TOP-SECRET-' + crypto.randomBytes(6).toString('hex');
  fs.writeFileSync(path.join(root, 'secret.txt'), secret);
  fs.writeFileSync(path.join(root, 'public.txt'), secret); // a sibling whose name shares the prefix 'public'
  return { root, staticDir, secret };
}

/** Sends one raw HTTP request line (no client-side normalisation at all) and returns status and body. */
export function rawRequest(
  port: number,
  requestLine: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; raw: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      const body = raw.split('\r\n\r\n').slice(1).join('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : 0, body, raw });
    });
    const h = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
    sock.write(
      Buffer.from(
        `${requestLine}\r\n${Object.entries(h)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`,
        'latin1',
      ),
    );
  });
}

export async function postJson(
  port: number,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/power`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not json */
  }
  return { status: res.status, json };
}

/** A ws client collecting parsed messages. */
export class TestClient {
  readonly messages: LiveMessage[] = [];
  readonly ws: WebSocket;
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => {
      try {
        this.messages.push(JSON.parse(data.toString()));
      } catch {
        /* keep going */
      }
      for (const w of this.waiters.splice(0)) {
        w();
      }
    });
    this.ws.on('close', (code) => {
      this.closeCode = code;
      for (const w of this.waiters.splice(0)) {
        w();
      }
    });
    this.ws.on('error', () => undefined);
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) {
        return resolve();
      }
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  async waitFor(pred: (msgs: LiveMessage[]) => boolean, timeoutMs = 3000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred(this.messages)) {
      if (Date.now() > end) {
        throw new Error(
          `timed out; got ${this.messages.length} messages: ${this.messages
            .slice(-3)
            .map((m) => m.type)
            .join(',')}`,
        );
      }
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async closed(timeoutMs = 3000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      if (Date.now() > end) {
        throw new Error('not closed');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closeCode;
  }
}

/** Result of a WebSocket upgrade attempt: 101 or the refusal status. */
export function tryUpgrade(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve(-1));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real stalled client: a raw TCP socket completes the WebSocket upgrade and then never reads again, while the
 * server pushes tens of MB. Its send buffer must stay bounded, it must be dropped, and a normal client must keep
 * receiving everything up to the latest message.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, RunningServer } from '../../src/server';
import type { FrameMessage, LiveMessage } from '../../src/protocol';
import { createFakeSource, FakeSource } from './fake-source';
import { makeStaticTree, sleep, TestClient } from './helpers';
import { ClientChannel, DEFAULT_LIMITS, Outgoing } from '../../src/server/client';

function stalledClient(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const key = crypto.randomBytes(16).toString('base64');
    sock.once('error', reject);
    sock.write(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    sock.once('data', (d) => {
      if (!d.toString('latin1').startsWith('HTTP/1.1 101')) {
        return reject(new Error(d.toString('latin1')));
      }
      sock.pause(); // never read again: the kernel buffers fill, then the server's
      resolve(sock);
    });
  });
}

const bigSpectrum = (index: number, n: number): LiveMessage => {
  const a = Array.from({ length: n }, (_, i) => 1000 + ((i * 7919 + index) % 10007) / 7);
  return { type: 'spectrum', index, wavelength: a, radiance: a, fit: a, mask: a.map(() => 0) };
};

describe('slow and stalled clients', () => {
  let tree: ReturnType<typeof makeStaticTree>;
  let server: RunningServer;
  let source: FakeSource;
  const limits = { highWaterMark: 1 << 20, stallTimeoutMs: 1500, maxBufferedBytes: 6 << 20, maxPendingFrames: 2000 };
  beforeAll(async () => {
    tree = makeStaticTree();
    source = createFakeSource([{ type: 'hello', version: '0', source: 'bp', range: null, rois: [] }]);
    server = await startServer({ port: 0, source, staticDir: tree.staticDir, limits, flushIntervalMs: 10 });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(tree.root, { recursive: true, force: true });
  });

  it('bounds a stalled client, drops it, and the other client keeps up', async () => {
    const stalled = await stalledClient(server.port);
    let stalledClosed = false;
    stalled.on('close', () => {
      stalledClosed = true;
    });
    stalled.on('error', () => undefined);
    const normal = new TestClient(`ws://127.0.0.1:${server.port}/ws`);
    await normal.opened();
    expect(server.clientCount()).toBe(2);

    let maxBuffered = 0;
    let maxPending = 0;
    let index = 0;
    const started = Date.now();
    let bytes = 0;
    // ~20 MB/s for up to 6 s: far more than the kernel buffers of a loopback socket can hold
    while (Date.now() - started < 6000 && !(server.droppedClients() > 0 && index > 200)) {
      const msg = bigSpectrum(index++, 12_000);
      bytes += JSON.stringify(msg).length;
      source.push(msg);
      source.push({
        type: 'frames',
        frames: [
          {
            index,
            time: index,
            power: 1,
            temperature: 2000,
            temperatureError: 3,
            chi2: 1,
            flags: [],
            twoColor: null,
            latencyMs: 0.2,
          } as FrameMessage,
        ],
      });
      for (const c of server.clientsInfo()) {
        maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
        maxPending = Math.max(maxPending, c.pendingSize);
      }
      await sleep(10);
    }
    const lastIndex = index - 1;
    expect(bytes).toBeGreaterThan(30e6);
    console.log(
      `pushed ${(bytes / 1e6).toFixed(0)} MB in ${Date.now() - started} ms; max bufferedAmount ${maxBuffered}, max pending ${maxPending}`,
    );
    // the stalled client was dropped (the server closed its socket: once it reads again it sees the end)
    expect(server.droppedClients()).toBe(1);
    stalled.resume();
    const until = Date.now() + 3000;
    while (!stalledClosed && Date.now() < until) {
      await sleep(20);
    }
    expect(stalledClosed).toBe(true);
    expect(server.clientCount()).toBe(1);
    // memory held for any client stayed bounded: never above the hard cap, nor more than the frame cap pending
    expect(maxBuffered).toBeLessThanOrEqual(limits.maxBufferedBytes);
    expect(maxPending).toBeLessThanOrEqual(limits.maxPendingFrames + 4);
    // the normal client got the latest spectrum, and every frame in order
    await normal.waitFor((m) => m.some((x) => x.type === 'spectrum' && x.index === lastIndex), 5000);
    const frames = normal.messages.flatMap((x) => (x.type === 'frames' ? x.frames.map((f) => f.index) : []));
    expect(frames[frames.length - 1]).toBe(lastIndex + 1);
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i]).toBeGreaterThan(frames[i - 1]);
    }
    normal.ws.close();
    stalled.destroy();
  }, 30_000);
});

/** The coalescing rules, on a fake socket whose bufferedAmount the test controls. */
describe('ClientChannel coalescing', () => {
  class FakeWs {
    readyState = 1;
    bufferedAmount = 0;
    sent: LiveMessage[] = [];
    terminated = false;
    send(text: string) {
      this.sent.push(JSON.parse(text));
    }
    terminate() {
      this.terminated = true;
      this.readyState = 3;
    }
    close() {
      this.readyState = 3;
    }
  }
  const f = (index: number) => ({
    index,
    time: index,
    power: 1,
    temperature: 1,
    temperatureError: 1,
    chi2: 1,
    flags: [],
    twoColor: null,
    latencyMs: 0,
  });
  const ev = (id: string, endPower: number | null) => ({
    id,
    run: 0,
    kind: 'plateau' as const,
    startPower: 24,
    endPower,
    startIndex: 1,
    endIndex: null,
    detectedAtIndex: 2,
    slopeBefore: 80,
    slopeAfter: 5,
    temperature: 3100,
    significance: 5,
  });

  it('keeps the latest spectrum/status, merges and caps frames, keeps every event', () => {
    const ws = new FakeWs();
    let dropped = '';
    const ch = new ClientChannel(
      ws as any,
      { ...DEFAULT_LIMITS, highWaterMark: 100, maxPendingFrames: 10, maxFramesPerMessage: 4, stallTimeoutMs: 1000 },
      (w) => {
        dropped = w;
      },
    );
    ch.send(new Outgoing({ type: 'frames', frames: [f(0)] }));
    expect(ws.sent).toHaveLength(1);
    ws.bufferedAmount = 500; // slow from now on
    for (let i = 1; i <= 30; i++) {
      ch.send(new Outgoing({ type: 'frames', frames: [f(i)] }));
    }
    ch.send(new Outgoing({ type: 'event', event: ev('a', null) }));
    ch.send(new Outgoing({ type: 'event', event: ev('b', null) }));
    ch.send(new Outgoing({ type: 'event', event: ev('a', 29) }));
    for (let i = 0; i < 5; i++) {
      ch.send(new Outgoing({ type: 'spectrum', index: i, wavelength: [1], radiance: [1], fit: [1], mask: [0] }));
    }
    for (let i = 0; i < 3; i++) {
      ch.send(
        new Outgoing({
          type: 'status',
          framesPerSecond: i,
          latencyP50: 0,
          latencyP99: 0,
          frames: i,
          flagged: {},
          source: 's',
          running: true,
          run: 0,
          sourceState: { state: 'running' as const },
        }),
      );
    }
    expect(ws.sent).toHaveLength(1);
    expect(ch.pendingSize).toBe(10 + 2 + 1 + 1);
    ch.tick(Date.now()); // still full: nothing sent
    expect(ws.sent).toHaveLength(1);
    ws.bufferedAmount = 0;
    ch.tick(Date.now());
    const types = ws.sent.slice(1).map((m) => m.type);
    expect(types).toEqual(['frames', 'frames', 'frames', 'event', 'event', 'spectrum', 'status']);
    const frames = ws.sent.slice(1).flatMap((m) => (m.type === 'frames' ? m.frames.map((x) => x.index) : []));
    expect(frames).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(ch.stats.thinnedFrames).toBe(20);
    const events = ws.sent
      .filter((m) => m.type === 'event')
      .map((m) => (m.type === 'event' ? [m.event.id, m.event.endPower] : null));
    expect(events).toEqual([
      ['b', null],
      ['a', 29],
    ]);
    expect(ws.sent.find((m) => m.type === 'spectrum')).toMatchObject({ index: 4 });
    expect(ws.sent.find((m) => m.type === 'status')).toMatchObject({ frames: 2 });
    expect(dropped).toBe('');
    expect(ch.pendingSize).toBe(0);
  });

  it('a reset discards the pending history it makes obsolete; a long stall drops the client', () => {
    const ws = new FakeWs();
    let dropped = '';
    const ch = new ClientChannel(ws as any, { ...DEFAULT_LIMITS, highWaterMark: 100, stallTimeoutMs: 1000 }, (w) => {
      dropped = w;
    });
    ws.bufferedAmount = 200;
    const t0 = Date.now();
    ch.send(new Outgoing({ type: 'frames', frames: [f(1), f(2)] }));
    ch.send(new Outgoing({ type: 'event', event: ev('a', null) }));
    ch.send(new Outgoing({ type: 'reset', reason: 'looped', run: 1 }));
    ch.send(new Outgoing({ type: 'frames', frames: [f(0)] }));
    expect(ch.pendingSize).toBe(2);
    ch.tick(t0 + 500);
    expect(ws.terminated).toBe(false);
    ch.tick(t0 + 1600);
    expect(ws.terminated).toBe(true);
    expect(dropped).toMatch(/stalled/);
    expect(ch.pendingSize).toBe(0);
  });

  it('a flush reuses the JSON built once for the broadcast; merged frames are serialised anew', () => {
    const fast = new FakeWs();
    const slow = new FakeWs();
    const texts = (ws: FakeWs) => {
      const t: string[] = [];
      const send = ws.send.bind(ws);
      ws.send = (x: string) => {
        t.push(x);
        send(x);
      };
      return t;
    };
    const fastText = texts(fast);
    const slowText = texts(slow);
    const limits = { ...DEFAULT_LIMITS, highWaterMark: 100, maxFramesPerMessage: 4 };
    const a = new ClientChannel(fast as any, limits, () => undefined);
    const b = new ClientChannel(slow as any, limits, () => undefined);
    slow.bufferedAmount = 500;
    const broadcast = (m: LiveMessage) => {
      const out = new Outgoing(m);
      a.send(out);
      b.send(out);
    };
    const spy = vi.spyOn(JSON, 'stringify');
    try {
      broadcast({ type: 'hello', version: '1', source: 's', range: null, rois: ['DS', 'US'] });
      broadcast({ type: 'frames', frames: [f(1), f(2)] });
      broadcast({ type: 'event', event: ev('a', null) });
      broadcast({ type: 'spectrum', index: 2, wavelength: [1], radiance: [1], fit: [1], mask: [0] });
      broadcast({
        type: 'status',
        framesPerSecond: 1,
        latencyP50: 0,
        latencyP99: 0,
        frames: 2,
        flagged: {},
        source: 's',
        running: true,
        run: 0,
        sourceState: { state: 'running' as const },
      });
      expect(spy).toHaveBeenCalledTimes(5); // once per message, by the fast client's send
      slow.bufferedAmount = 0;
      b.tick(Date.now());
      expect(spy).toHaveBeenCalledTimes(5); // the flush built no JSON: one frames message held as it came
      expect(slowText).toEqual(fastText);
      expect(slowText.every((t, i) => t === fastText[i])).toBe(true);
      // two held frames messages are merged into a new message: built once, for this client
      slow.bufferedAmount = 500;
      broadcast({ type: 'frames', frames: [f(3)] });
      broadcast({ type: 'frames', frames: [f(4)] });
      slow.bufferedAmount = 0;
      spy.mockClear();
      b.tick(Date.now());
      expect(spy).toHaveBeenCalledTimes(1);
      expect(slow.sent.at(-1)).toEqual({ type: 'frames', frames: [f(3), f(4)] });
    } finally {
      spy.mockRestore();
    }
  });

  it('drops at once past the hard buffer cap', () => {
    const ws = new FakeWs();
    let dropped = '';
    const ch = new ClientChannel(ws as any, { ...DEFAULT_LIMITS, highWaterMark: 100, maxBufferedBytes: 1000 }, (w) => {
      dropped = w;
    });
    ws.bufferedAmount = 5000;
    ch.send(new Outgoing({ type: 'frames', frames: [f(1)] }));
    expect(ws.terminated).toBe(true);
    expect(dropped).toMatch(/buffer/);
  });
});

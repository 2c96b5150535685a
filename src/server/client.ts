/**
 * One connected dashboard: a bounded send queue in front of a WebSocket.
 *
 * While the socket drains (ws.bufferedAmount below the high-water mark and nothing pending), each message is sent
 * at once (the broadcast's JSON is serialised once and shared; held messages keep it for their flush). When the
 * client falls behind, messages are
 * coalesced instead of queued: only the latest spectrum and status are kept, frames are merged and capped to the
 * most recent `maxPendingFrames` (the display may be thinned, the recording never is), events are kept (an update
 * of an event replaces its pending earlier version), and a reset discards what it makes obsolete. Memory per
 * client is therefore bounded whatever the client does. A client that stays above the high-water mark for longer
 * than `stallTimeoutMs`, or whose buffer passes `maxBufferedBytes`, is terminated.
 */
import WebSocket from 'ws';
import type { FrameMessage, LiveMessage } from '../protocol';

export interface ClientLimits {
  /** Send directly while ws.bufferedAmount is below this (bytes). */
  highWaterMark: number;
  /** A client above the high-water mark for this long is dropped (ms). */
  stallTimeoutMs: number;
  /** A client whose buffered bytes pass this is dropped at once. */
  maxBufferedBytes: number;
  /** At most this many frames are kept pending for a slow client (oldest thinned first). */
  maxPendingFrames: number;
  /** At most this many frames per coalesced `frames` message. */
  maxFramesPerMessage: number;
}

export const DEFAULT_LIMITS: ClientLimits = {
  highWaterMark: 1 << 20,
  stallTimeoutMs: 10_000,
  maxBufferedBytes: 8 << 20,
  maxPendingFrames: 5000,
  maxFramesPerMessage: 1000,
};

/** A message and (lazily) its JSON, shared by every client it is broadcast to. */
export class Outgoing {
  private json: string | null = null;
  constructor(readonly message: LiveMessage) {}
  get text(): string {
    if (this.json === null) {
      this.json = JSON.stringify(this.message);
    }
    return this.json;
  }
}

export interface ClientStats {
  sent: number;
  coalesced: number;
  thinnedFrames: number;
}

export class ClientChannel {
  readonly stats: ClientStats = { sent: 0, coalesced: 0, thinnedFrames: 0 };
  private pending = false;
  // Held messages keep their Outgoing, so what is flushed reuses the broadcast's JSON (built once for all clients).
  private pendingHello: Outgoing | null = null;
  private pendingReset: Outgoing | null = null;
  private pendingEvents = new Map<string, Outgoing>();
  private pendingFrames: FrameMessage[] = [];
  /** The one `frames` message whose frames are exactly `pendingFrames` (nothing merged or thinned), else null. */
  private pendingFramesOut: Outgoing | null = null;
  private pendingSpectrum: Outgoing | null = null;
  private pendingStatus: Outgoing | null = null;
  private stalledSince: number | null = null;
  private closed = false;
  /** Answered the last keep-alive ping (set by the server's pong handler, cleared when it pings). */
  alive = true;

  constructor(
    readonly ws: WebSocket,
    private readonly limits: ClientLimits,
    private readonly onDrop: (why: string) => void,
  ) {}

  get isPending(): boolean {
    return this.pending;
  }

  /** Number of messages/frames held for this client (for tests and /api/status). */
  get pendingSize(): number {
    return (
      this.pendingFrames.length +
      this.pendingEvents.size +
      (this.pendingSpectrum ? 1 : 0) +
      (this.pendingStatus ? 1 : 0) +
      (this.pendingReset ? 1 : 0) +
      (this.pendingHello ? 1 : 0)
    );
  }

  send(out: Outgoing): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (!this.pending && this.ws.bufferedAmount < this.limits.highWaterMark) {
      this.write(out.text);
      return;
    }
    this.hold(out);
    this.check(Date.now());
  }

  /** Called periodically: flush what is held once the socket has drained, drop a client stalled too long. */
  tick(now: number): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (!this.check(now)) {
      return;
    }
    if (this.pending && this.ws.bufferedAmount < this.limits.highWaterMark) {
      this.flush();
    }
  }

  close(code: number, reason: string): void {
    this.closed = true;
    this.clear();
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  private write(text: string): void {
    this.stats.sent++;
    this.ws.send(text);
  }

  /** Returns false when the client was dropped. */
  private check(now: number): boolean {
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.limits.maxBufferedBytes) {
      this.drop(`send buffer over ${this.limits.maxBufferedBytes} bytes`);
      return false;
    }
    if (buffered >= this.limits.highWaterMark) {
      if (this.stalledSince === null) {
        this.stalledSince = now;
      } else if (now - this.stalledSince > this.limits.stallTimeoutMs) {
        this.drop(`stalled for more than ${this.limits.stallTimeoutMs} ms`);
        return false;
      }
    } else {
      this.stalledSince = null;
    }
    return true;
  }

  /** Terminates the connection and tells the server why (once). */
  drop(why: string): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.clear();
    this.ws.terminate();
    this.onDrop(why);
  }

  private clear(): void {
    this.pending = false;
    this.pendingHello = this.pendingReset = this.pendingSpectrum = this.pendingStatus = null;
    this.pendingEvents.clear();
    this.pendingFrames = [];
    this.pendingFramesOut = null;
  }

  private hold(out: Outgoing): void {
    const msg = out.message;
    this.pending = true;
    this.stats.coalesced++;
    switch (msg.type) {
      case 'hello':
        this.pendingHello = out;
        break;
      case 'reset':
        // everything before a reset is history the client is about to clear
        this.pendingReset = out;
        this.pendingEvents.clear();
        this.stats.thinnedFrames += this.pendingFrames.length;
        this.pendingFrames = [];
        this.pendingFramesOut = null;
        this.pendingSpectrum = null;
        break;
      case 'event':
        this.pendingEvents.delete(msg.event.id); // keep insertion order = order of the latest update
        this.pendingEvents.set(msg.event.id, out);
        break;
      case 'frames': {
        const frames = this.pendingFrames;
        this.pendingFramesOut = frames.length === 0 ? out : null;
        for (const f of msg.frames) {
          frames.push(f);
        }
        const excess = frames.length - this.limits.maxPendingFrames;
        if (excess > 0) {
          frames.splice(0, excess);
          this.stats.thinnedFrames += excess;
          this.pendingFramesOut = null;
        }
        break;
      }
      case 'spectrum':
        this.pendingSpectrum = out;
        break;
      case 'status':
        this.pendingStatus = out;
        break;
      default:
        break; // unknown message kinds from a newer pipeline are not worth holding for a slow client
    }
  }

  private flush(): void {
    const out: Outgoing[] = [];
    if (this.pendingHello) {
      out.push(this.pendingHello);
    }
    if (this.pendingReset) {
      out.push(this.pendingReset);
    }
    const frames = this.pendingFrames;
    const max = this.limits.maxFramesPerMessage;
    if (this.pendingFramesOut && frames.length > 0 && frames.length <= max) {
      out.push(this.pendingFramesOut); // one message held as it came: its broadcast text is still right
    } else {
      // merged frames are a new message: serialised here, once, for this client only
      for (let i = 0; i < frames.length; i += max) {
        out.push(new Outgoing({ type: 'frames', frames: frames.slice(i, i + max) }));
      }
    }
    // events after the frames they refer to, so the client can place them on its curves
    for (const e of this.pendingEvents.values()) {
      out.push(e);
    }
    if (this.pendingSpectrum) {
      out.push(this.pendingSpectrum);
    }
    if (this.pendingStatus) {
      out.push(this.pendingStatus);
    }
    this.clear();
    for (const m of out) {
      this.write(m.text);
    }
  }
}

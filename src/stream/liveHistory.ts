/**
 * LiveHistory: what a dashboard that connects mid-run needs first — the hello, the latest `maxFrames` frames of
 * the current run, its events, the latest spectrum and status — kept up to date from the messages the pipeline
 * publishes. A reset clears the run's frames, events and spectrum; an event of another run than the current one
 * is refused (record returns false and the pipeline does not broadcast it), so nothing of an old run reappears.
 * Memory is bounded: at most 1.25 × maxFrames frames and the events of one run.
 */
import type { FrameMessage, LiveEvent, LiveMessage } from '../protocol';

export type HelloMessage = Extract<LiveMessage, { type: 'hello' }>;

/** Frames per message of a snapshot. */
const SNAPSHOT_CHUNK = 1000;

export class LiveHistory {
  private readonly maxFrames: number;
  private helloMessage: HelloMessage;
  private frames: FrameMessage[] = [];
  private readonly events = new Map<string, LiveEvent>();
  private spectrum: LiveMessage | null = null;
  private status: Extract<LiveMessage, { type: 'status' }> | null = null;
  private currentRun = 0;
  private handedOff = 0;

  constructor(hello: HelloMessage, maxFrames = 5000) {
    this.helloMessage = { ...hello, run: 0 };
    this.maxFrames = maxFrames;
  }

  get hello(): HelloMessage {
    return this.helloMessage;
  }

  get run(): number {
    return this.currentRun;
  }

  /** Frames handed off so far (all runs). */
  get framesHandedOff(): number {
    return this.handedOff;
  }

  /** The latest status message, or null. */
  get latestStatus(): Extract<LiveMessage, { type: 'status' }> | null {
    return this.status;
  }

  /** Takes in a message about to be broadcast; false: it must not be (an event of another run). */
  record(message: LiveMessage): boolean {
    switch (message.type) {
      case 'frames':
        this.addFrames(message.frames);
        return true;
      case 'event':
        return this.recordEvent(message.event);
      case 'spectrum':
        this.spectrum = message;
        return true;
      case 'status':
        this.status = message;
        return true;
      case 'reset':
        this.currentRun = message.run;
        this.helloMessage = { ...this.helloMessage, run: message.run };
        this.frames = [];
        this.events.clear();
        this.spectrum = null;
        return true;
      case 'hello':
        this.helloMessage = { ...message, run: this.currentRun };
        return true;
      default:
        return true;
    }
  }

  /** The messages that bring a new client up to date (hello first). */
  snapshot(): LiveMessage[] {
    const out: LiveMessage[] = [this.helloMessage];
    const start = Math.max(0, this.frames.length - this.maxFrames);
    for (let i = start; i < this.frames.length; i += SNAPSHOT_CHUNK) {
      out.push({ type: 'frames', frames: this.frames.slice(i, Math.min(i + SNAPSHOT_CHUNK, this.frames.length)) });
    }
    for (const event of this.events.values()) {
      out.push({ type: 'event', event });
    }
    if (this.spectrum) {
      out.push(this.spectrum);
    }
    if (this.status) {
      out.push(this.status);
    }
    return out;
  }

  private addFrames(frames: FrameMessage[]): void {
    this.handedOff += frames.length;
    for (const frame of frames) {
      this.frames.push(frame);
    }
    if (this.frames.length > this.maxFrames * 1.25) {
      this.frames = this.frames.slice(this.frames.length - this.maxFrames);
    }
  }

  private recordEvent(event: LiveEvent): boolean {
    if (event.run !== this.currentRun) {
      return false;
    }
    if (event.retracted) {
      this.events.delete(event.id);
    } else {
      this.events.set(event.id, event);
    }
    return true;
  }
}

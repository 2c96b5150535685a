/**
 * The WebSocket to the server with automatic reconnect: exponential backoff from 0.5 s to 10 s with jitter,
 * reset once a connection has stayed open. Messages are handed over parsed; malformed ones are skipped.
 */
import type { LiveMessage } from '../../src/protocol';

export type ConnState = 'connecting' | 'open' | 'closed';

export interface ConnectionHandlers {
  onOpen(): void;
  onMessage(msg: LiveMessage): void;
  onState(state: ConnState, retryInMs: number | null): void;
}

export function connect(url: string, h: ConnectionHandlers): { close(): void } {
  let attempt = 0;
  let ws: WebSocket | null = null;
  let timer: number | undefined;
  let stopped = false;

  const open = () => {
    h.onState('connecting', null);
    try {
      ws = new WebSocket(url);
    } catch {
      schedule();
      return;
    }
    let openedAt = 0;
    ws.onopen = () => {
      openedAt = Date.now();
      h.onState('open', null);
      h.onOpen();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') {
        return;
      }
      let msg: LiveMessage;
      try {
        msg = JSON.parse(ev.data) as LiveMessage;
      } catch {
        return;
      }
      if (msg && typeof msg === 'object' && typeof msg.type === 'string') {
        h.onMessage(msg);
      }
    };
    ws.onclose = () => {
      ws = null;
      if (openedAt && Date.now() - openedAt > 5000) {
        attempt = 0;
      } // it was a good connection: retry quickly
      if (!stopped) {
        schedule();
      }
    };
    ws.onerror = () => undefined; // onclose follows and reconnects; nothing to log for the user
  };

  const schedule = () => {
    const base = Math.min(10_000, 500 * 2 ** attempt);
    attempt = Math.min(attempt + 1, 10);
    const delay = Math.round(base * (1 + 0.25 * Math.random()));
    h.onState('closed', delay);
    timer = window.setTimeout(open, delay);
  };

  open();
  return {
    close() {
      stopped = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      ws?.close();
    },
  };
}

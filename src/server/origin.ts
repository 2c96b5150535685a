/**
 * Who may talk to the server: loopback detection, the set of host names the page can be reached under, and the
 * Origin / Host checks that keep other web pages (including DNS-rebinding ones) from driving the WebSocket or
 * posting laser powers.
 */
import * as net from 'net';
import * as os from 'os';

/** True when `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) {
    h = h.slice(1, -1);
  }
  if (h === 'localhost' || h.endsWith('.localhost')) {
    return true;
  }
  if (net.isIPv4(h)) {
    return h.split('.')[0] === '127';
  }
  if (net.isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') {
      return true;
    }
    const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return m ? m[1].split('.')[0] === '127' : false;
  }
  return false;
}

/** True for the wildcard addresses that listen on every interface. */
export function isWildcard(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === '0.0.0.0' || h === '::' || h === '[::]' || h === '';
}

function bracket(h: string): string {
  return net.isIPv6(h) ? `[${h}]` : h;
}

/**
 * The host names (lower case, without port, IPv6 in brackets) under which a browser may legitimately reach a
 * server bound to `bindHost`.
 */
export function allowedHostnames(bindHost: string): Set<string> {
  const names = new Set<string>(['127.0.0.1', 'localhost', '[::1]']);
  if (isLoopback(bindHost)) {
    names.add(bracket(bindHost.toLowerCase().replace(/^\[|\]$/g, '')));
    return names;
  }
  if (isWildcard(bindHost)) {
    names.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) {
        names.add(bracket(a.address.toLowerCase().replace(/%.*$/, '')));
      }
    }
    return names;
  }
  names.add(bracket(bindHost.toLowerCase().replace(/^\[|\]$/g, '')));
  names.add(os.hostname().toLowerCase());
  return names;
}

/** Splits a Host header value into host name (lower case, brackets kept) and port, or null when malformed. */
export function parseHostHeader(value: string | undefined): { hostname: string; port: number | null } | null {
  if (!value) {
    return null;
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/\\@\s]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) {
    return null;
  }
  return { hostname: m[1].toLowerCase(), port: m[2] === undefined ? null : Number(m[2]) };
}

export interface OriginPolicy {
  /** Host names allowed in Host / Origin (from allowedHostnames). */
  hostnames: Set<string>;
  /** The port the server listens on. */
  port: number;
  /** Extra full origins accepted verbatim, e.g. 'https://beamline.example.org'. */
  extraOrigins: Set<string>;
}

/** Is the request's Host header one of ours (defeats DNS rebinding)? A missing Host is accepted (HTTP/1.0 tools). */
export function hostAllowed(policy: OriginPolicy, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) {
    return true;
  }
  const h = parseHostHeader(hostHeader);
  if (!h) {
    return false;
  }
  const port = h.port ?? 80;
  return port === policy.port && policy.hostnames.has(h.hostname);
}

/**
 * Is this Origin the page's own? A missing Origin (command-line tools, scripts: not a browser page) is allowed;
 * any Origin present must be http://<one of our host names>:<our port>, or listed in extraOrigins. 'null'
 * (sandboxed frames, file:// pages) is refused.
 */
export function originAllowed(policy: OriginPolicy, origin: string | undefined): boolean {
  if (origin === undefined) {
    return true;
  }
  if (policy.extraOrigins.has(origin)) {
    return true;
  }
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:') {
    return false;
  }
  if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
    return false;
  }
  const port = u.port === '' ? 80 : Number(u.port);
  return port === policy.port && policy.hostnames.has(u.hostname.toLowerCase());
}

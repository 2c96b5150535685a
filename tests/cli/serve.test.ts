/**
 * `pyrolive serve` end to end (built CLI in a child process): the URL line, the page over HTTP, a WebSocket
 * client with the page's Origin receiving hello, fitted frames and a status, a foreign Origin refused, a power
 * reading pushed over HTTP, then SIGTERM → clean exit. Plus the usage errors.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { expect, test } from 'vitest';
import WebSocket from 'ws';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'pyrolive.js');
const built = () =>
  expect(fs.existsSync(path.join(ROOT, 'dist', 'cli', 'index.js')), 'run `npm run build` first').toBe(true);

test('serve --simulate: URL, page, frames over the WebSocket, power over HTTP, SIGTERM → clean exit', async () => {
  built();
  const child = spawn(process.execPath, [BIN, 'serve', '--simulate', '--port', '0', '--rate', '100'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const t0 = Date.now();
    while (!/live dashboard: (http:\S+)/.test(out) && Date.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /live dashboard: (http:\S+)/.exec(out)?.[1];
    expect(url, `no URL line; stderr: ${err}`).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    const origin = url!.replace(/\/$/, '');
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws`, { headers: { Origin: origin } });
    const msgs: { type: string; [k: string]: unknown }[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const t1 = Date.now();
    // the simulator starts once the analyzer's noise model is set up (its first 1024 frames): a status of the running
    // shot is one counting frames
    const runningStatus = () => msgs.find((m) => m.type === 'status' && (m.frames as number) > 100);
    while (Date.now() - t1 < 15_000 && !(runningStatus() && msgs.filter((m) => m.type === 'frames').length > 3)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(msgs[0]).toMatchObject({ type: 'hello', source: 'simulate' });
    const frames = msgs
      .filter((m) => m.type === 'frames')
      .flatMap((m) => m.frames as { index: number; temperature: number | null; power: number | null }[]);
    expect(frames.length).toBeGreaterThan(20);
    // early frames of the simulated shot: power near 5 W → about 1100 + 50 × 5 = 1350 K
    const early = frames.find((f) => f.temperature !== null && f.power !== null)!;
    expect(Math.abs(early.temperature! - (1100 + 50 * early.power!))).toBeLessThan(100);
    expect(msgs.some((m) => m.type === 'spectrum')).toBe(true);
    const status = runningStatus()!;
    expect(status.framesPerSecond as number).toBeGreaterThan(30);
    expect(status.sourceState).toEqual({ state: 'running' });

    // a foreign Origin is refused
    const evil = new WebSocket(`${origin.replace('http', 'ws')}/ws`, { headers: { Origin: 'http://evil.example' } });
    const refused = await new Promise<boolean>((r) => {
      evil.once('open', () => r(false));
      evil.once('error', () => r(true));
      evil.once('unexpected-response', () => r(true));
    });
    expect(refused).toBe(true);

    // a power reading over HTTP reaches the pipeline
    const res = await fetch(`${origin}/api/power`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ power: 12.5 }),
    });
    expect(res.status).toBe(200);
    ws.close();
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  expect(code).toBe(0);
  expect(err).toMatch(/stopped \(SIGTERM\)/);
});

test('usage errors: no source, two sources, a taken port, a missing shot — one line, exit 1', async () => {
  built();
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  let r = run('serve');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^pyrolive: give exactly one source/);
  r = run('serve', '--simulate', '--watch', '/tmp');
  expect(r.status).toBe(1);
  r = run('serve', '--replay', '/nonexistent/shot.spe', '--calibration', 'x.spe', '--lamp-temperature', '2800');
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/nonexistent\/shot\.spe/);
  // a port in use
  const net = await import('net');
  const blocker = net.createServer();
  await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
  const port = (blocker.address() as { port: number }).port;
  const p = spawn(process.execPath, [BIN, 'demo', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let perr = '';
  p.stderr.on('data', (d) => {
    perr += d;
  });
  const code = await new Promise<number | null>((res) => p.on('exit', (c) => res(c)));
  blocker.close();
  expect(code).toBe(1);
  expect(perr).toMatch(new RegExp(`port ${port} .*already in use`));
  // --help has examples
  r = run('serve', '--help');
  expect(r.stdout).toMatch(/Examples:/);
  expect(r.stdout).toMatch(/--record <dir>/);
});

test('serve --watch on a missing folder: one line naming it, exit 1 (no dashboard for a source that cannot start)', () => {
  built();
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'serve',
      '--watch',
      '/nonexistent/lightfield',
      '--calibration',
      'lamp.spe',
      '--lamp-temperature',
      '2800',
      '--port',
      '0',
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/\/nonexistent\/lightfield: no such folder to watch/);
  expect(r.stdout).not.toMatch(/live dashboard/);
});

test("serve --power-stdin: readings from another program's output (plain and camonitor lines), bad lines reported, not fatal", async () => {
  built();
  const child = spawn(process.execPath, [BIN, 'serve', '--simulate', '--port', '0', '--rate', '50', '--power-stdin'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const t0 = Date.now();
    while (!/live dashboard: http/.test(out) && Date.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toMatch(/live dashboard: http/);
    child.stdin.write('12.5\n');
    child.stdin.write('LASER:POWER <undefined> INVALID\n');
    child.stdin.write('LASER:POWER 2024-05-01 12:00:01.500000 13.25 HIGH MINOR\n');
    child.stdin.end('3.0 14\n');
    const t1 = Date.now();
    while (!/standard input ended/.test(err) && Date.now() - t1 < 10_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(err).toMatch(/warning: power line 2 "LASER:POWER <undefined> INVALID": .*\(1 bad line\(s\) so far\)/);
    expect(err).toMatch(/standard input ended: 3 power reading\(s\), 1 bad line\(s\)/);
    expect(child.exitCode).toBeNull(); // still serving
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
});

import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_STATIC_DIR, isSafeStaticPath, startServer, RunningServer } from '../../src/server';
import { isLoopback } from '../../src/server';
import { MAX_CLIENT_MESSAGE_BYTES, type LiveMessage } from '../../src/protocol';
import { createFakeSource, FakeSource } from './fake-source';
import { makeStaticTree, postJson, rawRequest, sleep, TestClient, tryUpgrade } from './helpers';

const hello: LiveMessage = { type: 'hello', version: '0.1.0', source: 'test', range: [570, 830], rois: [] };
const frame = (index: number) => ({
  index,
  time: index / 100,
  power: 10 + index / 100,
  temperature: 2000 + index,
  temperatureError: 5,
  chi2: 1.02,
  flags: [],
  twoColor: null,
  latencyMs: 0.4,
});

describe('isLoopback', () => {
  it('recognises loopback hosts only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', 'LOCALHOST']) {
      expect(isLoopback(h), h).toBe(true);
    }
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.org', '128.0.0.1', '::ffff:10.0.0.1', '']) {
      expect(isLoopback(h), h).toBe(false);
    }
  });
});

describe('isSafeStaticPath', () => {
  it('accepts plain paths and refuses encoded escapes', () => {
    expect(isSafeStaticPath('/')).toBe(true);
    expect(isSafeStaticPath('/main.js')).toBe(true);
    expect(isSafeStaticPath('/assets/a%20b.css')).toBe(true);
    for (const p of [
      '/../x',
      '/%2e%2e/x',
      '/%252e%252e/x',
      '/a%2fb',
      '/a\\b',
      '/a%5cb',
      '/a%00',
      '//etc/passwd',
      '/C:/x',
      '/.%2e/x',
      '/%25252e%25252e/x',
    ]) {
      expect(isSafeStaticPath(p), p).toBe(false);
    }
  });
});

describe('the default static dir', () => {
  it('is the package web/dist, whatever the cwd', () => {
    expect(DEFAULT_STATIC_DIR).toBe(path.resolve(__dirname, '..', '..', 'web', 'dist'));
  });
});

describe('HTTP', () => {
  let tree: ReturnType<typeof makeStaticTree>;
  let server: RunningServer;
  let source: FakeSource;
  beforeAll(async () => {
    tree = makeStaticTree();
    source = createFakeSource([hello]);
    server = await startServer({ port: 0, source, staticDir: tree.staticDir });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(tree.root, { recursive: true, force: true });
  });

  it('serves the page and its assets, 404 otherwise', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('pyrolive test page');
    const js = await fetch(`${server.url}main.js`);
    expect(js.status).toBe(200);
    expect(await js.text()).toContain('console.log');
    expect((await fetch(`${server.url}assets/a.css`)).status).toBe(200);
    expect((await fetch(`${server.url}nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}.env`)).status).toBe(404);
  });

  it('never serves a file outside the static dir, whatever the encoding', async () => {
    const attempts = [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/.%2e/secret.txt',
      '/%252e%252e/secret.txt',
      '/%252e%252e%252fsecret.txt',
      '/%25252e%25252e/secret.txt',
      '/..\\secret.txt',
      '/..%5csecret.txt',
      '/%5c..%5csecret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%c0%afsecret.txt',
      '/%c0%ae%c0%ae/secret.txt',
      '/index.html%00/../../secret.txt',
      '/%00../secret.txt',
      `/${tree.root}/secret.txt`,
      `/${encodeURIComponent(path.join(tree.root, 'secret.txt'))}`,
      `//${tree.root}/secret.txt`,
      `http://127.0.0.1/../secret.txt`,
      '/../public.txt',
      '/%2e%2e/public.txt',
      '/..;/secret.txt',
      '/...//secret.txt',
      '*',
      '/.env',
      '/%2eenv',
      '/etc/passwd',
      '/../../../../../../etc/passwd',
    ];
    for (const p of attempts) {
      const res = await rawRequest(server.port, `GET ${p} HTTP/1.1`);
      expect(res.body, p).not.toContain(tree.secret);
      expect(res.body, p).not.toContain('HIDDEN=1');
      expect(res.body, p).not.toContain('root:');
      expect([400, 404], `${p} → ${res.status}`).toContain(res.status);
    }
    // a NUL byte in the request line itself
    const nul = await rawRequest(server.port, 'GET /\0../secret.txt HTTP/1.1');
    expect(nul.body).not.toContain(tree.secret);
    expect(nul.status).toBe(400);
    // and the server is still fine afterwards
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('survives malformed Range headers and refuses other methods', async () => {
    const r = await rawRequest(server.port, 'GET /main.js HTTP/1.1', { Range: 'bytes=50-2' });
    expect(r.status).toBe(200);
    const put = await fetch(`${server.url}main.js`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('refuses a Host it does not answer to (DNS rebinding)', async () => {
    const res = await rawRequest(server.port, 'GET / HTTP/1.1', { Host: `evil.example:${server.port}` });
    expect(res.status).toBe(421);
    const ok = await rawRequest(server.port, 'GET / HTTP/1.1', { Host: `localhost:${server.port}` });
    expect(ok.status).toBe(200);
  });

  it('GET /api/status reports the source status and clients', async () => {
    const status: LiveMessage = {
      type: 'status',
      framesPerSecond: 990,
      latencyP50: 0.5,
      latencyP99: 2.1,
      frames: 1234,
      flagged: { cosmic: 3 },
      source: 'test',
      running: true,
      run: 0,
      sourceState: { state: 'running' },
    };
    source.push(status);
    const res = await fetch(`${server.url}api/status`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; status: unknown; clients: number };
    expect(body.ok).toBe(true);
    expect(body.status).toEqual(status);
    expect(body.clients).toBe(0);
  });

  it('POST /api/power forwards valid readings and refuses bad ones', async () => {
    const before = source.ingested.length;
    let r = await postJson(server.port, JSON.stringify({ power: 24.5, time: 12.25 }));
    expect(r.status).toBe(200);
    expect(source.ingested.slice(before)).toEqual([{ power: 24.5, time: 12.25 }]);
    r = await postJson(server.port, JSON.stringify({ power: 3 }), { Origin: `http://localhost:${server.port}` });
    expect(r.status).toBe(200);
    expect(source.ingested[source.ingested.length - 1]).toEqual({ power: 3 });
    const n = source.ingested.length;
    for (const bad of [
      '{"power": 1',
      'not json',
      '[]',
      '{"power":"24"}',
      '{"power":-1}',
      '{"power":1e999}',
      '{"power":null}',
      '{"power":2,"time":"x"}',
      '{}',
      '',
    ]) {
      r = await postJson(server.port, bad);
      expect(r.status, bad).toBe(400);
      expect(typeof r.json?.error, bad).toBe('string');
    }
    r = await postJson(server.port, JSON.stringify({ power: 1, pad: 'x'.repeat(10_000) }));
    expect(r.status).toBe(413);
    r = await postJson(server.port, JSON.stringify({ power: 1 }), { Origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    r = await postJson(server.port, JSON.stringify({ power: 1 }), { Origin: `http://127.0.0.1:${server.port + 1}` });
    expect(r.status).toBe(403);
    expect(source.ingested.length).toBe(n);
    expect((await fetch(`${server.url}api/power`)).status).toBe(405);
  });
});

describe('client limit', () => {
  it('refuses upgrades beyond maxClients with 503, and accepts again once one leaves', async () => {
    const tree = makeStaticTree();
    const server = await startServer({
      port: 0,
      source: createFakeSource([hello]),
      staticDir: tree.staticDir,
      maxClients: 2,
    });
    const a = new TestClient(`ws://127.0.0.1:${server.port}/ws`);
    const b = new TestClient(`ws://127.0.0.1:${server.port}/ws`);
    await Promise.all([a.opened(), b.opened()]);
    expect(await tryUpgrade(server.port, {})).toBe(503);
    a.ws.close();
    await a.closed();
    const until = Date.now() + 2000;
    while (server.clientCount() > 1 && Date.now() < until) {
      await sleep(10);
    }
    expect(await tryUpgrade(server.port, {})).toBe(101);
    b.ws.close();
    await server.close();
    fs.rmSync(tree.root, { recursive: true, force: true });
  });
});

describe('WebSocket', () => {
  let tree: ReturnType<typeof makeStaticTree>;
  let server: RunningServer;
  let source: FakeSource;
  beforeAll(async () => {
    tree = makeStaticTree();
    source = createFakeSource([hello, { type: 'frames', frames: [frame(0), frame(1)] }]);
    server = await startServer({ port: 0, source, staticDir: tree.staticDir });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(tree.root, { recursive: true, force: true });
  });

  it("accepts the page's own origin and non-browser clients, refuses foreign origins", async () => {
    const p = server.port;
    expect(await tryUpgrade(p, { Origin: `http://127.0.0.1:${p}` })).toBe(101);
    expect(await tryUpgrade(p, { Origin: `http://localhost:${p}` })).toBe(101);
    expect(await tryUpgrade(p, {})).toBe(101);
    for (const o of [
      'http://evil.example',
      `http://evil.example:${p}`,
      `http://127.0.0.1:${p + 1}`,
      `https://127.0.0.1:${p}`,
      'null',
      `http://127.0.0.1.evil.example:${p}`,
      'garbage',
    ]) {
      expect(await tryUpgrade(p, { Origin: o }), o).toBe(403);
    }
    expect(await tryUpgrade(p, { Host: `evil.example:${p}`, Origin: `http://evil.example:${p}` })).toBe(421);
    const wrongPath = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${p}/other`);
      ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(wrongPath).toBe(404);
  });

  it('sends the snapshot first, then broadcasts in order to every client', async () => {
    const a = new TestClient(`ws://127.0.0.1:${server.port}/ws`);
    const b = new TestClient(`ws://127.0.0.1:${server.port}/ws`, { origin: `http://127.0.0.1:${server.port}` });
    await Promise.all([a.opened(), b.opened()]);
    await a.waitFor((m) => m.length >= 2);
    expect(a.messages[0]).toEqual(hello);
    expect(a.messages[1]).toEqual({ type: 'frames', frames: [frame(0), frame(1)] });
    for (let i = 2; i < 50; i++) {
      source.push({ type: 'frames', frames: [frame(i)] });
    }
    for (const c of [a, b]) {
      await c.waitFor((m) => m.some((x) => x.type === 'frames' && x.frames.some((f) => f.index === 49)));
      const indices = c.messages.flatMap((x) => (x.type === 'frames' ? x.frames.map((f) => f.index) : []));
      expect(indices).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
    a.ws.close();
    b.ws.close();
  });

  it('ignores garbage from clients, forwards power, closes oversized messages with 1009', async () => {
    const c = new TestClient(`ws://127.0.0.1:${server.port}/ws`);
    await c.opened();
    const n = source.ingested.length;
    for (const g of [
      '',
      'not json',
      '{',
      '[1,2]',
      'null',
      '42',
      '{"type":"nope"}',
      '{"type":"power"}',
      '{"type":"power","power":"7"}',
      '{"type":"power","power":-5}',
      '{"type":"ping"}',
      '{"type":"power","power":1,"time":{}}',
    ]) {
      c.ws.send(g);
    }
    c.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    c.ws.send(JSON.stringify({ type: 'power', power: 31.5, time: 7 }));
    const until = Date.now() + 2000;
    while (source.ingested.length === n && Date.now() < until) {
      await sleep(10);
    }
    expect(source.ingested.slice(n)).toEqual([{ power: 31.5, time: 7 }]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    source.push({ type: 'frames', frames: [frame(100)] });
    await c.waitFor((m) => m.some((x) => x.type === 'frames' && x.frames[0].index === 100));

    const big = new TestClient(`ws://127.0.0.1:${server.port}/ws`);
    await big.opened();
    big.ws.send(JSON.stringify({ type: 'power', power: 1, pad: 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES + 10) }));
    expect(await big.closed()).toBe(1009);
    expect(source.ingested.length).toBe(n + 1);
    // the others are unaffected
    source.push({ type: 'frames', frames: [frame(101)] });
    await c.waitFor((m) => m.some((x) => x.type === 'frames' && x.frames[0].index === 101));
    expect((await fetch(`${server.url}api/status`)).status).toBe(200);
    c.ws.close();
  });
});

describe('keep-alive', () => {
  it('drops a client that does not answer pings, keeps one that does', async () => {
    const tree = makeStaticTree();
    const source = createFakeSource([hello]);
    const server = await startServer({ port: 0, source, staticDir: tree.staticDir, heartbeatMs: 40 });
    const mute = new TestClient(`ws://127.0.0.1:${server.port}/ws`, { autoPong: false });
    const good = new TestClient(`ws://127.0.0.1:${server.port}/ws`);
    await Promise.all([mute.opened(), good.opened()]);
    const until = Date.now() + 3000;
    while (server.droppedClients() === 0 && Date.now() < until) {
      await sleep(10);
    }
    await sleep(150); // a few more pings: the answering client stays
    expect(server.droppedClients()).toBe(1);
    expect(server.clientCount()).toBe(1);
    expect(await mute.closed()).toBe(1006);
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
    good.ws.close();
    await server.close();
    fs.rmSync(tree.root, { recursive: true, force: true });
  });
});

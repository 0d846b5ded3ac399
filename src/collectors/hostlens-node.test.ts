/**
 * The node client against real `hostlens serve` processes on loopback (fixture root, static token), plus
 * small loopback servers for what a real node never does: a redirect, a 2025-only endpoint, and a
 * connection counter in front of a node. Every process is killed by PID in `after`; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import type { AddressInfo, Server as TcpServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { isHostlensError } from '../contracts/errors.js';
import { freePorts, killAll, spawnHostlens, within } from '../../test/e2e/helpers.js';
import type { Spawned } from '../../test/e2e/helpers.js';
import { createNodeClient } from './hostlens-node.js';
import type { NodeClient } from './hostlens-node.js';

const TOKEN = 'fleet-test-token-5f1c9a7e2b';
const ROOT = 'test/fixtures/hosts/idle';
const opened: NodeClient[] = [];
const servers: Array<HttpServer | TcpServer> = [];

function nodeClient(options: Parameters<typeof createNodeClient>[0]): NodeClient {
  const c = createNodeClient(options);
  opened.push(c);
  return c;
}

const signal = (ms = 15_000): AbortSignal => AbortSignal.timeout(ms);

async function listen<S extends HttpServer | TcpServer>(server: S): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** What the node itself reports, read with a plain SDK client (no hub code in between). */
async function direct(url: string, name: string): Promise<Record<string, unknown>> {
  const client = new Client({ name: 'direct', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  try {
    await within(10_000, 'direct connect', client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } })));
    const r = await within(10_000, `direct ${name}`, client.callTool({ name, arguments: {} }));
    assert.ok(!r.isError, JSON.stringify(r.content));
    return r.structuredContent as Record<string, unknown>;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, check?: (message: string) => void): Promise<void> {
  await assert.rejects(within(20_000, `a ${code} rejection`, p), (e: unknown) => {
    assert.ok(isHostlensError(e), `not a HostlensError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes(TOKEN), 'the token never appears in an error');
    check?.(e.message);
    return true;
  });
}

describe('hostlens node client', { timeout: 120_000 }, () => {
  let a: Spawned;
  let b: Spawned;
  let urlA = '';
  let urlB = '';

  before(async () => {
    const [portA, portB] = await freePorts(2);
    a = spawnHostlens(['serve', '--port', String(portA), '--root', ROOT], { env: { HOSTLENS_AUTH_TOKEN: TOKEN } });
    b = spawnHostlens(['serve', '--port', String(portB), '--root', ROOT], { env: { HOSTLENS_AUTH_TOKEN: TOKEN } });
    [urlA, urlB] = (await Promise.all([a.listening(), b.listening()])).map((l) => l.url) as [string, string];
  });

  after(async () => {
    b?.signal('SIGCONT');
    await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
    for (const s of servers) {
      (s as HttpServer).closeAllConnections?.();
      s.close();
    }
    await killAll();
  });

  test('get_memory and triage_host on two nodes match what each node reports, over the 2026-07-28 era', async () => {
    for (const [id, url] of [['node-a', urlA], ['node-b', urlB]] as const) {
      const c = nodeClient({ id, url, token: TOKEN });
      const mem = await c.callTool('get_memory', {}, { signal: signal() });
      assert.equal(mem.isError, false);
      assert.equal(mem.era, 'modern');
      const mine = (mem.structuredContent as { data: Record<string, unknown> }).data;
      const theirs = (await direct(url, 'get_memory')).data as Record<string, unknown>;
      // Byte counts come from the fixture's meminfo; rates depend on the sampler's window, so they are left out.
      for (const k of ['totalBytes', 'availableBytes', 'usedBytes', 'cachedBytes', 'swapTotalBytes', 'oomKillsSinceBoot', 'cgroup']) {
        assert.deepEqual(mine[k], theirs[k], k);
      }
      assert.equal(mine.totalBytes, 8325541888);

      const triage = await c.callTool('triage_host', {}, { signal: signal() });
      assert.equal(triage.isError, false, JSON.stringify(triage.content));
      const t = triage.structuredContent as Record<string, unknown>;
      const td = await direct(url, 'triage_host');
      assert.deepEqual(Object.keys(t).sort(), Object.keys(td).sort());
      assert.equal(t.host, td.host);

      const info = c.info();
      assert.equal(info.era, 'modern');
      assert.match(info.serverVersion ?? '', /^hostlens@/);
      assert.ok(info.lastContactAt && !Number.isNaN(Date.parse(info.lastContactAt)));
      const tools = await c.listTools({ signal: signal() });
      assert.ok(tools.some((tool) => tool.name === 'get_memory'));
    }
  });

  test('a tool error comes back as isError, not as a rejection', async () => {
    const c = nodeClient({ id: 'node-a', url: urlA, token: TOKEN });
    const r = await c.callTool('get_process', { pid: 999_999_999 }, { signal: signal() });
    assert.equal(r.isError, true);
  });

  test('a wrong token → forbidden', async () => {
    const c = nodeClient({ id: 'node-a', url: urlA, token: `${TOKEN}-wrong` });
    await rejectsWith(c.callTool('get_memory', {}, { signal: signal() }), 'forbidden');
  });

  test('a closed port → unavailable, naming the node id and not the token', async () => {
    const [port] = await freePorts(1);
    const c = nodeClient({ id: 'node-gone', url: `http://127.0.0.1:${port}/mcp`, token: TOKEN });
    await rejectsWith(c.callTool('get_memory', {}, { signal: signal() }), 'unavailable', (m) => assert.match(m, /node-gone/));
  });

  test('a frozen node → timeout when the signal aborts, and the HTTP request is aborted', async () => {
    const seen: AbortSignal[] = [];
    const c = nodeClient({
      id: 'node-b',
      url: urlB,
      token: TOKEN,
      fetch: (input, init) => {
        if (init?.signal) seen.push(init.signal);
        return fetch(input, init);
      },
    });
    await c.callTool('get_memory', {}, { signal: signal() });
    b.signal('SIGSTOP');
    try {
      const ac = new AbortController();
      const pending = c.callTool('get_memory', {}, { signal: ac.signal });
      setTimeout(() => ac.abort(), 300);
      await rejectsWith(pending, 'timeout');
      assert.ok(seen.length > 0 && seen.at(-1)?.aborted, 'the fetch of the aborted call saw its signal fire');
    } finally {
      b.signal('SIGCONT');
    }
    // The kept client still serves once the node runs again.
    const again = await c.callTool('get_memory', {}, { signal: signal() });
    assert.equal(again.isError, false);
  });

  test('a redirect is refused and its target never contacted; the token goes nowhere else', async () => {
    let targetHits = 0;
    const targetPort = await listen(
      createHttpServer((req, res) => {
        targetHits += 1;
        res.writeHead(500).end();
      }),
    );
    const redirectPort = await listen(
      createHttpServer((req, res) => {
        req.resume();
        res.writeHead(302, { location: `http://127.0.0.1:${targetPort}/mcp` }).end();
      }),
    );
    const c = nodeClient({ id: 'node-moved', url: `http://127.0.0.1:${redirectPort}/mcp`, token: TOKEN });
    await rejectsWith(c.callTool('get_memory', {}, { signal: signal() }), 'unavailable', (m) => {
      assert.match(m, /node-moved/);
      assert.match(m, /redirect/);
    });
    assert.equal(targetHits, 0);
  });

  test('a response over the byte cap is refused', async () => {
    const c = nodeClient({ id: 'node-a', url: urlA, token: TOKEN, maxResponseBytes: 64 });
    await rejectsWith(c.callTool('get_memory', {}, { signal: signal() }), 'too_large', (m) => assert.match(m, /node-a/));
  });

  test('calls to one node reuse their connection', async () => {
    let connections = 0;
    const upstream = Number(new URL(urlA).port);
    const proxyPort = await listen(
      createTcpServer((socket) => {
        connections += 1;
        const up = tcpConnect(upstream, '127.0.0.1');
        socket.pipe(up).pipe(socket);
        socket.on('error', () => up.destroy());
        up.on('error', () => socket.destroy());
      }),
    );
    const c = nodeClient({ id: 'node-a', url: `http://127.0.0.1:${proxyPort}/mcp`, token: TOKEN });
    for (let i = 0; i < 10; i += 1) {
      const r = await c.callTool('get_memory', {}, { signal: signal() });
      assert.equal(r.isError, false);
    }
    assert.ok(connections >= 1 && connections <= 2, `${connections} TCP connections for 10 calls`);
  });

  test('a node that does not speak 2026-07-28 is served in a 2025-era session, and the era is remembered', async () => {
    let modernAttempts = 0;
    let legacyRequests = 0;
    const upstream = new URL(urlA);
    const proxyPort = await listen(
      createHttpServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          // What a 2025-only server answers to anything of the 2026 era: no session, so not initialized.
          if (req.headers['mcp-protocol-version'] === '2026-07-28' || body.includes('"server/discover"')) {
            modernAttempts += 1;
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: Server not initialized' } }));
            return;
          }
          legacyRequests += 1;
          const up = httpRequest(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
            (upRes) => {
              res.writeHead(upRes.statusCode ?? 502, upRes.headers);
              upRes.pipe(res);
            },
          );
          up.on('error', () => res.destroy());
          up.end(body);
        });
      }),
    );
    const c = nodeClient({ id: 'node-old', url: `http://127.0.0.1:${proxyPort}/mcp`, token: TOKEN });
    const r = await c.callTool('get_memory', {}, { signal: signal() });
    assert.equal(r.isError, false, JSON.stringify(r.content));
    assert.equal(r.era, 'legacy');
    assert.equal(c.info().era, 'legacy');
    const probes = modernAttempts;
    assert.ok(probes >= 1, 'the client tried 2026-07-28 first');
    await c.callTool('get_memory', {}, { signal: signal() });
    assert.equal(modernAttempts, probes, 'the session is kept: no second probe');
    assert.ok(legacyRequests >= 3, 'initialize, initialized and the calls went through the session');
  });
});

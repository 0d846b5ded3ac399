/**
 * HTTP abuse with raw node:net sockets against a real `hostlens serve`
 * (headerTimeoutSec 1, bodyTimeoutSec 1, maxBodyBytes 64 KiB): oversized
 * headers and a 100 KB request line (431), a slowloris trickling headers and a
 * slow body (408 and closed, bounded by the timeouts, while other clients are
 * served), pipelined requests and pipelined garbage, wrong methods (405 with
 * Allow), duplicate Mcp-Session-Id and MCP-Protocol-Version headers, absurd,
 * negative, duplicate and smuggling-shaped Content-Length, chunked bodies over
 * maxBodyBytes (413), non-UTF-8 bodies (-32700), NUL in a header, a bad HTTP
 * version, HTTP/1.0. After each case the server still answers tools/call
 * get_cpu, and it never logs or answers a stack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INITIALIZE, killAll, MODERN, spawnHostlens } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';
import { assertNoLeak } from './harness.js';
import { exchange, httpRequest, splitResponses } from './raw-socket.js';
import type { ParsedResponse } from './raw-socket.js';

const MAX_BODY = 65_536;
const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_cpu', arguments: {}, _meta: META } });
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: META } });

describe('HTTP abuse over raw sockets against hostlens serve', { timeout: 90_000 }, () => {
  let server: Spawned;
  let port: number;
  let host: string;
  let modern: Record<string, string>;

  before(async () => {
    server = spawnHostlens(['serve', '--port', '0'], {
      env: { HOSTLENS_HEADER_TIMEOUT_SEC: '1', HOSTLENS_BODY_TIMEOUT_SEC: '1', HOSTLENS_MAX_BODY_BYTES: String(MAX_BODY), HOSTLENS_RATE_LIMIT: '1000,2000' },
    });
    ({ port } = await server.listening());
    host = `127.0.0.1:${port}`;
    modern = { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'get_cpu' };
  });
  after(async () => {
    await killAll();
  });

  async function one(pieces: ReadonlyArray<string | Buffer>, options: Parameters<typeof exchange>[2] = {}): Promise<{ res: ParsedResponse; closed: boolean; ms: number }> {
    const r = await exchange(port, pieces, { timeoutMs: 8_000, responses: 1, ...options });
    const [res] = splitResponses(r.text);
    assert.ok(res, `no HTTP response; got ${JSON.stringify(r.text.slice(0, 200))} (closed ${r.closed})`);
    assertNoLeak(res.body, 'response body');
    return { res, closed: r.closed, ms: r.ms };
  }

  function jsonRpcError(res: ParsedResponse, status: number, code: number): void {
    assert.equal(res.status, status, res.body);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number; message: string } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.error.code, code, res.body);
  }

  async function stillServes(): Promise<void> {
    const { res } = await one([httpRequest('POST', '/mcp', modern, CALL)], { timeoutMs: 15_000 });
    assert.equal(res.status, 200, res.body);
    const body = JSON.parse(res.body) as { result?: { isError?: boolean; structuredContent?: { data?: unknown } } };
    assert.ok(body.result?.structuredContent?.data, res.body.slice(0, 300));
    assert.notEqual(body.result?.isError, true);
    assert.equal(server.child.exitCode, null, 'the server is still running');
  }

  test('a 20 KB header and a 100 KB request line → 431 and the connection closed', async () => {
    for (const req of [httpRequest('POST', '/mcp', { ...modern, 'x-big': 'a'.repeat(20_000) }, CALL), httpRequest('POST', `/mcp?${'q'.repeat(100_000)}`, modern, CALL)]) {
      const { res, closed } = await one([req], { responses: undefined });
      assert.equal(res.status, 431);
      assert.ok(closed, 'closed after 431');
    }
    await stillServes();
  });

  // Cut by the timeouts is read from what happened, never from a stopwatch: the clients below never finish their
  // requests (the trickle outlasts the exchange), so a close with 408 can only be node's request timeout, which the
  // server also logs by its code. The exchange deadlines are hang guards, ten times the 1 s and 2 s timeouts.
  const timeoutCuts = (): number => server.logs().filter((l) => l.msg === 'client error' && l.status === 408 && l.code === 'ERR_HTTP_REQUEST_TIMEOUT').length;

  test('slowloris: headers trickled every 300 ms → 408 and closed by the 1 s header timeout, while another client is served', async (t) => {
    // 100 header lines 300 ms apart: 30 s of trickle, longer than the exchange waits, so the head never completes.
    const trickle = ['POST /mcp HTTP/1.1\r\n', `host: ${host}\r\n`, ...Array.from({ length: 100 }, (_, i) => `x-slow-${i}: ${i}\r\n`)];
    const cutsBefore = timeoutCuts();
    const slow = exchange(port, trickle, { gapMs: 300, timeoutMs: 20_000 });
    await stillServes(); // served while the slow client hangs on
    const r = await slow;
    const [res] = splitResponses(r.text);
    assert.equal(res?.status, 408, JSON.stringify(r.text.slice(0, 200)));
    assert.match(res.body, /headerTimeoutSec/);
    assert.ok(r.closed, 'the server closed the slow connection while its head was still arriving');
    assert.equal(timeoutCuts(), cutsBefore + 1, 'the server logged the cut as its request timeout');
    t.diagnostic(`cut after ${r.ms} ms (header timeout 1 s, checked every 250 ms)`);
    await stillServes();
  });

  test('a slow body (10 of its bytes, then nothing) → 408 and closed after header + body timeouts', async (t) => {
    const cutsBefore = timeoutCuts();
    const r = await exchange(port, [httpRequest('POST', '/mcp', { ...modern, 'content-length': String(CALL.length) }, ''), CALL.slice(0, 10)], { timeoutMs: 20_000 });
    const [res] = splitResponses(r.text);
    assert.equal(res?.status, 408, JSON.stringify(r.text.slice(0, 200)));
    assert.ok(r.closed, 'the server closed the connection whose body never came');
    assert.equal(timeoutCuts(), cutsBefore + 1, 'the server logged the cut as its request timeout');
    t.diagnostic(`cut after ${r.ms} ms (header + body timeouts 2 s)`);
    await stillServes();
  });

  test('two pipelined requests are both answered, in order; pipelined garbage → 400 and closed', async () => {
    const list = { ...modern, 'mcp-method': 'tools/list' };
    delete (list as Record<string, string>)['mcp-name'];
    const two = await exchange(port, [httpRequest('POST', '/mcp', list, LIST) + httpRequest('POST', '/mcp', modern, CALL)], { responses: 2, timeoutMs: 10_000 });
    const answers = splitResponses(two.text);
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    assert.deepEqual(answers.map((a) => (JSON.parse(a.body) as { id: number }).id), [2, 1]);
    const garbage = await exchange(port, ['GARBAGE / NOT-HTTP\r\n\r\n'], { timeoutMs: 5_000 });
    assert.equal(splitResponses(garbage.text)[0]?.status, 400);
    assert.ok(garbage.closed);
    await stillServes();
  });

  test('PUT, PATCH, OPTIONS, PROPFIND and HEAD on /mcp → 405 with Allow (JSON-RPC body, none for HEAD); CONNECT is dropped', async () => {
    for (const method of ['PUT', 'PATCH', 'OPTIONS', 'PROPFIND', 'HEAD']) {
      const { res } = await one([httpRequest(method, '/mcp', { host, 'content-length': '0' })]);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, 'GET, POST, DELETE', method);
      if (method !== 'HEAD') jsonRpcError(res, 405, -32000);
    }
    const connect = await exchange(port, [`CONNECT ${host} HTTP/1.1\r\nhost: ${host}\r\n\r\n`], { timeoutMs: 5_000 });
    assert.ok(connect.closed, 'CONNECT: the connection is closed');
    assert.ok(!/^HTTP\/1\.1 200/.test(connect.text), 'CONNECT never opens a tunnel');
    await stillServes();
  });

  test('duplicate Mcp-Session-Id headers (even the same live id twice) name no session → 404 -32001; the session itself still works', async () => {
    const legacy = { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
    const init = await one([httpRequest('POST', '/mcp', legacy, INITIALIZE)]);
    const sid = init.res.headers['mcp-session-id'];
    assert.ok(sid, 'initialize minted a session');
    const listBody = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' });
    for (const ids of [[sid, sid], [sid, 'other'], ['', sid]]) {
      const { res } = await one([httpRequest('POST', '/mcp', { ...legacy, 'mcp-session-id': ids }, listBody)]);
      jsonRpcError(res, 404, -32001);
    }
    const ok = await one([httpRequest('POST', '/mcp', { ...legacy, 'mcp-session-id': sid }, listBody)]);
    assert.equal(ok.res.status, 200);
    assert.match(ok.res.body, /"id":9/);
  });

  test('duplicate or conflicting MCP-Protocol-Version → 400 (modern: -32020; in a legacy session: refused)', async () => {
    const { res } = await one([httpRequest('POST', '/mcp', { ...modern, 'mcp-protocol-version': [MODERN, '2025-11-25'] }, CALL)]);
    jsonRpcError(res, 400, -32020);
    const same = await one([httpRequest('POST', '/mcp', { ...modern, 'mcp-protocol-version': [MODERN, MODERN] }, CALL)]);
    jsonRpcError(same.res, 400, -32020);
    const legacy = { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
    const init = await one([httpRequest('POST', '/mcp', legacy, INITIALIZE)]);
    const sid = init.res.headers['mcp-session-id']!;
    const conflicted = await one([httpRequest('POST', '/mcp', { ...legacy, 'mcp-session-id': sid, 'mcp-protocol-version': ['2025-11-25', '2025-06-18'] }, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }))]);
    assert.equal(conflicted.res.status, 400, conflicted.res.body);
    await stillServes();
  });

  test('Content-Length absurd (20 digits), negative, duplicated, or with Transfer-Encoding → 400 and closed; 1e9 → 413 without waiting for the body', async (t) => {
    const cases: Array<Record<string, string | string[]>> = [
      { 'content-length': '99999999999999999999' },
      { 'content-length': '-1' },
      { 'content-length': [String(CALL.length), '5'] },
      { 'content-length': '5', 'transfer-encoding': 'chunked' },
    ];
    for (const extra of cases) {
      const r = await exchange(port, [httpRequest('POST', '/mcp', { ...modern, ...extra }, CALL)], { timeoutMs: 5_000 });
      assert.equal(splitResponses(r.text)[0]?.status, 400, JSON.stringify(extra));
      assert.ok(r.closed, JSON.stringify(extra));
    }
    // Only CALL's bytes of the announced 1e9 ever come, so a server that waited for the body would end at the
    // request timeout with 408 (as the slow body above does): 413 means it refused on the header alone.
    const { res, closed, ms } = await one([httpRequest('POST', '/mcp', { ...modern, 'content-length': '1000000000' }, CALL)], { responses: undefined, timeoutMs: 20_000 });
    jsonRpcError(res, 413, -32000);
    assert.ok(closed, '413 and the connection closed');
    t.diagnostic(`413 after ${ms} ms`);
    await stillServes();
  });

  test('a chunked body beyond maxBodyBytes → 413 JSON-RPC error, connection closed', async () => {
    const big = 'x'.repeat(MAX_BODY + 10);
    const chunks = [httpRequest('POST', '/mcp', { ...modern, 'transfer-encoding': 'chunked' }, '')];
    for (let i = 0; i < big.length; i += 8_192) {
      const piece = big.slice(i, i + 8_192);
      chunks.push(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    }
    chunks.push('0\r\n\r\n');
    const { res, closed } = await one(chunks, { responses: undefined, gapMs: 5 });
    jsonRpcError(res, 413, -32000);
    assert.ok(closed);
    await stillServes();
  });

  test('non-UTF-8 bytes as the body → 400 -32700; invalid UTF-8 inside a JSON string is replaced, then judged (tool error, not a crash)', async () => {
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0xc3]);
    const { res } = await one([Buffer.concat([Buffer.from(httpRequest('POST', '/mcp', { ...modern, 'content-length': String(garbage.length) })), garbage])]);
    jsonRpcError(res, 400, -32700);
    const json = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_cpu","arguments":{"host":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from(`"},"_meta":${JSON.stringify(META)}}}`),
    ]);
    const mixed = await one([Buffer.concat([Buffer.from(httpRequest('POST', '/mcp', { ...modern, 'content-length': String(json.length) })), json])]);
    assert.equal(mixed.res.status, 200);
    const body = JSON.parse(mixed.res.body) as { id: number; result: { isError: boolean; content: Array<{ text: string }> } };
    assert.equal(body.id, 4);
    assert.equal(body.result.isError, true);
    assert.match(body.result.content[0]!.text, /host/);
    await stillServes();
  });

  test('NUL in a header value and an unknown HTTP version → 400 and closed; HTTP/1.0 is served and closed', async () => {
    for (const raw of [`POST /mcp HTTP/1.1\r\nhost: ${host}\r\nx-a: a\u0000b\r\ncontent-length: 0\r\n\r\n`, `GET /mcp HTTP/9.9\r\nhost: ${host}\r\n\r\n`]) {
      const r = await exchange(port, [raw], { timeoutMs: 5_000 });
      assert.equal(splitResponses(r.text)[0]?.status, 400, JSON.stringify(raw));
      assert.ok(r.closed);
    }
    const headers = Object.entries(modern).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    const r = await exchange(port, [`POST /mcp HTTP/1.0\r\n${headers}\r\ncontent-length: ${CALL.length}\r\n\r\n${CALL}`], { timeoutMs: 10_000 });
    const [res] = splitResponses(r.text);
    assert.equal(res?.status, 200);
    assert.match(res!.body, /"structuredContent"/);
    assert.ok(r.closed);
    await stillServes();
  });

  test('the server logged no stack trace', () => {
    assert.doesNotMatch(server.stderr(), /\n\s+at .+:\d+:\d+/);
  });
});

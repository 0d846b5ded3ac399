/**
 * Bad requests on /mcp over real HTTP: 413 (Content-Length and chunked),
 * 415, 406, -32700, unknown paths, unsupported methods. Every answer is a
 * JSON-RPC error in a JSON body (never HTML, never a stack), and after each
 * one the server still serves a good request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACCEPT,
  assertStillServes,
  expectJsonRpcError,
  expectRawJsonRpcError,
  legacyHeaders,
  MODERN,
  modernMeta,
  openLegacySession,
  rawRequest,
  startApp,
} from './helpers.js';
import type { Running } from './helpers.js';

const MAX = 2048;

const callBody = (text: string): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text }, _meta: modernMeta() } });
const modernHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  'content-type': 'application/json',
  accept: ACCEPT,
  'mcp-protocol-version': MODERN,
  'mcp-method': 'tools/call',
  'mcp-name': 'echo',
  ...extra,
});

describe('bad requests', () => {
  let r: Running;
  before(async () => {
    r = await startApp({ maxBodyBytes: MAX });
  });
  after(async () => {
    await r.app.close();
  });

  test('a body just under maxBodyBytes is served', async () => {
    const body = callBody('');
    const padded = callBody('x'.repeat(MAX - body.length));
    assert.equal(Buffer.byteLength(padded), MAX);
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders(), body: padded });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  test('body over maxBodyBytes with Content-Length → 413 JSON-RPC error', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders(), body: callBody('x'.repeat(MAX)) });
    await expectJsonRpcError(res, 413, -32000, { id: null });
    await assertStillServes(r.url);
  });

  test('body over maxBodyBytes sent chunked (no Content-Length) → 413 JSON-RPC error', async () => {
    const big = callBody('y'.repeat(MAX * 4));
    const chunks: string[] = [];
    for (let i = 0; i < big.length; i += 512) chunks.push(big.slice(i, i + 512));
    const res = await rawRequest(r.port, { headers: { ...modernHeaders(), 'transfer-encoding': 'chunked' }, chunks });
    expectRawJsonRpcError(res, 413, -32000);
    await assertStillServes(r.url);
  });

  test('an over-large legacy initialize → 413 and no session', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'z'.repeat(MAX), version: '1' } },
    });
    const res = await fetch(r.url, { method: 'POST', headers: legacyHeaders('2025-11-25'), body });
    assert.equal(res.headers.get('mcp-session-id'), null);
    await expectJsonRpcError(res, 413, -32000);
    assert.equal((await r.app.sessions.count()), 0);
  });

  test('Content-Type: text/plain → 415', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ 'content-type': 'text/plain' }), body: callBody('a') });
    await expectJsonRpcError(res, 415, -32000, { id: null });
    await assertStillServes(r.url);
  });

  test('no Content-Type → 415', async () => {
    const headers = modernHeaders();
    delete headers['content-type'];
    const res = await rawRequest(r.port, { headers, chunks: [callBody('a')] });
    expectRawJsonRpcError(res, 415, -32000);
    await assertStillServes(r.url);
  });

  test('application/json; charset=utf-8 is accepted', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ 'content-type': 'application/json; charset=utf-8' }), body: callBody('a') });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  test('Accept without text/event-stream → 406', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ accept: 'application/json' }), body: callBody('a') });
    await expectJsonRpcError(res, 406, -32000, { id: null });
    await assertStillServes(r.url);
  });

  test('Accept without application/json, or missing → 406', async () => {
    const sse = await fetch(r.url, { method: 'POST', headers: modernHeaders({ accept: 'text/event-stream' }), body: callBody('a') });
    await expectJsonRpcError(sse, 406, -32000);
    const headers = modernHeaders();
    delete headers.accept;
    const none = await rawRequest(r.port, { headers, chunks: [callBody('a')] });
    expectRawJsonRpcError(none, 406, -32000);
    await assertStillServes(r.url);
  });

  test('Accept: */* is enough', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders({ accept: '*/*' }), body: callBody('a') });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  test('a legacy POST inside a session with a bad Accept → 406', async () => {
    const sid = await openLegacySession(r.url, '2025-11-25');
    const res = await fetch(r.url, {
      method: 'POST',
      headers: { ...legacyHeaders('2025-11-25', sid), accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    await expectJsonRpcError(res, 406, -32000);
  });

  test('malformed JSON → 400 / -32700 as JSON with id null', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders(), body: '{"jsonrpc": "2.0", "id": 1,' });
    await expectJsonRpcError(res, 400, -32700, { id: null });
    await assertStillServes(r.url);
  });

  test('an empty body → 400 / -32700', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: modernHeaders(), body: '' });
    await expectJsonRpcError(res, 400, -32700, { id: null });
    await assertStillServes(r.url);
  });

  test('invalid UTF-8 / binary garbage → 400 JSON error, no stack', async () => {
    const res = await rawRequest(r.port, { headers: modernHeaders(), chunks: [Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22])] });
    expectRawJsonRpcError(res, 400, -32700);
    await assertStillServes(r.url);
  });

  test('valid JSON that is not a JSON-RPC message → 400 / -32600, no stack', async () => {
    for (const body of ['42', '"hello"', 'null', '{"foo":1}', '[]']) {
      const res = await fetch(r.url, { method: 'POST', headers: modernHeaders(), body });
      await expectJsonRpcError(res, 400, -32600, { id: null });
    }
    await assertStillServes(r.url);
  });

  test('an unknown path → 404 JSON (GET and POST)', async () => {
    const post = await fetch(r.at('/nope'), { method: 'POST', headers: modernHeaders(), body: callBody('a') });
    await expectJsonRpcError(post, 404, -32000, { id: null });
    const get = await fetch(r.at('/'));
    await expectJsonRpcError(get, 404, -32000, { id: null });
    const nested = await fetch(r.at('/mcp/extra'));
    await expectJsonRpcError(nested, 404, -32000);
    await assertStillServes(r.url);
  });

  test('PUT and PATCH on /mcp → 405 with Allow', async () => {
    for (const method of ['PUT', 'PATCH']) {
      const res = await fetch(r.url, { method, headers: modernHeaders(), body: callBody('a') });
      assert.equal(res.headers.get('allow'), 'GET, POST, DELETE', method);
      await expectJsonRpcError(res, 405, -32000, { id: null });
    }
    await assertStillServes(r.url);
  });

  test('a JSON-RPC batch (array) of modern requests → 400 / -32600', async () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta() } },
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: modernMeta() } },
    ]);
    const res = await fetch(r.url, { method: 'POST', headers: { ...modernHeaders(), 'mcp-method': 'tools/list' }, body: batch });
    await expectJsonRpcError(res, 400, -32600, { id: null });
    await assertStillServes(r.url);
  });
});

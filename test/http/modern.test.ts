/**
 * Modern era (2026-07-28) on /mcp over real HTTP: server/discover, the
 * per-request _meta envelope, header mirroring, removed methods, caching
 * hints, POST-only routing, and cancellation by closing the response.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  expectJsonRpcError,
  LIST_TTL_MS,
  MODERN,
  modernMeta,
  postModern,
  readMessages,
  readResponse,
  SseReader,
  startApp,
  within,
} from './helpers.js';
import type { Running } from './helpers.js';

describe('modern era (2026-07-28)', () => {
  let r: Running;
  before(async () => {
    r = await startApp();
  });
  after(async () => {
    await r.app.close();
  });

  test('server/discover answers supportedVersions, capabilities, serverInfo, resultType and cache hints', async () => {
    const res = await postModern(r.url, { method: 'server/discover', id: 'd1' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
    assert.equal(res.headers.get('mcp-session-id'), null, 'the modern era never mints a session');
    const msg = await readResponse(res);
    assert.equal(msg.jsonrpc, '2.0');
    assert.equal(msg.id, 'd1');
    const result = msg.result as Record<string, unknown>;
    assert.ok(Array.isArray(result.supportedVersions));
    assert.ok((result.supportedVersions as string[]).includes(MODERN));
    assert.ok(result.capabilities && typeof result.capabilities === 'object');
    assert.ok((result.capabilities as Record<string, unknown>).tools, 'tools capability advertised');
    assert.equal(result.resultType, 'complete');
    assert.ok(Number.isInteger(result.ttlMs) && (result.ttlMs as number) >= 0, `ttlMs ${String(result.ttlMs)}`);
    assert.ok(result.cacheScope === 'private' || result.cacheScope === 'public', `cacheScope ${String(result.cacheScope)}`);
    const meta = result._meta as Record<string, unknown>;
    assert.deepEqual(meta['io.modelcontextprotocol/serverInfo'], { name: 'hostlens-http-test', version: '9.9.9' });
  });

  test('missing params._meta → 400 / -32602 with the id echoed', async () => {
    const res = await postModern(r.url, { method: 'tools/list', id: 71, params: {} });
    await expectJsonRpcError(res, 400, -32602, { id: 71 });
  });

  test('_meta without clientCapabilities → 400 / -32602 with the id echoed', async () => {
    const res = await postModern(r.url, {
      method: 'tools/list',
      id: 'no-caps',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } },
    });
    await expectJsonRpcError(res, 400, -32602, { id: 'no-caps' });
  });

  test('unknown protocol version → 400 / -32022 with data.supported and data.requested', async () => {
    const res = await postModern(r.url, {
      method: 'tools/list',
      id: 9,
      params: { _meta: modernMeta({ 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }) },
      headers: { 'mcp-protocol-version': '2099-01-01' },
    });
    const body = await expectJsonRpcError(res, 400, -32022, { id: 9 });
    const data = body.error.data as { supported?: unknown; requested?: unknown };
    assert.ok(Array.isArray(data.supported), 'data.supported is an array');
    assert.ok((data.supported as string[]).includes(MODERN));
    assert.equal(data.requested, '2099-01-01');
  });

  test('MCP-Protocol-Version header disagreeing with the body → 400 / -32020', async () => {
    const res = await postModern(r.url, { method: 'tools/list', id: 10, headers: { 'mcp-protocol-version': '2025-11-25' } });
    await expectJsonRpcError(res, 400, -32020, { id: 10 });
  });

  test('missing MCP-Protocol-Version header on a modern body → 400 / -32020', async () => {
    const res = await postModern(r.url, { method: 'tools/list', id: 11, headers: { 'mcp-protocol-version': null } });
    await expectJsonRpcError(res, 400, -32020, { id: 11 });
  });

  test('missing Mcp-Method header → 400 / -32020', async () => {
    const res = await postModern(r.url, { method: 'tools/list', id: 12, headers: { 'mcp-method': null } });
    await expectJsonRpcError(res, 400, -32020, { id: 12 });
  });

  test('Mcp-Method disagreeing with the body → 400 / -32020', async () => {
    const res = await postModern(r.url, { method: 'tools/list', id: 13, headers: { 'mcp-method': 'prompts/list' } });
    await expectJsonRpcError(res, 400, -32020, { id: 13 });
  });

  test('Mcp-Name disagreeing with params.name on tools/call → 400 / -32020', async () => {
    const res = await postModern(r.url, {
      method: 'tools/call',
      id: 14,
      params: { name: 'echo', arguments: { text: 'x' }, _meta: modernMeta() },
      headers: { 'mcp-name': 'slow' },
    });
    await expectJsonRpcError(res, 400, -32020, { id: 14 });
  });

  test('missing Mcp-Name on tools/call → 400 / -32020', async () => {
    const res = await postModern(r.url, {
      method: 'tools/call',
      id: 15,
      params: { name: 'echo', arguments: { text: 'x' }, _meta: modernMeta() },
      headers: { 'mcp-name': null },
    });
    await expectJsonRpcError(res, 400, -32020, { id: 15 });
  });

  const removed: Array<[string, Record<string, unknown>]> = [
    ['ping', {}],
    ['initialize', { protocolVersion: MODERN, capabilities: {}, clientInfo: { name: 'wire-test', version: '1.0.0' } }],
    ['logging/setLevel', { level: 'info' }],
    ['resources/subscribe', { uri: 'test://x' }],
    ['resources/unsubscribe', { uri: 'test://x' }],
  ];
  for (const [method, params] of removed) {
    test(`${method} with modern _meta → 404 / -32601`, async () => {
      const res = await postModern(r.url, { method, id: `rm-${method}`, params: { ...params, _meta: modernMeta() } });
      await expectJsonRpcError(res, 404, -32601, { id: `rm-${method}` });
    });
  }

  test('an unknown method → 404 / -32601', async () => {
    const res = await postModern(r.url, { method: 'foo/bar', id: 'unknown' });
    await expectJsonRpcError(res, 404, -32601, { id: 'unknown' });
  });

  test('an unknown tool → JSON-RPC error -32602 in band (HTTP 200); bad argument values → isError result', async () => {
    const unknown = await postModern(r.url, { method: 'tools/call', id: 'u', params: { name: 'nope', arguments: {}, _meta: modernMeta() } });
    assert.equal(unknown.status, 200);
    const msg = await readResponse(unknown);
    assert.equal(msg.id, 'u');
    assert.equal(msg.error?.code, -32602);
    const bad = await postModern(r.url, { method: 'tools/call', id: 'b', params: { name: 'echo', arguments: { text: 5 }, _meta: modernMeta() } });
    assert.equal(bad.status, 200);
    const result = (await readResponse(bad)).result as Record<string, unknown>;
    assert.equal(result.isError, true);
    assert.equal(result.resultType, 'complete');
  });

  test('an Mcp-Session-Id on a modern request is ignored, never echoed', async () => {
    const res = await postModern(r.url, { method: 'tools/list', id: 's', headers: { 'mcp-session-id': 'some-legacy-session' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('mcp-session-id'), null);
    assert.equal((await readResponse(res)).id, 's');
  });

  test('tools/list carries resultType, ttlMs and cacheScope (from the server cache hints)', async () => {
    const res = await postModern(r.url, { method: 'tools/list', id: 'tl' });
    assert.equal(res.status, 200);
    const msg = await readResponse(res);
    assert.equal(msg.id, 'tl');
    const result = msg.result as Record<string, unknown>;
    assert.equal(result.resultType, 'complete');
    assert.equal(result.ttlMs, LIST_TTL_MS);
    assert.equal(result.cacheScope, 'private');
    const names = (result.tools as Array<{ name: string }>).map((t) => t.name);
    assert.deepEqual(names, ['echo', 'slow', 'progress_then_wait']);
  });

  test('tools/call result has resultType complete and structuredContent, no session header', async () => {
    const res = await postModern(r.url, {
      method: 'tools/call',
      id: 'call',
      params: { name: 'echo', arguments: { text: 'hello' }, _meta: modernMeta() },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('mcp-session-id'), null);
    const msg = await readResponse(res);
    const result = msg.result as Record<string, unknown>;
    assert.equal(result.resultType, 'complete');
    assert.deepEqual(result.structuredContent, { echo: 'hello' });
    assert.deepEqual(result.content, [{ type: 'text', text: 'hello' }]);
  });

  test('progress on a modern call streams over SSE (X-Accel-Buffering: no) before the result', async () => {
    const res = await postModern(r.url, {
      method: 'tools/call',
      id: 'prog',
      params: { name: 'progress_then_wait', arguments: { waitMs: 20 }, _meta: modernMeta({ progressToken: 'p-1' }) },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/);
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    const messages = await within(5_000, 'modern SSE body', readMessages(res));
    assert.equal(messages.length, 2, JSON.stringify(messages));
    assert.equal(messages[0]?.method, 'notifications/progress');
    assert.equal(messages[0]?.params?.progressToken, 'p-1');
    assert.equal(messages[1]?.id, 'prog');
    assert.equal((messages[1]?.result as Record<string, unknown>).resultType, 'complete');
  });

  test('a modern notification POST → 202 with an empty body', async () => {
    const res = await fetch(r.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'notifications/cancelled',
      },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: modernMeta() } }),
    });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '');
  });

  for (const method of ['GET', 'DELETE'] as const) {
    test(`${method} with a modern MCP-Protocol-Version → 405, Allow: POST, JSON-RPC body`, async () => {
      const res = await fetch(r.url, { method, headers: { accept: 'text/event-stream', 'mcp-protocol-version': MODERN } });
      assert.equal(res.headers.get('allow'), 'POST');
      await expectJsonRpcError(res, 405, -32000, { id: null });
    });
  }

  test('the SDK client pinned to 2026-07-28 discovers and calls a tool', async () => {
    const client = new Client({ name: 'wire-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    await within(10_000, 'modern connect', client.connect(new StreamableHTTPClientTransport(new URL(r.url))));
    try {
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      const result = await within(10_000, 'modern callTool', client.callTool({ name: 'echo', arguments: { text: 'sdk' } }));
      assert.deepEqual(result.structuredContent, { echo: 'sdk' });
    } finally {
      await client.close();
    }
  });
});

describe('modern era: cancellation by closing the response', () => {
  let r: Running;
  before(async () => {
    r = await startApp();
  });
  after(async () => {
    await r.app.close();
  });

  test('aborting the fetch mid-call fires the tool abort signal', async () => {
    const controller = new AbortController();
    const started = r.probe.nextStart();
    const aborted = r.probe.nextAbort();
    const pending = postModern(r.url, {
      method: 'tools/call',
      id: 'cancel-me',
      params: { name: 'slow', arguments: { ms: 30_000 }, _meta: modernMeta() },
      signal: controller.signal,
    }).then(
      async (res) => {
        await res.text();
        return 'answered';
      },
      () => 'aborted',
    );
    await within(5_000, 'slow tool start', started);
    controller.abort();
    await within(5_000, 'tool abort signal after the client closed the request', aborted);
    assert.equal(await within(5_000, 'client side settles', pending), 'aborted');
    assert.equal(r.probe.finished, 0, 'the cancelled call must not run to completion');
  });

  test('aborting a call whose answer is an SSE stream (progress already sent) fires the abort signal', async () => {
    const controller = new AbortController();
    const aborted = r.probe.nextAbort();
    const res = await postModern(r.url, {
      method: 'tools/call',
      id: 'cancel-sse',
      params: { name: 'slow', arguments: { ms: 30_000 }, _meta: modernMeta({ progressToken: 'pt' }) },
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/);
    const sse = new SseReader(res);
    const first = await within(5_000, 'first SSE message', sse.nextMessage());
    assert.equal(first?.message.method, 'notifications/progress');
    controller.abort();
    await within(5_000, 'tool abort signal after the client closed the stream', aborted);
    await sse.cancel();
    assert.equal(r.probe.finished, 0);
  });

  test('after a cancelled call the server still answers', async () => {
    const res = await postModern(r.url, {
      method: 'tools/call',
      id: 'after',
      params: { name: 'echo', arguments: { text: 'ok' }, _meta: modernMeta() },
    });
    assert.equal(res.status, 200);
    assert.deepEqual((await readResponse(res)).result?.structuredContent, { echo: 'ok' });
  });
});

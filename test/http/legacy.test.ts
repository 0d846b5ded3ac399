/**
 * Legacy era (2025-11-25, 2025-06-18, 2025-03-26) on /mcp over real HTTP:
 * sessions (issue, require, unknown, delete), notifications, the GET stream,
 * the session cap, TTL reaping, and the SDK client in each version.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  ACCEPT,
  delay,
  expectJsonRpcError,
  initializeBody,
  LEGACY_VERSIONS,
  legacyHeaders,
  openLegacySession,
  postLegacy,
  readMessages,
  readResponse,
  startApp,
  within,
} from './helpers.js';
import type { Running } from './helpers.js';

const V = LEGACY_VERSIONS[0];

describe('legacy sessions', () => {
  let r: Running;
  before(async () => {
    r = await startApp();
  });
  after(async () => {
    await r.app.close();
  });

  for (const version of LEGACY_VERSIONS) {
    test(`initialize (${version}) issues a visible-ASCII Mcp-Session-Id and echoes the version`, async () => {
      const res = await fetch(r.url, { method: 'POST', headers: legacyHeaders(version), body: JSON.stringify(initializeBody(version, 'init')) });
      assert.equal(res.status, 200);
      const sid = res.headers.get('mcp-session-id');
      assert.ok(sid, 'Mcp-Session-Id issued');
      assert.match(sid, /^[\x21-\x7e]{16,}$/);
      const msg = await readResponse(res);
      assert.equal(msg.id, 'init');
      const result = msg.result as Record<string, unknown>;
      assert.equal(result.protocolVersion, version);
      assert.deepEqual(result.serverInfo, { name: 'hostlens-http-test', version: '9.9.9' });
      assert.equal('resultType' in result, false, 'legacy results carry no resultType');
      const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(version, sid) });
      assert.equal(del.status, 200);
      await del.body?.cancel();
    });
  }

  test('initialize with invalid params → 400/-32602 naming what is missing, and no session', async () => {
    const before = (await r.app.sessions.count());
    const res = await fetch(r.url, { method: 'POST', headers: legacyHeaders(V), body: JSON.stringify({ jsonrpc: '2.0', id: 'bad-init', method: 'initialize', params: {} }) });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('mcp-session-id'), null);
    const body = (await res.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, 'bad-init');
    assert.equal(body.error.code, -32602);
    assert.match(body.error.message, /protocolVersion/);
    assert.equal((await r.app.sessions.count()), before);
  });

  test('initialize with an unsupported version is answered with the newest supported one (not an error)', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: legacyHeaders(V), body: JSON.stringify(initializeBody('2024-01-01', 'old')) });
    assert.equal(res.status, 200);
    const sid = res.headers.get('mcp-session-id');
    assert.ok(sid);
    const msg = await readResponse(res);
    assert.equal((msg.result as Record<string, unknown>).protocolVersion, LEGACY_VERSIONS[0]);
    const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(V, sid) });
    assert.equal(del.status, 200);
    await del.body?.cancel();
  });

  test('a second initialize inside a session → 400 / -32600', async () => {
    const sid = await openLegacySession(r.url, V);
    const res = await postLegacy(r.url, V, sid, initializeBody(V, 'again'));
    await expectJsonRpcError(res, 400, -32600);
  });

  test('two initializes get two different session ids', async () => {
    const a = await openLegacySession(r.url, V);
    const b = await openLegacySession(r.url, V);
    assert.notEqual(a, b);
  });

  for (const version of LEGACY_VERSIONS) {
    test(`a notification (${version}) → 202 with an empty body`, async () => {
      const sid = await openLegacySession(r.url, version);
      const res = await postLegacy(r.url, version, sid, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 12345 } });
      assert.equal(res.status, 202);
      assert.equal(await res.text(), '');
    });
  }

  test('a JSON-RPC response from the client (e.g. to a server ping) → 202 with an empty body', async () => {
    const sid = await openLegacySession(r.url, V);
    const res = await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 'server-req-1', result: {} });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '');
  });

  test('a tool call in the session answers with the result (legacy shape, no resultType)', async () => {
    const sid = await openLegacySession(r.url, V);
    const res = await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'in-session' } } });
    assert.equal(res.status, 200);
    const msg = await readResponse(res);
    assert.equal(msg.id, 7);
    assert.deepEqual(msg.result?.structuredContent, { echo: 'in-session' });
    assert.equal('resultType' in (msg.result ?? {}), false);
  });

  test('missing Mcp-Session-Id on a non-initialize POST → 400 JSON-RPC error with the id echoed', async () => {
    const res = await postLegacy(r.url, V, undefined, { jsonrpc: '2.0', id: 21, method: 'tools/list' });
    await expectJsonRpcError(res, 400, -32000, { id: 21 });
  });

  test('unknown Mcp-Session-Id → 404 / -32001 with the id echoed', async () => {
    const res = await postLegacy(r.url, V, 'no-such-session-0000', { jsonrpc: '2.0', id: 22, method: 'tools/list' });
    await expectJsonRpcError(res, 404, -32001, { id: 22 });
  });

  test('unknown Mcp-Session-Id on GET and DELETE → 404 / -32001', async () => {
    const get = await fetch(r.url, { headers: { ...legacyHeaders(V, 'no-such-session-0000'), accept: 'text/event-stream' } });
    await expectJsonRpcError(get, 404, -32001, { id: null });
    const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(V, 'no-such-session-0000') });
    await expectJsonRpcError(del, 404, -32001, { id: null });
  });

  test('DELETE ends the session (200), then the id answers 404 / -32001', async () => {
    const sid = await openLegacySession(r.url, V);
    const before = (await r.app.sessions.count());
    const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(V, sid) });
    assert.equal(del.status, 200);
    await del.body?.cancel();
    assert.equal((await r.app.sessions.count()), before - 1);
    const res = await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 23, method: 'tools/list' });
    await expectJsonRpcError(res, 404, -32001, { id: 23 });
    const again = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(V, sid) });
    await expectJsonRpcError(again, 404, -32001);
  });

  for (const version of LEGACY_VERSIONS) {
    test(`GET (${version}) opens an SSE stream at once with text/event-stream and X-Accel-Buffering: no`, async () => {
      const sid = await openLegacySession(r.url, version);
      const controller = new AbortController();
      // Bounded well below the 15 s keep-alive: the head must not wait for the first event.
      const res = await within(
        5_000,
        'GET stream headers',
        fetch(r.url, { headers: { ...legacyHeaders(version, sid), accept: 'text/event-stream' }, signal: controller.signal }),
      );
      try {
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/);
        assert.equal(res.headers.get('x-accel-buffering'), 'no');
        assert.equal(res.headers.get('mcp-session-id'), sid);
      } finally {
        controller.abort();
        await res.body?.cancel().catch(() => undefined);
      }
    });
  }

  test('GET without Accept: text/event-stream → 406', async () => {
    const sid = await openLegacySession(r.url, V);
    const res = await fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'application/json' } });
    await expectJsonRpcError(res, 406, -32000);
  });

  test('one GET stream per session; after the client drops it a new GET is accepted', async () => {
    const sid = await openLegacySession(r.url, V);
    const first = new AbortController();
    const a = await within(5_000, 'first GET', fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' }, signal: first.signal }));
    assert.equal(a.status, 200);
    const second = await within(5_000, 'second GET', fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' } }));
    await expectJsonRpcError(second, 409, -32000, { id: null });
    first.abort();
    await a.body?.cancel().catch(() => undefined);
    // A client reconnects after a pause (the SSE retry hint); the dropped stream must be released by then.
    await delay(200);
    const controller = new AbortController();
    const b = await within(5_000, 'GET after the drop', fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' }, signal: controller.signal }));
    try {
      assert.equal(b.status, 200, `GET after drop answered ${b.status}`);
      assert.match(b.headers.get('content-type') ?? '', /^text\/event-stream\b/);
    } finally {
      controller.abort();
      await b.body?.cancel().catch(() => undefined);
    }
  });

  test('GET without Mcp-Session-Id and without a modern version → 400 JSON-RPC error', async () => {
    const res = await fetch(r.url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': V } });
    await expectJsonRpcError(res, 400, -32000, { id: null });
  });

  test('an unsupported MCP-Protocol-Version header inside a session → 400', async () => {
    const sid = await openLegacySession(r.url, V);
    const res = await fetch(r.url, {
      method: 'POST',
      headers: { ...legacyHeaders(V, sid), 'mcp-protocol-version': '1999-01-01' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 24, method: 'tools/list' }),
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
    const body = JSON.parse(await res.text()) as { jsonrpc: string; error?: { code: number } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(typeof body.error?.code, 'number');
  });
});

describe('legacy: cancellation and keep-alives', () => {
  let r: Running;
  before(async () => {
    r = await startApp({ keepAliveMs: 100 });
  });
  after(async () => {
    await r.app.close();
  });

  test('notifications/cancelled (202) fires the abort signal of the in-flight call', async () => {
    const sid = await openLegacySession(r.url, V);
    const started = r.probe.nextStart();
    const aborted = r.probe.nextAbort();
    const controller = new AbortController();
    const call = postLegacy(
      r.url,
      V,
      sid,
      { jsonrpc: '2.0', id: 'long', method: 'tools/call', params: { name: 'slow', arguments: { ms: 30_000 } } },
      controller.signal,
    );
    await within(5_000, 'slow start', started);
    const cancel = await postLegacy(r.url, V, sid, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'long', reason: 'test' } });
    assert.equal(cancel.status, 202);
    assert.equal(await cancel.text(), '');
    await within(5_000, 'abort signal after notifications/cancelled', aborted);
    assert.equal(r.probe.finished, 0);
    // The SDK sends no response for a cancelled request (and leaves its stream open): the client closes it.
    const res = await within(5_000, 'cancelled call headers', call);
    assert.equal(res.status, 200);
    controller.abort();
    await res.body?.cancel().catch(() => undefined);
  });

  test('an idle GET stream carries SSE keep-alive comments', async () => {
    const sid = await openLegacySession(r.url, V);
    const controller = new AbortController();
    const res = await within(5_000, 'GET', fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' }, signal: controller.signal }));
    assert.equal(res.status, 200);
    assert.ok(res.body);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    try {
      await within(
        5_000,
        'keep-alive comment',
        (async () => {
          while (!/^:/m.test(text)) {
            const chunk = await reader.read();
            if (chunk.done) break;
            text += decoder.decode(chunk.value, { stream: true });
          }
        })(),
      );
      assert.match(text, /^: ?keepalive$/m);
    } finally {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
  });
});

describe('legacy: SDK client in each version', () => {
  let r: Running;
  before(async () => {
    r = await startApp();
  });
  after(async () => {
    await r.app.close();
  });

  for (const version of LEGACY_VERSIONS) {
    test(`SDK client negotiating ${version} connects, lists tools and calls one`, async () => {
      const client = new Client({ name: 'wire-test', version: '1.0.0' }, { supportedProtocolVersions: [version] });
      const transport = new StreamableHTTPClientTransport(new URL(r.url));
      await within(10_000, `connect ${version}`, client.connect(transport));
      try {
        assert.equal(client.getProtocolEra(), 'legacy');
        assert.equal(client.getNegotiatedProtocolVersion(), version);
        assert.ok(transport.sessionId, 'the transport holds a session id');
        const tools = await within(10_000, 'listTools', client.listTools());
        assert.deepEqual(
          tools.tools.map((t) => t.name),
          ['echo', 'slow', 'progress_then_wait'],
        );
        const result = await within(10_000, 'callTool', client.callTool({ name: 'echo', arguments: { text: version } }));
        assert.deepEqual(result.structuredContent, { echo: version });
        const progress: unknown[] = [];
        const withProgress = await within(
          10_000,
          'callTool with progress',
          client.callTool({ name: 'progress_then_wait', arguments: { waitMs: 10 } }, { onprogress: (p) => progress.push(p) }),
        );
        assert.deepEqual(withProgress.content, [{ type: 'text', text: 'waited 10' }]);
        assert.equal(progress.length, 1);
        await within(5_000, 'terminateSession', transport.terminateSession());
      } finally {
        await client.close();
      }
    });
  }
});

describe('legacy: session cap', () => {
  let r: Running;
  before(async () => {
    r = await startApp({ maxSessions: 2, maxSessionsPerPrincipal: 2 });
  });
  after(async () => {
    await r.app.close();
  });

  test('at the cap with every session in use, initialize answers 503 with a JSON-RPC error and the session count does not grow', async () => {
    const a = await openLegacySession(r.url, V);
    const b = await openLegacySession(r.url, V);
    assert.equal((await r.app.sessions.count()), 2);
    // An open GET stream keeps a session in use: idle ones would make room for a client holding fewer (sessions.ts).
    const streams = new AbortController();
    for (const sid of [a, b]) {
      const get = await fetch(r.url, { method: 'GET', headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' }, signal: streams.signal });
      assert.equal(get.status, 200);
    }

    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(r.url, { method: 'POST', headers: legacyHeaders(V), body: JSON.stringify(initializeBody(V, `over-${i}`)) });
      assert.equal(res.headers.get('mcp-session-id'), null, 'no session id on a refused initialize');
      assert.ok(res.headers.get('retry-after'), 'Retry-After on 503');
      await expectJsonRpcError(res, 503, -32000, { id: `over-${i}` });
      assert.equal((await r.app.sessions.count()), 2);
    }

    streams.abort();
    // The existing sessions keep working.
    const ok = await postLegacy(r.url, V, a, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();

    // Freeing a slot lets a new session in.
    const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(V, a) });
    assert.equal(del.status, 200);
    await del.body?.cancel();
    assert.equal((await r.app.sessions.count()), 1);
    await openLegacySession(r.url, V);
    assert.equal((await r.app.sessions.count()), 2);
  });
});

describe('legacy: session cap under concurrent initializes', () => {
  let r: Running;
  beforeEach(async () => {
    // Each connection a client of its own (named by uid only, as when its process cannot be found): as one client,
    // this process's initializes at its cap would close its own idle sessions instead of being refused.
    r = await startApp({ maxSessions: 2, maxSessionsPerPrincipal: 2, localPeers: { lookup: async () => process.geteuid?.() ?? 0 } });
  });
  afterEach(async () => {
    await r.app.close();
  });

  test('initializes racing in the same tick (in-process fetch) cannot overshoot the cap', async () => {
    // Over loopback each request arrives in its own macrotask; the app's own
    // fetch lets many opens interleave, which is where a cap check races.
    const make = (i: number): Request =>
      new Request(r.url, {
        method: 'POST',
        headers: { ...legacyHeaders(V), host: `127.0.0.1:${r.port}` },
        body: JSON.stringify(initializeBody(V, i)),
      });
    const statuses = await within(
      10_000,
      'concurrent initializes',
      Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          r.app.fetch(make(i)).then(async (res) => {
            await res.text();
            return res.status;
          }),
        ),
      ),
    );
    // In process every request is the same client (no connection): at its cap each initialize closes that
    // client's least recently seen idle session (sessions/manager.ts), so every answer is 200 and the
    // count never passes the cap.
    assert.ok(statuses.every((s) => s === 200 || s === 503), statuses.join(','));
    assert.equal(await r.app.sessions.count(), 2);
  });

  test('concurrent initializes over HTTP: exactly the cap succeeds', async () => {
    const statuses = await within(
      10_000,
      'concurrent initializes over HTTP',
      Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          fetch(r.url, { method: 'POST', headers: legacyHeaders(V), body: JSON.stringify(initializeBody(V, i)) }).then(async (res) => {
            await res.text();
            return res.status;
          }),
        ),
      ),
    );
    assert.equal(statuses.filter((s) => s === 200).length, 2, statuses.join(','));
    assert.equal((await r.app.sessions.count()), 2);
  });
});

describe('legacy: TTL reaping', () => {
  // One app per test, so a session left by one test cannot hold up another.
  let r: Running;
  beforeEach(async () => {
    r = await startApp({ sessionTtlMs: 300 });
  });
  afterEach(async () => {
    await r.app.close();
  });

  const waitForCount = async (n: number, what: string): Promise<void> => {
    await within(
      5_000,
      what,
      (async () => {
        while ((await r.app.sessions.count()) !== n) await delay(50);
      })(),
    );
  };

  test('an idle session is reaped, then its id answers 404 / -32001', async () => {
    const sid = await openLegacySession(r.url, V);
    assert.equal((await r.app.sessions.count()), 1);
    await waitForCount(0, 'idle session reaped');
    const res = await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 31, method: 'tools/list' });
    await expectJsonRpcError(res, 404, -32001, { id: 31 });
    const get = await fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' } });
    await expectJsonRpcError(get, 404, -32001);
  });

  test('a session with an open GET stream is not idle and is not reaped', async () => {
    const sid = await openLegacySession(r.url, V);
    const controller = new AbortController();
    const stream = await fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' }, signal: controller.signal });
    assert.equal(stream.status, 200);
    try {
      // Several reaper periods (ttl 300 ms, reaper every 250 ms).
      await delay(1_200);
      const res = await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 32, method: 'tools/call', params: { name: 'echo', arguments: { text: 'alive' } } });
      assert.equal(res.status, 200);
      assert.deepEqual((await readResponse(res)).result?.structuredContent, { echo: 'alive' });
    } finally {
      controller.abort();
      await stream.body?.cancel().catch(() => undefined);
    }
    // Once the stream is gone the session is idle again and is reaped.
    await waitForCount(0, 'session reaped after its stream closed');
  });

  test('a request answered from a reaped session does not resurrect it', async () => {
    const sid = await openLegacySession(r.url, V);
    await waitForCount(0, 'reaped');
    const res = await fetch(r.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    await expectJsonRpcError(res, 404, -32001, { id: null });
    assert.equal((await r.app.sessions.count()), 0);
    const messages = await readMessages(await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 33, method: 'tools/list' }));
    assert.equal(messages[0]?.error?.code, -32001);
  });
});

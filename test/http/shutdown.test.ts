/**
 * Graceful shutdown over real HTTP: app.close() lets in-flight calls finish
 * (within shutdownGraceMs), refuses new work while draining, closes open
 * legacy GET streams and sessions, and is bounded by the grace period.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACCEPT,
  delay,
  expectJsonRpcError,
  legacyHeaders,
  MODERN,
  modernMeta,
  openLegacySession,
  postLegacy,
  postModern,
  readResponse,
  SseReader,
  startApp,
  within,
} from './helpers.js';

const V = '2025-11-25';

/** Either a refused/reset connection or a 503 JSON-RPC answer: both are fine while draining. */
async function expectRefusedOr503(attempt: Promise<Response>): Promise<'refused' | 503> {
  let res: Response;
  try {
    res = await attempt;
  } catch {
    return 'refused';
  }
  await expectJsonRpcError(res, 503, -32000);
  return 503;
}

describe('graceful shutdown', () => {
  test('an in-flight modern call finishes, then close() resolves', async () => {
    const r = await startApp({ shutdownGraceMs: 10_000 });
    const started = r.probe.nextStart();
    const call = postModern(r.url, {
      method: 'tools/call',
      id: 'inflight',
      params: { name: 'slow', arguments: { ms: 400 }, _meta: modernMeta() },
    });
    await within(5_000, 'slow start', started);
    let closed = false;
    const closing = r.app.close().then(() => {
      closed = true;
    });
    const res = await within(5_000, 'in-flight answer', call);
    assert.equal(res.status, 200);
    const msg = await readResponse(res);
    assert.equal(msg.id, 'inflight');
    assert.deepEqual(msg.result?.content, [{ type: 'text', text: 'done' }]);
    await within(5_000, 'close() after the call', closing);
    assert.equal(closed, true);
    assert.equal(r.probe.finished, 1);
    assert.equal(r.probe.aborted, 0);
  });

  test('an in-flight legacy call finishes, the session is closed, then close() resolves', async () => {
    const r = await startApp({ shutdownGraceMs: 10_000 });
    const sid = await openLegacySession(r.url, V);
    const started = r.probe.nextStart();
    const call = postLegacy(r.url, V, sid, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'slow', arguments: { ms: 400 } } });
    await within(5_000, 'slow start', started);
    const closing = r.app.close();
    const res = await within(5_000, 'in-flight answer', call);
    const msg = await within(5_000, 'in-flight body', readResponse(res));
    assert.deepEqual(msg.result?.content, [{ type: 'text', text: 'done' }]);
    await within(5_000, 'close()', closing);
    assert.equal((await r.app.sessions.count()), 0);
  });

  test('new requests while draining get 503 (in process) or a refused connection (over HTTP)', async () => {
    const r = await startApp({ shutdownGraceMs: 10_000 });
    const started = r.probe.nextStart();
    const call = postModern(r.url, {
      method: 'tools/call',
      id: 'hold',
      params: { name: 'slow', arguments: { ms: 600 }, _meta: modernMeta() },
    });
    await within(5_000, 'slow start', started);
    const closing = r.app.close();
    await delay(50);

    // Over the network: the listener is closed, or a kept-alive socket is answered 503.
    const outcome = await within(5_000, 'request during drain', expectRefusedOr503(postModern(r.url, { method: 'server/discover' })));
    assert.ok(outcome === 'refused' || outcome === 503);

    // Through the app's own fetch (what any surviving connection reaches): exact 503 shape.
    const inProcess = await r.app.fetch(
      new Request(r.url, {
        method: 'POST',
        headers: { host: `127.0.0.1:${r.port}`, 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: modernMeta() } }),
      }),
    );
    assert.equal(inProcess.headers.get('connection'), 'close');
    await expectJsonRpcError(inProcess, 503, -32000, { id: null });

    // A legacy initialize is refused the same way: no session is created while draining.
    const init = await r.app.fetch(
      new Request(r.url, {
        method: 'POST',
        headers: { ...legacyHeaders(V), host: `127.0.0.1:${r.port}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      }),
    );
    await expectJsonRpcError(init, 503, -32000);
    assert.equal((await r.app.sessions.count()), 0);

    // Readiness reports the drain.
    const ready = await r.app.fetch(new Request(`http://127.0.0.1:${r.port}/readyz`, { headers: { host: `127.0.0.1:${r.port}` } }));
    assert.equal(ready.status, 503);
    const readyBody = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(readyBody.status, 'not_ready');
    assert.equal(readyBody.checks.shutdown?.ok, false);

    // The in-flight call still completes.
    const res = await within(5_000, 'in-flight answer', call);
    assert.deepEqual((await readResponse(res)).result?.content, [{ type: 'text', text: 'done' }]);
    await within(5_000, 'close()', closing);
  });

  test('an open legacy GET stream is closed and sessions are gone', async () => {
    const r = await startApp({ shutdownGraceMs: 2_000 });
    const sid = await openLegacySession(r.url, V);
    const get = await within(5_000, 'GET stream', fetch(r.url, { headers: { ...legacyHeaders(V, sid), accept: 'text/event-stream' } }));
    assert.equal(get.status, 200);
    const reader = new SseReader(get);
    const drained = (async () => {
      try {
        while ((await reader.next()) !== null) {
          /* keep-alives */
        }
        return 'ended';
      } catch {
        return 'reset';
      }
    })();
    await within(5_000, 'close()', r.app.close());
    const how = await within(5_000, 'GET stream closed by shutdown', drained);
    assert.ok(how === 'ended' || how === 'reset');
    assert.equal((await r.app.sessions.count()), 0);
  });

  test('close() is bounded by shutdownGraceMs when a call runs longer', async () => {
    const r = await startApp({ shutdownGraceMs: 200 });
    const started = r.probe.nextStart();
    const call = postModern(r.url, {
      method: 'tools/call',
      id: 'too-long',
      params: { name: 'slow', arguments: { ms: 30_000 }, _meta: modernMeta() },
    }).then(
      async (res) => {
        await res.text().catch(() => undefined);
        return 'settled';
      },
      () => 'settled',
    );
    await within(5_000, 'slow start', started);
    await within(5_000, 'close() bounded by the grace period', r.app.close());
    assert.equal(await within(5_000, 'client request settles after close', call), 'settled');
    assert.equal(r.probe.finished, 0, 'the long call did not run to completion');
    assert.equal(r.probe.aborted, 1, 'the abandoned call saw its abort signal');
  });

  test('close() twice is harmless, and close() with nothing in flight is prompt', async () => {
    const r = await startApp();
    await within(5_000, 'first close', r.app.close());
    await within(5_000, 'second close', r.app.close());
    await expectRefusedOr503(postModern(r.url, { method: 'server/discover' }));
  });
});

/**
 * Hostile Last-Event-ID on legacy GET streams, against the product app over
 * real HTTP: session B presenting an event id of session A's stream (a
 * cross-client replay attempt), garbage, negative and 10 KB ids → 400 JSON-RPC
 * error and never a message of A; the control: A resuming its own stream gets
 * its missed response back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { legacyHeaders, openLegacySession } from '../http/helpers.js';
import { startProductHttp } from './harness.js';

describe('hostile Last-Event-ID (legacy resumption)', { timeout: 30_000 }, () => {
  let h: Awaited<ReturnType<typeof startProductHttp>>;
  before(async () => {
    h = await startProductHttp({ keepAliveMs: 200 });
  });
  after(async () => {
    await h?.close();
  });

  /** GET /mcp on a session with Last-Event-ID; reads for `ms` (SSE) or the whole JSON body. */
  async function resume(sid: string, lastEventId: string, ms = 600): Promise<{ status: number; body: string }> {
    const ctl = new AbortController();
    const res = await fetch(h.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', 'last-event-id': lastEventId },
      signal: ctl.signal,
    });
    let body = '';
    const timer = setTimeout(() => ctl.abort(), ms);
    try {
      const reader = res.body!.getReader();
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        body += new TextDecoder().decode(chunk.value);
      }
    } catch {
      /* aborted after ms: an open SSE stream */
    } finally {
      clearTimeout(timer);
    }
    return { status: res.status, body };
  }

  test("another session's event id, garbage, negative and huge ids → 400, never the other session's messages", async () => {
    const a = await openLegacySession(h.url, '2025-11-25');
    const b = await openLegacySession(h.url, '2025-11-25');
    const call = await fetch(h.url, {
      method: 'POST',
      headers: legacyHeaders('2025-11-25', a),
      body: JSON.stringify({ jsonrpc: '2.0', id: 4242, method: 'tools/call', params: { name: 'get_memory', arguments: {} } }),
    });
    const ids = [...(await call.text()).matchAll(/^id: (.+)$/gm)].map((m) => m[1]!);
    assert.ok(ids.length >= 2, `A's stream carried event ids: ${ids.join(', ')}`);
    const first = ids[0]!;
    for (const lastEventId of [first, first.replace(/_\d+$/, '_0'), 'garbage', '_1', 'x_-1', `${'x'.repeat(10_000)}_1`, `${first}\u00e9`]) {
      const r = await resume(b, lastEventId.replace(/[^\x20-\x7e]/g, '?'));
      assert.ok(!r.body.includes('4242'), `session B received session A's message with Last-Event-ID ${lastEventId.slice(0, 60)}`);
      assert.equal(r.status, 400, `${lastEventId.slice(0, 60)}: ${r.status} ${r.body.slice(0, 200)}`);
      assert.equal((JSON.parse(r.body) as { error: { code: number } }).error.code, -32000);
    }
    // control: A itself, resuming after the priming event, gets the response it may have missed
    const own = await resume(a, first);
    assert.equal(own.status, 200);
    assert.match(own.body, /"id":4242/, 'the own stream replays');
  });
});

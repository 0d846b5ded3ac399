/**
 * OPEN BUG found by the hostile suite (src/http/listen-end.ts narrowListenFilter + src/server/subscriptions.ts
 * resourceExists; owners A / whoever holds subscriptions; reported): subscriptions/listen checks every URI of
 * `resourceSubscriptions`, with no cap and no de-duplication, and for each URI that matches a template with a
 * list (diag://local/config/{+path}, diag://snapshots/{id}) it rebuilds that template's whole list — for the
 * config template 20 realpath + 4 KiB reads — synchronously on the event loop. One 3 MB request of 90,000
 * config URIs blocked the whole server for 63 s (measured: every other client waited), and its
 * acknowledgement echoed 1.4 MB of URIs back. Fix ideas: cap resourceSubscriptions (e.g. ≤ 64 distinct URIs,
 * more → -32602, like the 32-URI cap of legacy resources/subscribe), de-duplicate, and build each template's
 * list once per request.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODERN } from '../e2e/helpers.js';
import { servePerSuite } from './harness.js';

describe('open bug: a huge subscriptions/listen filter blocks the server', { timeout: 60_000 }, () => {
  const served = servePerSuite({ HOSTLENS_RATE_LIMIT: '1000,2000' });

  test('5,000 config URIs: answered (acknowledged or refused) within 1.5 s, and /healthz meanwhile within 1 s', async () => {
    const { url } = served();
    const uris = Array.from({ length: 5_000 }, (_, i) => `diag://local/config/etc/hostlens-hostile-${i}.conf`);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'subscriptions/listen',
      params: { notifications: { resourceSubscriptions: uris }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } },
    });
    const ctl = new AbortController();
    const started = performance.now();
    const listen = fetch(url, {
      method: 'POST',
      signal: ctl.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'subscriptions/listen' },
      body,
    });
    await new Promise((r) => setTimeout(r, 100));
    const healthStarted = performance.now();
    const health = await fetch(url.replace(/\/mcp$/, '/healthz'), { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    const healthMs = performance.now() - healthStarted;
    const timer = setTimeout(() => ctl.abort(), 10_000);
    const res = await listen.catch((e: unknown) => e);
    clearTimeout(timer);
    const listenMs = performance.now() - started;
    if (res instanceof Response) await res.body?.cancel();
    ctl.abort();
    assert.ok(health instanceof Response && health.status === 200, 'healthz answered');
    assert.ok(healthMs < 1_000, `healthz waited ${Math.round(healthMs)} ms behind the listen filter`);
    assert.ok(listenMs < 1_500, `the listen request took ${Math.round(listenMs)} ms to answer`);
  });
});

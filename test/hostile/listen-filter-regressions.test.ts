/**
 * Regression test for a bug the hostile suite found (fixed in 94b9d55): subscriptions/listen checked every URI
 * of `resourceSubscriptions` with no cap or de-duplication, rebuilding the config template's list (20 realpath
 * + 4 KiB reads) per URI on the event loop: one 3 MB request of 90,000 config URIs blocked the whole server
 * for 63 s, and 5,000 held /healthz for 3.3 s. Now at most 64 distinct URIs; more → 400 -32602 at once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODERN } from '../e2e/helpers.js';
import { servePerSuite } from './harness.js';

describe('a huge subscriptions/listen filter is refused at once, the server not blocked', { timeout: 60_000 }, () => {
  const served = servePerSuite({ HOSTLENS_RATE_LIMIT: '1000,2000' });

  test('5,000 config URIs: 400 -32602 within 1.5 s, and /healthz meanwhile within 1 s', async () => {
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
    assert.ok(res instanceof Response, `the listen request failed: ${String(res)}`);
    const text = await res.text();
    ctl.abort();
    assert.equal(res.status, 400, text.slice(0, 200));
    assert.equal((JSON.parse(text) as { error: { code: number } }).error.code, -32602);
    assert.ok(health instanceof Response && health.status === 200, 'healthz answered');
    assert.ok(healthMs < 1_000, `healthz waited ${Math.round(healthMs)} ms behind the listen filter`);
    assert.ok(listenMs < 1_500, `the listen request took ${Math.round(listenMs)} ms to answer`);
  });
});

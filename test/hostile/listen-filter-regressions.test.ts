/**
 * Regression test for a bug the hostile suite found (fixed in 94b9d55): subscriptions/listen checked every URI
 * of `resourceSubscriptions` with no cap or de-duplication, rebuilding the config template's list (20 realpath
 * + 4 KiB reads) per URI on the event loop: one 3 MB request of 90,000 config URIs blocked the whole server
 * for 63 s, and 5,000 held /healthz for 3.3 s. Now at most 64 distinct URIs; more → 400 -32602 at once.
 *
 * "At once" is asserted as behaviour, not as a duration: the refusal must come from a bound checked before
 * any per-URI work — the request-shape bound on the raw body (5,000 array members) or the listen cap, whose
 * message names the count of distinct URIs it saw; had the URIs reached the catalogue lookup, none would exist
 * and the stream would be acknowledged with an empty filter instead. 1,000 URIs pass the shape bound, so the
 * listen cap itself answers those. Latencies are printed only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODERN } from '../e2e/helpers.js';
import { servePerSuite } from './harness.js';

describe('a huge subscriptions/listen filter is refused at once, the server not blocked', { timeout: 60_000 }, () => {
  const served = servePerSuite({ HOSTLENS_RATE_LIMIT: '1000,2000' });

  const listenBody = (count: number): string =>
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'subscriptions/listen',
      params: {
        notifications: { resourceSubscriptions: Array.from({ length: count }, (_, i) => `diag://local/config/etc/hostlens-hostile-${i}.conf`) },
        _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} },
      },
    });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'subscriptions/listen' };
  /** Refusals decided before any URI is looked up: the body's shape bound, or the listen cap naming what it counted. */
  const beforeLookup = (count: number): RegExp =>
    new RegExp(`more than 1000 members \\(the server's bound on a request's shape\\)|at most 64 distinct resourceSubscriptions URIs \\(got ${count}\\)`);

  test('5,000 config URIs: 400 -32602 from a bound checked before any per-URI work, and /healthz answers meanwhile', async (t) => {
    const { url } = served();
    const ctl = new AbortController();
    const started = performance.now();
    const listen = fetch(url, { method: 'POST', signal: ctl.signal, headers, body: listenBody(5_000) });
    await new Promise((r) => setTimeout(r, 100));
    const healthStarted = performance.now();
    // Hang guards only (the request used to take 63 s at worst).
    const health = await fetch(url.replace(/\/mcp$/, '/healthz'), { signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e);
    const healthMs = performance.now() - healthStarted;
    const timer = setTimeout(() => ctl.abort(), 30_000);
    const res = await listen.catch((e: unknown) => e);
    clearTimeout(timer);
    const listenMs = performance.now() - started;
    assert.ok(res instanceof Response, `the listen request failed: ${String(res)}`);
    const text = await res.text();
    ctl.abort();
    assert.equal(res.status, 400, text.slice(0, 200));
    const { error } = JSON.parse(text) as { error: { code: number; message: string } };
    assert.equal(error.code, -32602);
    assert.match(error.message, beforeLookup(5_000), 'refused before the URIs were looked up');
    assert.ok(health instanceof Response && health.status === 200, `healthz answered: ${String(health)}`);
    t.diagnostic(`listen refused after ${Math.round(listenMs)} ms; /healthz answered in ${Math.round(healthMs)} ms`);
  });

  test('1,000 config URIs (within the shape bound): the listen cap refuses them, counting 1,000 distinct URIs', async () => {
    const { url } = served();
    const res = await fetch(url, { method: 'POST', headers, body: listenBody(1_000), signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    assert.equal(res.status, 400, text.slice(0, 200));
    const { error } = JSON.parse(text) as { error: { code: number; message: string } };
    assert.equal(error.code, -32602);
    assert.match(error.message, /at most 64 distinct resourceSubscriptions URIs \(got 1000\)/);
  });
});

/**
 * GET /metrics over real HTTP on 127.0.0.1: open on a loopback server without
 * auth, 401/403 like /mcp when auth is on (hostlens:admin), the text parses,
 * counters and histograms move with calls in both eras, the session and SSE
 * stream gauges follow what is open, redactions are counted from real
 * results, and 1,000 random tool names leave the label sets bounded.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { productCatalogue } from '../../src/catalogue/index.js';
import type { Toolset } from '../../src/contracts/scopes.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { createAuthenticator } from '../../src/http/auth/authenticate.js';
import { scopeIndex } from '../../src/catalogue/scope-index.js';
import { SCOPES } from '../../src/contracts/scopes.js';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { ACCEPT, LEGACY_VERSIONS, legacyHeaders, modernMeta, openLegacySession, postModern, rawRequest, readResponse, SseReader, startApp, within, delay } from './helpers.js';
import type { Running } from './helpers.js';

/** Parses the exposition: every sample line `name{labels} value` → map of series → value. */
function parseExposition(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|Nan|\+Inf|-Inf)$/.exec(line);
    assert.ok(m, `not an exposition line: ${line}`);
    series.set(m[1]!, Number(m[2]));
  }
  return series;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const res = await fetch(url, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

describe('/metrics without auth (loopback)', () => {
  let r: Running;
  before(async () => {
    r = await startApp({ telemetry: { metrics: createMetrics({ toolNames: ['echo', 'slow', 'progress_then_wait'] }) } });
  });
  after(async () => {
    await r.app.close();
  });

  const echo = async (id: number | string, name = 'echo'): Promise<void> => {
    const res = await postModern(r.url, { method: 'tools/call', id, params: { name, arguments: { text: 'hi' }, _meta: modernMeta() } });
    await res.text();
  };

  test('is open, parses, has the hostlens series and default process metrics; counts move with calls', async () => {
    const key = 'hostlens_requests_total{era="modern",method="tools/call",tool="echo",status="200"}';
    const before = await scrape(r.at('/metrics'));
    for (const name of ['process_resident_memory_bytes', 'process_open_fds', 'nodejs_eventloop_lag_seconds', 'hostlens_sessions_open', 'hostlens_sse_streams_open', 'hostlens_sampler_lag_seconds', 'hostlens_redactions_total']) {
      assert.ok(before.has(name), `${name} is exported`);
    }
    for (let i = 0; i < 3; i++) await echo(i);
    const after = await within(5_000, 'counts after 3 calls', (async () => {
      for (;;) {
        const m = await scrape(r.at('/metrics'));
        if ((m.get(key) ?? 0) >= (before.get(key) ?? 0) + 3) return m;
        await delay(10);
      }
    })());
    assert.equal(after.get(key), (before.get(key) ?? 0) + 3);
    assert.equal(after.get('hostlens_tool_duration_seconds_count{tool="echo"}'), (before.get('hostlens_tool_duration_seconds_count{tool="echo"}') ?? 0) + 3);
    assert.ok((after.get('hostlens_request_duration_seconds_count{era="modern",method="tools/call"}') ?? 0) >= 3);
    assert.equal(after.get('hostlens_request_duration_seconds_bucket{le="+Inf",era="modern",method="tools/call"}'), after.get('hostlens_request_duration_seconds_count{era="modern",method="tools/call"}'));
  });

  test('POST /metrics is 405; a foreign Host is refused before it', async () => {
    const post = await fetch(r.at('/metrics'), { method: 'POST', body: '' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.body?.cancel();
    const forged = await rawRequest(r.port, { method: 'GET', path: '/metrics', headers: { host: 'evil.example.com' } });
    assert.equal(forged.status, 403);
  });

  test('sessions_open and sse_streams_open follow a legacy session and its GET stream', async () => {
    const V = LEGACY_VERSIONS[0];
    const base = await scrape(r.at('/metrics'));
    const sid = await openLegacySession(r.url, V);
    const stream = await fetch(r.url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-protocol-version': V, 'mcp-session-id': sid } });
    assert.equal(stream.status, 200);
    const reader = new SseReader(stream);
    const open = await scrape(r.at('/metrics'));
    assert.equal(open.get('hostlens_sessions_open'), (base.get('hostlens_sessions_open') ?? 0) + 1);
    assert.equal(open.get('hostlens_sse_streams_open'), (base.get('hostlens_sse_streams_open') ?? 0) + 1);
    await reader.cancel();
    const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(V, sid) });
    await del.body?.cancel();
    const closed = await within(5_000, 'stream and session gone', (async () => {
      for (;;) {
        const m = await scrape(r.at('/metrics'));
        if (m.get('hostlens_sse_streams_open') === base.get('hostlens_sse_streams_open') && m.get('hostlens_sessions_open') === base.get('hostlens_sessions_open')) return m;
        await delay(20);
      }
    })());
    assert.ok((closed.get('hostlens_requests_total{era="legacy",method="GET",tool="",status="200"}') ?? 0) >= 1);
    assert.ok((closed.get('hostlens_requests_total{era="legacy",method="DELETE",tool="",status="200"}') ?? 0) >= 1);
  });

  test('1,000 random tool names over the wire: one "other" series, label sets stay bounded', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `rnd_${i}_${Math.random().toString(36).slice(2, 10)}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n, j) => echo(`rnd-${i + j}`, n)));
    const text = await (await fetch(r.at('/metrics'))).text();
    for (const n of names.slice(0, 50)) assert.ok(!text.includes(n), 'a random name never becomes a label');
    const series = [...parseExposition(text).keys()].filter((k) => k.startsWith('hostlens_requests_total{'));
    assert.ok(series.length < 20, `${series.length} request series`);
    assert.equal(parseExposition(text).get('hostlens_requests_total{era="modern",method="tools/call",tool="other",status="200"}'), 1000);
  });
});

describe('/metrics with auth on: hostlens:admin', () => {
  let r: Running;
  const admin = 'metrics-admin-token-0123456789abcdef';
  const reader = 'metrics-reader-token-0123456789abcdef';
  before(async () => {
    r = await startApp({
      authenticator: createAuthenticator({
        tokens: [
          { name: 'admin', sha256: sha256Hex(admin), scopes: [...SCOPES] },
          { name: 'reader', sha256: sha256Hex(reader), scopes: ['hostlens:read'] },
        ],
      }),
      telemetry: { metrics: createMetrics({ toolNames: ['echo'], processMetrics: false }) },
    });
  });
  after(async () => {
    await r.app.close();
  });

  test('no token → 401 with the resource metadata challenge; a reader → 403 insufficient_scope hostlens:admin; admin → 200', async () => {
    const none = await fetch(r.at('/metrics'));
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer .*resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    await none.body?.cancel();
    const forbidden = await fetch(r.at('/metrics'), { headers: { authorization: `Bearer ${reader}` } });
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="hostlens:admin"/);
    const body = await forbidden.text();
    assert.ok(!body.includes('hostlens_requests_total'));
    const ok = await scrape(r.at('/metrics'), { authorization: `Bearer ${admin}` });
    assert.ok(ok.has('hostlens_sessions_open'));
  });

  test('refused /mcp requests are counted by status without a method (the body is never read)', async () => {
    const res = await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: '{}' });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    const m = await scrape(r.at('/metrics'), { authorization: `Bearer ${admin}` });
    assert.ok((m.get('hostlens_requests_total{era="none",method="unparsed",tool="",status="401"}') ?? 0) >= 1);
  });
});

describe('hostlens_redactions_total counts what real results redacted', () => {
  let app: HttpApp;
  let url: string;
  let port: number;
  let dir: string;
  const TOOLSETS: Toolset[] = ['core', 'config'];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-metrics-'));
    cpSync(`${FIXTURE_HOSTS}idle`, dir, { recursive: true });
    mkdirSync(join(dir, 'etc'), { recursive: true });
    writeFileSync(join(dir, 'etc', 'app.conf'), 'user = svc\npassword = Hunter2PlantedValue\napi_key = abcdefPlantedKey123\n');
    const services = servicesAt(dir);
    app = createHttpApp({
      factory: createProductFactory({ services, toolsets: TOOLSETS }),
      port: 0,
      scopeIndex: scopeIndex(productCatalogue, TOOLSETS),
      telemetry: { metrics: createMetrics({ toolNames: productCatalogue.tools.map((t) => t.name), processMetrics: false }) },
    });
    ({ url, port } = await app.listen());
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a get_config result with two secrets adds its envelope redactions to the counter', async () => {
    const at = `http://127.0.0.1:${port}/metrics`;
    const before = (await scrape(at)).get('hostlens_redactions_total') ?? 0;
    const res = await postModern(url, { method: 'tools/call', id: 'cfg', params: { name: 'get_config', arguments: { path: '/etc/app.conf' }, _meta: modernMeta() } });
    const msg = await readResponse(res);
    const sc = (msg.result as { structuredContent: { redactions: number } }).structuredContent;
    assert.ok(sc.redactions >= 2, JSON.stringify(msg.result).slice(0, 400));
    const after = await within(5_000, 'the counter moved', (async () => {
      for (;;) {
        const v = (await scrape(at)).get('hostlens_redactions_total') ?? 0;
        if (v > before) return v;
        await delay(10);
      }
    })());
    assert.equal(after - before, sc.redactions);
  });
});

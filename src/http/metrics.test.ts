/**
 * Metrics on their own: bounded label values whatever names clients send,
 * the sampler lag, and the response meter that feeds outcomes, bytes and
 * redaction counts to the audit log and the metrics.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMetrics, KNOWN_METHODS, methodLabel, samplerLagSeconds } from './metrics.js';
import { createResponseMeter } from './response-meter.js';

/** label sets of one metric in the exposition text. */
function labelSets(text: string, name: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf('}'));
    const labels: Record<string, string> = {};
    for (const m of body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    out.push(labels);
  }
  return out;
}

function value(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  test('1,000 random tool names and methods keep the label sets bounded (known names + other)', async () => {
    const metrics = createMetrics({ toolNames: ['get_cpu', 'get_memory'], processMetrics: false });
    for (let i = 0; i < 1000; i++) {
      const random = `tool_${Math.random().toString(36).slice(2)}_${i}`;
      metrics.observe({ era: 'modern', method: 'tools/call', httpMethod: 'POST', tool: random, status: 200, durationSec: 0.01, redactions: 0 });
      metrics.observe({ era: 'legacy', method: `x/${random}`, httpMethod: 'POST', status: 200, durationSec: 0.01, redactions: 0 });
    }
    metrics.observe({ era: 'modern', method: 'tools/call', httpMethod: 'POST', tool: 'get_cpu', status: 200, durationSec: 0.2, redactions: 3 });
    metrics.observe({ era: null, method: null, httpMethod: 'POST', status: 401, durationSec: 0.001, redactions: 0 });
    const text = await metrics.registry.metrics();
    const sets = labelSets(text, 'hostlens_requests_total');
    assert.ok(sets.length <= 5, `${sets.length} series`);
    assert.deepEqual([...new Set(sets.map((s) => s.tool))].sort(), ['', 'get_cpu', 'other']);
    for (const s of sets) assert.ok(KNOWN_METHODS.has(s.method!) || ['other', 'unparsed', 'GET', 'DELETE'].includes(s.method!), s.method);
    assert.equal(value(text, 'hostlens_requests_total{era="modern",method="tools/call",tool="other",status="200"}'), 1000);
    assert.equal(value(text, 'hostlens_requests_total{era="legacy",method="other",tool="",status="200"}'), 1000);
    assert.equal(value(text, 'hostlens_requests_total{era="none",method="unparsed",tool="",status="401"}'), 1);
    assert.equal(value(text, 'hostlens_tool_duration_seconds_count{tool="get_cpu"}'), 1);
    assert.equal(value(text, 'hostlens_tool_duration_seconds_bucket{le="0.25",tool="get_cpu"}'), 1);
    assert.equal(value(text, 'hostlens_tool_duration_seconds_bucket{le="0.1",tool="get_cpu"}'), 0);
    assert.equal(value(text, 'hostlens_redactions_total'), 3);
    assert.ok(labelSets(text, 'hostlens_tool_duration_seconds_count').length <= 3);
  });

  test('gauges: sessions from their source, SSE streams opened and closed, default process metrics', async () => {
    let sessions = 4;
    const metrics = createMetrics({ samplerLag: () => 0.25, auditDropped: () => 2 });
    metrics.sessionsFrom(async () => sessions);
    metrics.streamOpened();
    metrics.streamOpened();
    metrics.streamClosed();
    let text = await metrics.registry.metrics();
    assert.equal(value(text, 'hostlens_sessions_open'), 4);
    assert.equal(value(text, 'hostlens_sse_streams_open'), 1);
    assert.equal(value(text, 'hostlens_sampler_lag_seconds'), 0.25);
    assert.equal(value(text, 'hostlens_audit_lines_dropped_total'), 2);
    assert.ok((value(text, 'process_resident_memory_bytes') ?? 0) > 1_000_000);
    assert.ok((value(text, 'process_open_fds') ?? 0) > 0);
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
    sessions = 1;
    metrics.streamClosed();
    metrics.streamClosed();
    text = await metrics.registry.metrics();
    assert.equal(value(text, 'hostlens_sessions_open'), 1);
    assert.equal(value(text, 'hostlens_sse_streams_open'), 0, 'never negative');
    assert.equal(value(text, 'hostlens_audit_lines_dropped_total'), 2, 'a counter following a source does not double count');
  });

  test('methodLabel: unparsed POSTs, GET/DELETE streams, unknown methods', () => {
    assert.equal(methodLabel(null, 'POST'), 'unparsed');
    assert.equal(methodLabel(null, 'GET'), 'GET');
    assert.equal(methodLabel(null, 'PATCH'), 'unparsed');
    assert.equal(methodLabel('tools/call', 'POST'), 'tools/call');
    assert.equal(methodLabel('evil/\u0000', 'POST'), 'other');
  });

  test('samplerLagSeconds: 0 when on time or not running, the late gap, or how overdue the next tick is', () => {
    const at = (latest: number | null, previous: number | null, running = true) => ({
      running,
      latest: () => (latest === null ? null : { atMs: latest }),
      previous: () => (previous === null ? null : { atMs: previous }),
    });
    assert.equal(samplerLagSeconds(at(10_000, 9_000), 1000, 10_500), 0);
    assert.equal(samplerLagSeconds(at(10_000, 8_500), 1000, 10_100), 0.5, 'the last gap was 1.5 s');
    assert.equal(samplerLagSeconds(at(10_000, 9_000), 1000, 14_000), 3, 'no tick for 4 s');
    assert.equal(samplerLagSeconds(at(null, null), 1000, 14_000), 0);
    assert.equal(samplerLagSeconds(at(10_000, 9_000, false), 1000, 99_000), 0);
  });
});

const enc = new TextEncoder();
function feed(contentType: string, text: string, pieces = 3) {
  const m = createResponseMeter(contentType);
  const bytes = enc.encode(text);
  const step = Math.ceil(bytes.length / pieces);
  for (let i = 0; i < bytes.length; i += step) m.chunk(bytes.subarray(i, i + step));
  return m.result();
}

describe('response meter', () => {
  test('a JSON result: bytes, ok; an isError result: tool error; a JSON-RPC error: its code', () => {
    const ok = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'the word "error": inside text' }], structuredContent: { data: { error: 'x' } } } });
    const r = feed('application/json', ok);
    assert.deepEqual(r, { bytes: Buffer.byteLength(ok), rpcErrorCode: null, toolError: false, redactions: 0, sse: false });
    assert.equal(feed('application/json', JSON.stringify({ jsonrpc: '2.0', id: 2, result: { content: [], isError: true } })).toolError, true);
    assert.equal(feed('application/json; charset=utf-8', JSON.stringify({ jsonrpc: '2.0', id: 3, error: { code: -32602, message: 'x' } })).rpcErrorCode, -32602);
  });

  test('SSE: progress notifications, then the response with redactions (the envelope count), split across chunks anywhere', () => {
    const progress = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1, message: 'an "error" word' } });
    const result = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'pw [REDACTED] and [REDACTED]' }], structuredContent: { data: { cmd: 'x [REDACTED] [REDACTED]' }, redactions: 2 } },
    });
    const text = `id: 1\nevent: message\ndata: ${progress}\n\nid: 2\nevent: message\ndata: ${result}\n\n`;
    for (const pieces of [1, 2, 7, 50]) {
      const r = feed('text/event-stream', text, pieces);
      assert.deepEqual(r, { bytes: Buffer.byteLength(text), rpcErrorCode: null, toolError: false, redactions: 2, sse: true }, `${pieces} pieces`);
    }
  });

  test('a resource body with [REDACTED] counts its markers; an empty body is 0 bytes', () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { contents: [{ uri: 'diag://x', text: 'a=[REDACTED] b=[REDACTED] c=[REDACTED]' }] } });
    assert.equal(feed('application/json', body).redactions, 3);
    assert.deepEqual(createResponseMeter(null).result(), { bytes: 0, rpcErrorCode: null, toolError: false, redactions: 0, sse: false });
  });
});

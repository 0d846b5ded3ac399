/**
 * Requests that used to hold the server's event loop, against a spawned `hostlens serve` (toolsets core
 * and logs, a real 60,000-entry journal): a 300,000-key arguments object (1.2–1.6 s), 20,000-level arrays
 * and objects (500 -32603), a 2025-03-26 batch of 100 tools/list (19 MB answered), search_logs over the
 * journal four at a time (≈ 1 s per call). Each case asserts the answer (status, code, id, results) and
 * that the server still serves; how long /healthz waited meanwhile (test/hostile/loop-probe.ts) is printed
 * with t.diagnostic, never asserted (timings depend on the machine).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { ACCEPT, legacyHeaders, MODERN, modernMeta, openLegacySession, readMessages } from '../http/helpers.js';
import { buildBigJournal } from './big-journal.js';
import { formatLoopStats, probeDuring } from './loop-probe.js';
import { servePerSuite } from './harness.js';

const env: Record<string, string> = { HOSTLENS_RATE_LIMIT: '1000,2000', HOSTLENS_TOOLSETS: 'core,logs' };
type Era = 'modern' | 'legacy';

describe('nothing one request does holds the event loop', { timeout: 240_000 }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-hostile-loop-'));
    env.HOSTLENS_JOURNAL_DIRECTORY = buildBigJournal(dir, 60_000);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const served = servePerSuite(env);
  let sid = '';
  before(async () => {
    sid = await openLegacySession(served().url, '2025-11-25');
  });

  function post(era: Era, body: string, method = 'tools/call', name?: string): Promise<Response> {
    const headers =
      era === 'modern'
        ? { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) }
        : legacyHeaders('2025-11-25', sid);
    return fetch(served().url, { method: 'POST', headers, body });
  }
  const meta = (era: Era): Record<string, unknown> => (era === 'modern' ? { _meta: modernMeta() } : {});

  async function measured<T>(t: TestContext, label: string, abuse: () => Promise<T>): Promise<T> {
    const { result, stats } = await probeDuring(served().port, abuse, { serverLag: true });
    t.diagnostic(formatLoopStats(label, stats));
    assert.equal(stats.failures, 0, `${label}: /healthz failed ${stats.failures} time(s)`);
    return result;
  }

  async function stillServes(): Promise<void> {
    const res = await post('modern', JSON.stringify({ jsonrpc: '2.0', id: 'alive', method: 'tools/call', params: { name: 'get_cpu', arguments: {}, ...meta('modern') } }), 'tools/call', 'get_cpu');
    assert.equal(res.status, 200);
    const msg = (await res.json()) as { id: string; result?: { isError?: boolean } };
    assert.equal(msg.id, 'alive');
    assert.equal(msg.result?.isError, undefined);
  }

  async function error(res: Response): Promise<{ status: number; code: number; id: unknown; message: string }> {
    const body = (await res.json()) as { id: unknown; error: { code: number; message: string } };
    return { status: res.status, code: body.error.code, id: body.id, message: body.error.message };
  }

  test('baseline: /healthz with nothing else running (the figures below compare to this, on the same machine in the same run)', async (t) => {
    await measured(t, 'idle 1 s', () => new Promise((resolve) => setTimeout(resolve, 1_000)));
    await stillServes();
  });

  test('300,000 argument keys (3.5 MB) in both eras → 400 -32602 with the id', async (t) => {
    const keys = Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, 0]));
    for (const era of ['modern', 'legacy'] as const) {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 'wide', method: 'tools/call', params: { name: 'get_cpu', arguments: keys, ...meta(era) } });
      const res = await measured(t, `300,000 keys (${era})`, () => post(era, body, 'tools/call', 'get_cpu'));
      const e = await error(res);
      assert.deepEqual([e.status, e.code, e.id], [400, -32602, 'wide'], e.message);
      assert.match(e.message, /more than 1000 members/);
    }
    await stillServes();
  });

  test('20,000-level arrays and objects as the body, both eras → 400 -32600 id null (was 500 -32603)', async (t) => {
    for (const era of ['modern', 'legacy'] as const) {
      for (const [what, body] of [
        ['array', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
        ['object', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`],
      ] as const) {
        const e = await error(await measured(t, `20,000-level ${what} (${era})`, () => post(era, body, 'tools/list')));
        assert.deepEqual([e.status, e.code, e.id], [400, -32600, null], e.message);
      }
    }
    await stillServes();
  });

  test('2025-03-26 batches: 100 tools/list → 400 -32600 (was 19 MB); 5 tools/list → 400; 4 tools/list + 28 ping → 32 answers', async (t) => {
    const old = await openLegacySession(served().url, '2025-03-26');
    const batch = (methods: string[]): Promise<Response> =>
      fetch(served().url, { method: 'POST', headers: legacyHeaders('2025-03-26', old), body: JSON.stringify(methods.map((method, id) => ({ jsonrpc: '2.0', id, method }))) });
    const hundred = await error(await measured(t, 'batch of 100 tools/list', () => batch(Array(100).fill('tools/list'))));
    assert.deepEqual([hundred.status, hundred.code, hundred.id], [400, -32600, null], hundred.message);
    assert.match(hundred.message, /at most 32 messages/);
    const five = await error(await batch(Array(5).fill('tools/list')));
    assert.deepEqual([five.status, five.code], [400, -32600], five.message);
    const res = await measured(t, 'batch of 4 tools/list + 28 ping', () => batch([...Array(4).fill('tools/list'), ...Array(28).fill('ping')]));
    assert.equal(res.status, 200);
    const answers = (await readMessages(res)).filter((m) => 'result' in m);
    assert.deepEqual(answers.map((m) => m.id).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 32 }, (_, i) => i));
    await stillServes();
  });

  test('search_logs over a 60,000-entry journal, 4 calls at once per mode: complete answers while /healthz is served', async (t) => {
    for (const mode of ['patterns', 'facets', 'entries'] as const) {
      const call = async (): Promise<Record<string, unknown>> => {
        const body = JSON.stringify({ jsonrpc: '2.0', id: mode, method: 'tools/call', params: { name: 'search_logs', arguments: { mode, maxScan: 20_000 }, ...meta('modern') } });
        const res = await post('modern', body, 'tools/call', 'search_logs');
        assert.equal(res.status, 200);
        const msg = (await res.json()) as { result: { isError?: boolean; content: Array<{ text: string }>; structuredContent: { data: Record<string, unknown> } } };
        assert.equal(msg.result.isError, undefined, msg.result.content[0]?.text);
        return msg.result.structuredContent.data;
      };
      const results = await measured(t, `search_logs ${mode} ×4 (60,000 entries, maxScan 20,000)`, () => Promise.all([call(), call(), call(), call()]));
      for (const d of results) {
        assert.equal(d.available, true);
        assert.equal(d.scannedCount, 20_000);
        assert.ok(Number(d.totalMatched) >= 59_000, `totalMatched ${String(d.totalMatched)}`);
        if (mode === 'patterns') assert.ok(Number(d.patternCount) > 0 && JSON.stringify(d.patterns).includes('<ip>'));
        if (mode === 'facets') assert.ok((d.facets as { distinct: { unit: number } }).distinct.unit >= 5);
        if (mode === 'entries') assert.equal((d.entries as unknown[]).length, 50);
        assert.ok(!JSON.stringify(d).includes('hunter2big'), 'the planted password was redacted');
      }
      assert.deepEqual(results.map((d) => d.patternCount), Array(4).fill(results[0]!.patternCount), 'the four answers agree');
    }
    await stillServes();
  });
});

/**
 * The reader-scope rules in a 2025-era session (representative routes:
 * capture, snapshot read, diff, incident_report, recent_changes, completion)
 * and for subscriptions in both eras: resources/subscribe and
 * subscriptions/listen refuse a URI beyond the principal's scopes, and
 * notifications/resources/updated reaches only sessions whose principal may
 * read the URI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Scope } from '../../src/contracts/scopes.js';
import { LEGACY_VERSIONS, legacyHeaders, modernMeta, postModern, SseReader } from '../http/helpers.js';
import { ARGV_MARKERS, CONFIG_MARKERS, CONFIG_PATH, legacySession, modernCall, nameOf, PROMPT_SECRET, scopeCombos, startHarness, tokenOf } from './scope-routes-harness.js';
import type { Harness } from './scope-routes-harness.js';

const ALL: Scope[] = scopeCombos().at(-1)!;
const OVERVIEW = 'diag://local/overview';
const CONFIG_URI = `diag://local/config${CONFIG_PATH}`;
/** An existing resource beyond hostlens:read that a session can subscribe to. */
const ADMIN_URI = 'diag://admin/audit';
const SUBSET: Scope[][] = [['hostlens:read'], ['hostlens:read', 'hostlens:processes'], ['hostlens:read', 'hostlens:config'], ['hostlens:read', 'hostlens:logs'], ALL];

describe('reader scopes in legacy sessions and subscriptions', { timeout: 60_000 }, () => {
  let h: Harness;
  let snapA = '';
  let snapB = '';
  before(async () => {
    h = await startHarness();
    for (const label of ['a', 'b']) {
      const r = await modernCall(h.url, ALL, 'tools/call', { name: 'capture_snapshot', arguments: { label } });
      const id = (r.message?.result?.structuredContent as { data: { snapshotId: string } }).data.snapshotId;
      if (label === 'a') snapA = id;
      else snapB = id;
    }
  });
  after(async () => {
    await h?.close();
  });

  test('legacy session: snapshot, diff, report, changes and completion follow the session principal\'s scopes', async () => {
    for (const scopes of SUBSET) {
      const s = await legacySession(h.url, scopes);
      const texts = [
        await s.call('tools/call', { name: 'capture_snapshot', arguments: {} }),
        await s.call('resources/read', { uri: `diag://snapshots/${snapA}` }),
        await s.call('tools/call', { name: 'diff_snapshots', arguments: { a: snapA, b: snapB } }),
        await s.call('prompts/get', { name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: 'sev1', summary: `token=${PROMPT_SECRET}`, snapshotIds: `${snapA},${snapB}` } }),
        await s.call('tools/call', { name: 'recent_changes', arguments: { limit: 200 } }),
        await s.call('completion/complete', { ref: { type: 'ref/resource', uri: 'diag://snapshots/{id}' }, argument: { name: 'id', value: 'snap_' } }),
      ].map((a) => {
        assert.equal(a.status, 200, `${nameOf(scopes)}: ${a.text.slice(0, 300)}`);
        return a.text;
      });
      const all = texts.join('\n');
      assert.equal(texts[1]!.includes(ARGV_MARKERS[0]!), scopes.includes('hostlens:processes'), `${nameOf(scopes)} snapshot`);
      if (!scopes.includes('hostlens:processes')) for (const m of ARGV_MARKERS) assert.ok(!all.includes(m), `${nameOf(scopes)} sees ${m}`);
      assert.equal(texts[4]!.includes(CONFIG_MARKERS[0]!), scopes.includes('hostlens:config'), `${nameOf(scopes)} recent_changes`);
      if (!scopes.includes('hostlens:config')) for (const m of CONFIG_MARKERS) assert.ok(!all.includes(m), `${nameOf(scopes)} sees ${m}`);
      assert.ok(!all.includes(PROMPT_SECRET));
      assert.ok(texts[5]!.includes(snapA), 'snapshot ids complete at read scope');
    }
  });

  test('legacy resources/subscribe: a URI beyond the scopes is refused; updates reach only sessions that may read the URI', async () => {
    const reader = await legacySession(h.url, ['hostlens:read']);
    const admin = await legacySession(h.url, ALL);
    assert.equal((await reader.call('resources/subscribe', { uri: OVERVIEW })).status, 200);
    assert.equal((await reader.call('resources/subscribe', { uri: CONFIG_URI })).status, 403, 'subscribing beyond the scopes is refused');
    assert.equal((await reader.call('resources/subscribe', { uri: ADMIN_URI })).status, 403);
    assert.equal((await admin.call('resources/subscribe', { uri: OVERVIEW })).status, 200);
    const sub = await admin.call('resources/subscribe', { uri: ADMIN_URI });
    assert.ok(sub.message?.result, sub.text);
    const stream = async (sid: string, scopes: Scope[]) =>
      new SseReader(await fetch(h.url, { method: 'GET', headers: { ...legacyHeaders(LEGACY_VERSIONS[0], sid, { authorization: `Bearer ${tokenOf(scopes)}` }), accept: 'text/event-stream' } }));
    const readerStream = await stream(reader.sid, ['hostlens:read']);
    const adminStream = await stream(admin.sid, ALL);
    await new Promise((r) => setTimeout(r, 200));
    h.app.notify.resourceUpdated(ADMIN_URI);
    h.app.notify.resourceUpdated(OVERVIEW);
    const updates = async (r: SseReader, n: number): Promise<string[]> => {
      const out: string[] = [];
      while (out.length < n) {
        const m = await r.nextMessage();
        if (!m) break;
        if (m.message.method === 'notifications/resources/updated') out.push(String(m.message.params?.uri));
      }
      return out;
    };
    assert.deepEqual(await updates(adminStream, 2), [ADMIN_URI, OVERVIEW]);
    assert.deepEqual(await updates(readerStream, 1), [OVERVIEW], 'the admin update is never announced to the read-only session');
    await readerStream.cancel();
    await adminStream.cancel();
  });

  test('subscriptions/listen (2026-07-28): a URI beyond the scopes is refused with 403', async () => {
    const listen = (scopes: Scope[], uris: string[], signal: AbortSignal) =>
      postModern(h.url, { method: 'subscriptions/listen', id: 'L', params: { notifications: { resourceSubscriptions: uris }, _meta: modernMeta() }, headers: { authorization: `Bearer ${tokenOf(scopes)}` }, signal });
    const ac = new AbortController();
    const refused = await listen(['hostlens:read'], [OVERVIEW, CONFIG_URI], ac.signal);
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    const ok = await listen(['hostlens:read'], [OVERVIEW], ac.signal);
    assert.equal(ok.status, 200);
    const r = new SseReader(ok);
    const first = await r.nextMessage();
    assert.ok(first, 'acknowledged');
    h.app.notify.resourceUpdated(OVERVIEW);
    let got: string | null = null;
    for (let i = 0; i < 5 && got === null; i += 1) {
      const m = await r.nextMessage();
      if (m?.message.method === 'notifications/resources/updated') got = String(m.message.params?.uri);
    }
    assert.equal(got, OVERVIEW);
    ac.abort();
    await r.cancel();
  });
});

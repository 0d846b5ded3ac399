/**
 * What every SessionStore (src/http/store/types.ts) must do, as node:test
 * cases: memory-store.test.ts and redis-store.test.ts register them for
 * their store. Expiry is observed by polling with short TTLs, never by
 * asserting how long something took.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { JSONRPCMessage, ServerEvent } from '@modelcontextprotocol/server';
import { formatEventId, sessionTag } from '../../src/http/store/event-ids.js';
import type { ControlMessage, SessionLimits, SessionRecord, SessionStore, StoredEvent } from '../../src/http/store/types.js';
import { delay, within } from './async.js';

export interface StoreContractOptions {
  /** Whether the store shares rate buckets between replicas (takeToken); the memory store does not: each process keeps its own. */
  sharedBuckets?: boolean;
}

let serial = 0;
/** A fresh record; `lastSeenOffset` orders records by lastSeen without waiting. */
export function record(tenant: string, lastSeenOffset = 0, id?: string): SessionRecord {
  const now = Date.now();
  serial += 1;
  return {
    id: id ?? `s${serial}-${Math.random().toString(36).slice(2, 10)}`,
    principal: `p-${tenant}`,
    tenant,
    protocolVersion: '2025-06-18',
    clientInfo: { name: 'contract', version: '1.0.0' },
    clientCapabilities: { roots: { listChanged: true } },
    subscriptions: [],
    createdAt: now,
    lastSeen: now + lastSeenOffset,
  };
}

export const LIMITS: SessionLimits = { maxSessions: 1_000, maxPerTenant: 1_000, ttlMs: 60_000 };
const never = (): boolean => false;
const msg = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: n } });

/** Polls `check` until it is true (5 s bound: a failure, never a measurement). */
export async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  await within(5_000, what, (async () => {
    while (!(await check())) await delay(20);
  })());
}

export function storeContract(name: string, make: () => Promise<{ store: SessionStore; cleanup(): Promise<void> }>, options: StoreContractOptions = {}): void {
  describe(`session store contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });
    const fresh = async (): Promise<SessionStore> => {
      const { store, cleanup } = await make();
      cleanups.push(cleanup);
      return store;
    };
    const add = async (store: SessionStore, r: SessionRecord, limits = LIMITS, busy = never): Promise<SessionRecord> => {
      assert.deepEqual(await store.create(r, limits, busy), { ok: true, evicted: [] });
      return r;
    };

    test('create, get, touch, setLogLevel, delete', async () => {
      const store = await fresh();
      const r = await add(store, record('t1'));
      assert.deepEqual(await store.get(r.id), r);
      assert.equal(await store.get('nope'), undefined);
      assert.equal(await store.touch('nope', r.principal, Date.now(), 1_000), undefined);
      const before = await store.get(r.id);
      assert.equal(await store.touch(r.id, 'someone-else', Date.now() + 5_000, 1_000), undefined, "another principal's touch answers nothing");
      assert.deepEqual(await store.get(r.id), before, 'and changes nothing');
      const later = r.lastSeen + 5_000;
      assert.deepEqual(await store.touch(r.id, r.principal, later, LIMITS.ttlMs), { ...r, lastSeen: later });
      await store.setLogLevel(r.id, 'warning');
      assert.equal((await store.get(r.id))?.logLevel, 'warning');
      await store.setLogLevel('nope', 'error');
      assert.equal(await store.get('nope'), undefined);
      assert.equal(await store.count(), 1);
      assert.equal(await store.countOf('t1'), 1);
      assert.equal(await store.countOf('t2'), 0);
      assert.equal(await store.delete(r.id), true);
      assert.equal(await store.delete(r.id), false);
      assert.equal(await store.get(r.id), undefined);
      assert.equal(await store.count(), 0);
    });

    test('a session expires after its TTL; touch slides the expiry', async () => {
      const store = await fresh();
      const short = { ...LIMITS, ttlMs: 300 };
      const kept = await add(store, record('t1'), short);
      const lapsing = await add(store, record('t1'), short);
      // Pushed far out before the 300 ms pass; `lapsing` expiring shows the time went by.
      assert.ok(await store.touch(kept.id, kept.principal, Date.now(), 60_000));
      await until('the untouched session expires', async () => (await store.get(lapsing.id)) === undefined);
      assert.equal((await store.get(kept.id))?.id, kept.id);
      assert.equal(await store.touch(lapsing.id, lapsing.principal, Date.now(), 60_000), undefined, 'an expired session cannot be revived');
      // touch also shortens: a 300 ms TTL from now.
      assert.ok(await store.touch(kept.id, kept.principal, Date.now(), 300));
      await until('the shortened session expires', async () => (await store.get(kept.id)) === undefined);
    });

    test('reap returns the expired ids; counts exclude them', async () => {
      const store = await fresh();
      // Created last: a create may drop expired sessions itself.
      const live = await add(store, record('t1'));
      const old = await add(store, record('t1', -10_000), { ...LIMITS, ttlMs: 1_000 });
      assert.deepEqual(await store.reap(Date.now()), [old.id]);
      assert.deepEqual(await store.reap(Date.now()), []);
      assert.equal(await store.get(old.id), undefined);
      assert.equal(await store.count(), 1);
      assert.equal(await store.countOf('t1'), 1);
      assert.equal((await store.get(live.id))?.id, live.id);
    });

    test('count() and countOf() exclude expired sessions before any reap', async () => {
      const store = await fresh();
      await add(store, record('t1'));
      await add(store, record('t1', -10_000), { ...LIMITS, ttlMs: 1_000 });
      assert.equal(await store.count(), 1);
      assert.equal(await store.countOf('t1'), 1);
    });

    test('tenant cap: the least recently seen idle session of the tenant is evicted; all busy → refused', async () => {
      const store = await fresh();
      const limits = { ...LIMITS, maxPerTenant: 2 };
      const a = await add(store, record('t1', -3), limits);
      const b = await add(store, record('t1', -2), limits);
      const other = await add(store, record('t2', -10), limits);
      const c = record('t1', -1);
      assert.deepEqual(await store.create(c, limits, (id) => id === a.id), { ok: true, evicted: [b.id] });
      assert.equal(await store.get(b.id), undefined);
      // a is now the oldest of t1 and idle.
      const d = record('t1');
      assert.deepEqual(await store.create(d, limits, never), { ok: true, evicted: [a.id] });
      assert.deepEqual(await store.create(record('t1', 1), limits, () => true), { ok: false, scope: 'tenant', held: 2, limit: 2 });
      // touch reorders: c seen last, so d is the oldest.
      await store.touch(c.id, c.principal, Date.now() + 100, LIMITS.ttlMs);
      assert.deepEqual(await store.create(record('t1', 200), limits, never), { ok: true, evicted: [d.id] });
      assert.equal((await store.get(other.id))?.id, other.id, 'another tenant is never touched by the tenant cap');
      assert.equal(await store.countOf('t1'), 2);
    });

    test('tenant cap: the oldest idle session is found past many busy ones', async () => {
      const store = await fresh();
      const limits = { ...LIMITS, maxPerTenant: 40 };
      const held: SessionRecord[] = [];
      for (let i = 0; i < 40; i++) held.push(await add(store, record('t1', i - 100), limits));
      const idle = held[37] as SessionRecord;
      assert.deepEqual(await store.create(record('t1'), limits, (id) => id !== idle.id), { ok: true, evicted: [idle.id] });
    });

    test('total cap: evicts from the largest holder (more than the newcomer would hold); none idle → refused', async () => {
      const store = await fresh();
      const limits = { ...LIMITS, maxSessions: 4 };
      const x1 = await add(store, record('x', -30), limits);
      const x2 = await add(store, record('x', -20), limits);
      await add(store, record('x', -10), limits);
      const y1 = await add(store, record('y', -40), limits);
      assert.deepEqual(await store.create(record('z', 0), limits, (id) => id === x1.id), { ok: true, evicted: [x2.id] });
      assert.equal((await store.get(y1.id))?.id, y1.id, 'the oldest session overall is not evicted: its tenant is not the largest');
      // x: 2, y: 1, z: 1. A newcomer of z would hold 2: x (2) is not larger, so nothing can go.
      assert.deepEqual(await store.create(record('z', 1), limits, never), { ok: false, scope: 'total', held: 4, limit: 4 });
      // A newcomer of w would hold 1: x (2 > 1) loses its oldest idle, but all are busy.
      assert.deepEqual(await store.create(record('w', 1), limits, (id) => id.length > 0), { ok: false, scope: 'total', held: 4, limit: 4 });
      assert.deepEqual(await store.create(record('w', 1), limits, never), { ok: true, evicted: [x1.id] });
      assert.equal(await store.count(), 4);
    });

    test('subscriptions: added, present, full, gone; subscribers(); unsubscribe; delete clears them', async () => {
      const store = await fresh();
      const a = await add(store, record('t1'));
      const b = await add(store, record('t1'));
      assert.equal(await store.subscribe(a.id, 'file:///a', 2), 'added');
      assert.equal(await store.subscribe(a.id, 'file:///a', 2), 'present');
      assert.equal(await store.subscribe(a.id, 'file:///b', 2), 'added');
      assert.equal(await store.subscribe(a.id, 'file:///c', 2), 'full');
      assert.equal(await store.subscribe('nope', 'file:///a', 2), 'gone');
      assert.equal(await store.subscribe(b.id, 'file:///a', 2), 'added');
      assert.deepEqual((await store.get(a.id))?.subscriptions, ['file:///a', 'file:///b']);
      assert.deepEqual((await store.subscribers('file:///a')).sort(), [a.id, b.id].sort());
      assert.deepEqual(await store.subscribers('file:///c'), []);
      await store.unsubscribe(a.id, 'file:///a');
      assert.deepEqual((await store.get(a.id))?.subscriptions, ['file:///b']);
      assert.deepEqual(await store.subscribers('file:///a'), [b.id]);
      assert.equal(await store.subscribe(a.id, 'file:///c', 2), 'added');
      assert.equal(await store.delete(b.id), true);
      assert.deepEqual(await store.subscribers('file:///a'), []);
      assert.deepEqual(await store.subscribers('file:///b'), [a.id]);
      const c = await add(store, { ...record('t1'), subscriptions: ['file:///z'] });
      assert.deepEqual(await store.subscribers('file:///z'), [c.id], 'a created record indexes its subscriptions');
    });

    test('events: stored and replayed in order after an id, per stream; seq increases within a stream', async () => {
      const store = await fresh();
      const s = await add(store, record('t1'));
      const ev = store.events(s.id);
      const ids: string[] = [];
      const ids2: string[] = [];
      for (let i = 1; i <= 5; i++) {
        ids.push(await ev.storeEvent('s1', msg(i)));
        ids2.push(await ev.storeEvent('s2', msg(100 + i)));
      }
      const tag = sessionTag(s.id);
      // Ids name the session's tag and the stream; seqs increase within a stream (how they are drawn is the store's).
      const seqs = ids.map((id) => Number(id.split('.')[2]));
      assert.deepEqual(ids, seqs.map((seq) => formatEventId(tag, 's1', seq)));
      assert.ok(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number)), ids.join());
      assert.equal(await ev.getStreamIdForEventId(ids[1] as string), 's1');
      const sent: Array<[string, JSONRPCMessage]> = [];
      const streamId = await ev.replayEventsAfter(ids[1] as string, { send: async (id, m) => void sent.push([id, m]) });
      assert.equal(streamId, 's1');
      assert.deepEqual(sent, [
        [ids[2], msg(3)],
        [ids[3], msg(4)],
        [ids[4], msg(5)],
      ]);
      const none: string[] = [];
      assert.equal(await ev.replayEventsAfter(ids[4] as string, { send: async (id) => void none.push(id) }), 's1');
      assert.deepEqual(none, []);
      assert.deepEqual(await ev.firstEvent('s2'), { eventId: ids2[0], streamId: 's2', seq: Number(ids2[0]?.split('.')[2]), message: msg(101) });
      assert.equal(await ev.firstEvent('never'), undefined);
    });

    test("events: another session's ids are unknown (tag mismatch, forged tag)", async () => {
      const store = await fresh();
      const a = await add(store, record('t1'));
      const b = await add(store, record('t1'));
      const evA = store.events(a.id);
      const evB = store.events(b.id);
      const idA = await evA.storeEvent('_GET_stream', msg(1));
      await evA.storeEvent('_GET_stream', msg(2));
      await evB.storeEvent('other', msg(3));
      const send = async (): Promise<void> => assert.fail('nothing may be replayed');
      assert.equal(await evB.getStreamIdForEventId(idA), undefined);
      await assert.rejects(evB.replayEventsAfter(idA, { send }));
      // B's tag on A's stream: B has no such stream; A refuses B's tag.
      const forged = formatEventId(sessionTag(b.id), '_GET_stream', 1);
      assert.equal(await evB.getStreamIdForEventId(forged), undefined);
      await assert.rejects(evB.replayEventsAfter(forged, { send }));
      assert.equal(await evA.getStreamIdForEventId(forged), undefined);
      await assert.rejects(evA.replayEventsAfter(forged, { send }));
      for (const junk of ['', 'x', `${sessionTag(a.id)}._GET_stream.0`, `${sessionTag(a.id)}.no.such.1`, `${sessionTag(a.id)}.${'s'.repeat(200)}.1`]) {
        assert.equal(await evA.getStreamIdForEventId(junk), undefined, junk);
        await assert.rejects(evA.replayEventsAfter(junk, { send }), junk);
      }
      assert.equal(await evA.getStreamIdForEventId(idA), '_GET_stream');
    });

    test('events: each stream keeps its newest 100', async () => {
      const store = await fresh();
      const s = await add(store, record('t1'));
      const ev = store.events(s.id);
      const stored: string[] = [];
      for (let i = 0; i < 105; i++) stored.push(await ev.storeEvent('s1', msg(i)));
      const replayed: string[] = [];
      await ev.replayEventsAfter(stored[0] as string, { send: async (id) => void replayed.push(id) });
      assert.deepEqual(replayed, stored.slice(5), 'the newest 100, in order');
    });

    test('delete removes the events', async () => {
      const store = await fresh();
      const s = await add(store, record('t1'));
      const ev = store.events(s.id);
      const id = await ev.storeEvent('s1', msg(1));
      await ev.storeEvent('s1', msg(2));
      assert.equal(await store.delete(s.id), true);
      assert.equal(await ev.getStreamIdForEventId(id), undefined);
      await assert.rejects(ev.replayEventsAfter(id, { send: async () => undefined }));
    });

    test('follow: sees events stored after it resolved, in order, and none before; stops when called', async () => {
      const store = await fresh();
      const s = await add(store, record('t1'));
      const ev = store.events(s.id);
      const id1 = await ev.storeEvent('s1', msg(1));
      // A store may write a single-writer stream in the background: its own reads wait for it, so after this the
      // event is stored and a follower that starts now cannot see it.
      assert.equal(await ev.getStreamIdForEventId(id1), 's1');
      const seen: StoredEvent[] = [];
      const stop = await ev.follow((e) => seen.push(e));
      const id2 = await ev.storeEvent('s1', msg(2));
      const id3 = await ev.storeEvent('_GET_stream', msg(3));
      await until('two events followed', () => seen.length >= 2);
      const seqOf = (id: string): number => Number(id.split('.')[2]);
      assert.deepEqual(seen, [
        { eventId: id2, streamId: 's1', seq: seqOf(id2), message: msg(2) },
        { eventId: id3, streamId: '_GET_stream', seq: seqOf(id3), message: msg(3) },
      ]);
      stop();
      const id4 = await ev.storeEvent('s1', msg(4));
      assert.equal(await ev.getStreamIdForEventId(id4), 's1');
      // A second follower seeing the 5th event proves the 4th was delivered (or not) by then.
      const later: string[] = [];
      const stop2 = await ev.follow((e) => later.push(e.eventId));
      const id5 = await ev.storeEvent('s1', msg(5));
      await until('the second follower sees the 5th', () => later.includes(id5));
      assert.deepEqual(later, [id5]);
      assert.equal(seen.length, 2, 'nothing after stop()');
      stop2();
      stop2();
    });

    test('control channel: every local subscriber at once, until it unsubscribes', async () => {
      const store = await fresh();
      const got1: ControlMessage[] = [];
      const got2: ControlMessage[] = [];
      const off1 = store.control.subscribe((m) => got1.push(m));
      store.control.subscribe((m) => got2.push(m));
      const m1: ControlMessage = { type: 'cancel', session: 'x', requestId: 7, reason: 'r' };
      store.control.publish(m1);
      assert.deepEqual(got1, [m1]);
      assert.deepEqual(got2, [m1]);
      off1();
      const m2: ControlMessage = { type: 'list-changed', list: 'tools' };
      store.control.publish(m2);
      assert.deepEqual(got1, [m1]);
      assert.deepEqual(got2, [m1, m2]);
    });

    test('bus: every local listener at once, until it unsubscribes; a throwing listener does not stop the others', async () => {
      const store = await fresh();
      const got: ServerEvent[] = [];
      const offThrow = store.bus.subscribe(() => {
        throw new Error('listener fault');
      });
      const off = store.bus.subscribe((e) => got.push(e));
      const e1: ServerEvent = { kind: 'resource_updated', uri: 'file:///a' };
      store.bus.publish(e1);
      assert.deepEqual(got, [e1]);
      off();
      offThrow();
      store.bus.publish({ kind: 'tools_list_changed' });
      assert.deepEqual(got, [e1]);
    });

    test('lease: held by one holder until it lapses; the holder renews it; then another may take it', async () => {
      const store = await fresh();
      assert.equal(await store.lease('announcer', 'a', 300), true);
      assert.equal(await store.lease('announcer', 'b', 300), false);
      assert.equal(await store.lease('announcer', 'a', 300), true, 'the holder renews');
      assert.equal(await store.lease('other', 'b', 300), true, 'keys are independent');
      await until('the lease lapses and b takes it', async () => store.lease('announcer', 'b', 300));
      assert.equal(await store.lease('announcer', 'a', 300), false);
      assert.equal(await store.leaseHolder('announcer'), 'b');
      assert.equal(await store.leaseHolder('nobody'), undefined);
    });

    if (options.sharedBuckets === false) return;
    test('takeToken: the burst, then a wait of at least 1 s', async () => {
      const store = await fresh();
      assert.ok(store.takeToken, 'a store sharing buckets has takeToken');
      assert.deepEqual(await store.takeToken('k', 1, 2), { allowed: true });
      assert.deepEqual(await store.takeToken('k', 1, 2), { allowed: true });
      const third = await store.takeToken('k', 1, 2);
      assert.equal(third.allowed, false);
      assert.ok(!third.allowed && third.retryAfterSec >= 1);
      assert.deepEqual(await store.takeToken('other', 1, 2), { allowed: true }, 'buckets are per key');
    });
  });
}

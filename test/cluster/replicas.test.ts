/**
 * Three `hostlens serve --store redis://…` replicas behind nginx round-robin
 * (no stickiness), driven with the official SDK client in both eras and with
 * raw requests where a test must address one replica or read a stream by hand:
 * - a legacy session's calls land on every replica (nginx's own access log),
 *   and the session goes on after the replica that served initialize is
 *   SIGKILLed; 2026-07-28 calls spread the same way;
 * - DELETE through one replica → 404 -32001 through every other one, and
 *   the session's GET stream held by another replica ends;
 * - a session is bound to its principal on every replica;
 * - a windowed call's SSE stream cut after its first progress event is
 *   resumed with Last-Event-ID through another replica: every missed event
 *   exactly once, the same events a later replay of the stream gives; when
 *   its replica is SIGKILLed instead, the resumed stream answers -32603;
 * - the overview update, announced by one replica (the store's lease), reaches
 *   a subscriptions/listen stream on every replica, and a legacy GET stream
 *   on every replica whose session subscribed through another one, once each;
 *   an update missed while no GET stream was open is replayed once, with
 *   Last-Event-ID, through another replica.
 * Each replica reads its own copy of the idle fixture tree; the subscription
 * tests change every copy alike, as one host would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FetchLike } from '@modelcontextprotocol/client';
import { SseReader } from '../http/helpers.js';
import type { SseEvent } from '../http/helpers.js';
import { delay, within } from '../support/async.js';
import { clusterSkip, startCluster, TOKENS } from '../support/cluster.js';
import type { Cluster, Replica } from '../support/cluster.js';
import type { AccessEntry } from '../support/nginx.js';
import {
  callOk,
  connectClient,
  messagesOf,
  expectRpcError,
  legacyHeaders,
  openSession,
  OVERVIEW,
  overviewChanges,
  post,
  SESSION_GONE,
  setMemoryCritical,
  waitUntil,
} from './wire.js';

describe('three replicas behind nginx, one Redis store', { skip: clusterSkip, timeout: 300_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ replicas: 3 });
  });
  after(async () => {
    await c?.close();
  });

  const addresses = (): string[] => c.replicas.map((r) => r.address).sort();
  /** The first `n` POSTs nginx logged after `since` (it writes a line once the response is sent). */
  const posts = async (since: number, n: number): Promise<AccessEntry[]> => {
    const of = (): AccessEntry[] => c.nginx.access(since).filter((e) => e.method === 'POST');
    await waitUntil(`${n} POSTs in nginx's access log`, () => of().length >= n, 5_000);
    return of().slice(0, n);
  };

  test('a legacy session: 30 calls land on all three replicas; the one that served initialize is SIGKILLed and the session goes on', async () => {
    const atConnect = c.nginx.mark();
    const client = await connectClient(c.url, TOKENS.ops, 'legacy');
    let killed: Replica | undefined;
    try {
      const [init] = await posts(atConnect, 1);
      killed = c.replicaAt(init?.upstream);
      assert.ok(killed, `initialize went to a replica: ${JSON.stringify(init)}`);

      const atCalls = c.nginx.mark();
      for (let i = 0; i < 30; i++) {
        const r = await within(15_000, `call ${i}`, client.callTool({ name: 'get_memory', arguments: {} }));
        assert.notEqual(r.isError, true, JSON.stringify(r).slice(0, 300));
      }
      const calls = await posts(atCalls, 30);
      assert.equal(c.nginx.access(atCalls).filter((e) => e.method === 'POST').length, 30, 'one POST per call');
      assert.ok(calls.every((e) => e.status === 200));
      assert.deepEqual([...new Set(calls.map((e) => e.upstream))].sort(), addresses(), 'round-robin reaches every replica');

      const sessionId = client.transport?.sessionId;
      await c.kill(killed.index);
      assert.equal(killed.alive(), false);
      // A POST nginx sends on an idle connection to the dead replica before it has seen that connection
      // close is not retried (non-idempotent) and answers 503: let nginx see the closes first.
      await delay(300);
      const atAfter = c.nginx.mark();
      for (let i = 0; i < 10; i++) {
        const r = await within(15_000, `call ${i} after the kill`, client.callTool({ name: 'get_memory', arguments: {} }));
        assert.notEqual(r.isError, true, JSON.stringify(r).slice(0, 300));
      }
      assert.equal(client.transport?.sessionId, sessionId, 'the same session, not a new one');
      const later = await posts(atAfter, 10);
      assert.ok(later.every((e) => e.status === 200 && e.upstream !== killed?.address), JSON.stringify(later));
      assert.equal(new Set(later.map((e) => e.upstream)).size, 2, 'the two replicas left share the calls');
    } finally {
      await client.close().catch(() => undefined);
      if (killed && !killed.alive()) await c.restart(killed.index);
    }
  });

  test('2026-07-28 calls through nginx land on every replica', async () => {
    const client = await connectClient(c.url, TOKENS.ops, 'modern');
    try {
      const mark = c.nginx.mark();
      for (let i = 0; i < 9; i++) {
        const r = await within(15_000, `modern call ${i}`, client.callTool({ name: 'get_memory', arguments: {} }));
        assert.notEqual(r.isError, true);
      }
      const calls = await posts(mark, 9);
      assert.deepEqual([...new Set(calls.map((e) => e.upstream))].sort(), addresses());
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  test('DELETE through one replica: 404 -32001 through each other replica, and its GET stream on another ends', async () => {
    const [a, b, d] = c.replicas as [Replica, Replica, Replica];
    const sid = await openSession(a.url, TOKENS.ops);
    for (const [i, r] of c.replicas.entries()) await callOk(r.url, TOKENS.ops, sid, 10 + i);
    const stream = await fetch(d.url, { headers: { ...legacyHeaders(TOKENS.ops, sid), accept: 'text/event-stream' }, signal: AbortSignal.timeout(30_000) });
    assert.equal(stream.status, 200, `GET answered ${stream.status}`);
    const held = new SseReader(stream);

    const del = await fetch(b.url, { method: 'DELETE', headers: legacyHeaders(TOKENS.ops, sid), signal: AbortSignal.timeout(10_000) });
    assert.equal(del.status, 200, `DELETE answered ${del.status}`);
    await del.body?.cancel();
    await within(10_000, 'the GET stream held by another replica to end', (async () => {
      while ((await held.next()) !== null);
    })());

    for (const r of [a, d]) {
      await expectRpcError(await post(r.url, TOKENS.ops, sid, { jsonrpc: '2.0', id: 20, method: 'tools/call', params: { name: 'get_memory', arguments: {} } }), 404, SESSION_GONE);
      const get = await fetch(r.url, { headers: { ...legacyHeaders(TOKENS.ops, sid), accept: 'text/event-stream' }, signal: AbortSignal.timeout(10_000) });
      await expectRpcError(get, 404, SESSION_GONE);
      const again = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(TOKENS.ops, sid), signal: AbortSignal.timeout(10_000) });
      await expectRpcError(again, 404, SESSION_GONE);
    }
  });

  test("a session is bound to its principal: another principal's use of its id is 404 -32001 on every replica", async () => {
    const sid = await openSession(c.url, TOKENS.ops);
    for (const [i, r] of c.replicas.entries()) {
      const res = await post(r.url, TOKENS.reader, sid, { jsonrpc: '2.0', id: 30 + i, method: 'tools/call', params: { name: 'get_memory', arguments: {} } });
      await expectRpcError(res, 404, SESSION_GONE);
      const get = await fetch(r.url, { headers: { ...legacyHeaders(TOKENS.reader, sid), accept: 'text/event-stream' }, signal: AbortSignal.timeout(10_000) });
      await expectRpcError(get, 404, SESSION_GONE);
      const del = await fetch(r.url, { method: 'DELETE', headers: legacyHeaders(TOKENS.reader, sid), signal: AbortSignal.timeout(10_000) });
      await expectRpcError(del, 404, SESSION_GONE);
    }
    // The foreign attempts changed nothing for the owner.
    for (const [i, r] of c.replicas.entries()) await callOk(r.url, TOKENS.ops, sid, 40 + i);
  });

  test('a windowed call cut after its first progress event resumes through another replica: each missed event exactly once', async () => {
    const sid = await openSession(c.url, TOKENS.ops);
    const id = 50;
    const cut = new AbortController();
    const mark = c.nginx.mark();
    const res = await post(c.url, TOKENS.ops, sid, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_cpu', arguments: { windowSec: 3 }, _meta: { progressToken: 'resume-50' } } }, cut.signal);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/, 'a call with progress answers SSE');
    const first = new SseReader(res);
    const seen: SseEvent[] = [];
    for (;;) {
      const event = await within(10_000, 'the first progress event', first.next());
      assert.ok(event, 'the stream ended before any progress');
      seen.push(event);
      if (event.data.includes('"notifications/progress"')) break;
    }
    const lastEventId = seen.filter((e) => e.id).at(-1)?.id;
    assert.ok(lastEventId, 'events carry ids');
    cut.abort();
    await first.cancel();

    const [line] = await posts(mark, 1);
    const other = c.replicas.find((r) => r.address !== line?.upstream);
    assert.ok(other, `another replica than ${line?.upstream}`);
    const resume = (r: Replica): Promise<Response> =>
      fetch(r.url, { headers: { ...legacyHeaders(TOKENS.ops, sid), accept: 'text/event-stream', 'last-event-id': lastEventId }, signal: AbortSignal.timeout(20_000) });
    const collect = async (response: Response): Promise<SseEvent[]> => {
      assert.equal(response.status, 200, `resume answered ${response.status}`);
      const reader = new SseReader(response);
      const out: SseEvent[] = [];
      for (;;) {
        const event = await within(15_000, 'the resumed events', reader.next());
        if (event === null) return out;
        if (event.data.trim() === '') continue;
        out.push(event);
        if ((JSON.parse(event.data) as { id?: unknown }).id === id) {
          await reader.cancel();
          return out;
        }
      }
    };
    const resumed = await collect(await resume(other));

    const progressOf = (events: SseEvent[]): number[] =>
      events.filter((e) => e.data.trim() !== '').map((e) => JSON.parse(e.data) as { method?: string; params?: { progress?: number } }).filter((m) => m.method === 'notifications/progress').map((m) => m.params?.progress ?? -1);
    const before = progressOf(seen);
    const after = progressOf(resumed);
    const all = [...before, ...after];
    assert.ok(after.length > 0, 'progress went on after the cut');
    assert.deepEqual(all, [...new Set(all)].sort((x, y) => x - y), `no progress twice, in order: ${JSON.stringify({ before, after })}`);
    const results = resumed.filter((e) => (JSON.parse(e.data) as { id?: unknown }).id === id);
    assert.equal(results.length, 1, 'the result once');
    const result = (JSON.parse(results[0]?.data ?? '{}') as { result?: { isError?: boolean; structuredContent?: { data?: unknown } } }).result;
    assert.ok(result && result.isError !== true && result.structuredContent?.data, JSON.stringify(result).slice(0, 300));
    const ids = resumed.map((e) => e.id);
    assert.ok(ids.every((i) => i !== undefined && i !== lastEventId && !seen.some((s) => s.id === i)), 'nothing already seen is sent again');
    assert.equal(new Set(ids).size, ids.length);

    // The stream as stored: a later replay from the same point, through a third replica, is exactly what was delivered live.
    const third = c.replicas.find((r) => r !== other && r.address !== line?.upstream) ?? other;
    const replay = await collect(await resume(third));
    assert.deepEqual(replay.map((e) => [e.id, e.data]), resumed.map((e) => [e.id, e.data]));
  });

  test('a windowed call whose replica is SIGKILLed mid-way: resumed through another replica, it ends with a -32603 error, not a wait', async () => {
    const [x, y] = c.replicas as [Replica, Replica];
    const sid = await openSession(c.url, TOKENS.ops);
    const cut = new AbortController();
    const res = await post(x.url, TOKENS.ops, sid, { jsonrpc: '2.0', id: 70, method: 'tools/call', params: { name: 'get_cpu', arguments: { windowSec: 10 }, _meta: { progressToken: 'lost-70' } } }, cut.signal);
    assert.equal(res.status, 200);
    const reader = new SseReader(res);
    let lastEventId: string | undefined;
    for (;;) {
      const event = await within(10_000, 'the first progress event', reader.next());
      assert.ok(event, 'the stream ended before any progress');
      lastEventId = event.id ?? lastEventId;
      if (event.data.includes('"notifications/progress"')) break;
    }
    assert.ok(lastEventId);
    try {
      await c.kill(x.index);
      cut.abort();
      await reader.cancel();
      // The replica running the call is gone: the resumed stream learns it from the missing heartbeat.
      const resumed = await fetch(y.url, { headers: { ...legacyHeaders(TOKENS.ops, sid), accept: 'text/event-stream', 'last-event-id': lastEventId }, signal: AbortSignal.timeout(60_000) });
      assert.equal(resumed.status, 200, `resume answered ${resumed.status}`);
      const after = new SseReader(resumed);
      for (;;) {
        const event = await within(45_000, 'the answer to the lost call', after.next());
        assert.ok(event, 'the resumed stream ended without answering the call');
        if (event.data.trim() === '') continue;
        const message = JSON.parse(event.data) as { id?: unknown; method?: string; error?: { code: number } };
        if (message.method === 'notifications/progress') continue;
        assert.equal(message.id, 70, event.data);
        assert.equal(message.error?.code, -32603, event.data);
        break;
      }
      await after.cancel();
    } finally {
      await c.restart(x.index);
    }
  });

  // The replicas stand for one host: a subscription test changes every replica's copy of the tree, the
  // watchers see the change (a replica started moments ago may take it as its baseline), and only the
  // holder of the store's announcer lease publishes it. So when a stream on each of the three replicas gets
  // the update exactly once, at least two of them got it from another replica, and nobody got it twice.
  let critical = false;
  const flipHost = (): number[] => {
    const before = c.replicas.map(overviewChanges);
    critical = !critical;
    for (const r of c.replicas) setMemoryCritical(r, critical);
    return before;
  };
  const settle = async (before: number[], updates: string[][]): Promise<void> => {
    await waitUntil('the update on every stream', () => updates.every((u) => u.length >= 1));
    // Past the lease's three watcher periods: a second announcement would have arrived by now.
    await delay(2_000);
    for (const u of updates) assert.deepEqual(u, [OVERVIEW], 'one update per stream, whoever announced it');
    assert.ok(c.replicas.some((r, i) => overviewChanges(r) > (before[i] ?? 0)), 'the change was seen by a replica watching the tree');
  };

  test('subscriptions/listen on each replica: the one announced update arrives once on every stream', async () => {
    const clients = await Promise.all(c.replicas.map((r) => connectClient(r.url, TOKENS.ops, 'modern')));
    const updates = clients.map(() => [] as string[]);
    try {
      const subs = await Promise.all(
        clients.map(async (client, i) => {
          client.setNotificationHandler('notifications/resources/updated', (n) => void updates[i]?.push(n.params.uri));
          const sub = await within(10_000, 'subscriptions/listen', client.listen({ resourceSubscriptions: [OVERVIEW] }));
          assert.deepEqual(sub.honoredFilter, { resourceSubscriptions: [OVERVIEW] });
          return sub;
        }),
      );
      await settle(flipHost(), updates);
      await Promise.all(subs.map((sub) => sub.close()));
    } finally {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    }
  });

  test('legacy resources/subscribe through one replica: the update arrives once on the GET stream held by the next one', async () => {
    const n = c.replicas.length;
    const opened: Array<Promise<void>> = [];
    const clients = await Promise.all(
      c.replicas.map(async (postTo, i) => {
        const getFrom = c.replicas[(i + 1) % n] as Replica;
        let open: () => void = () => undefined;
        opened.push(new Promise<void>((resolve) => (open = resolve)));
        // POST and DELETE go to one replica, the GET stream to the next.
        const routed: FetchLike = async (url, init) => {
          const target = new URL(String(url));
          const method = init?.method ?? 'GET';
          target.host = (method === 'GET' ? getFrom : postTo).address;
          const res = await fetch(target, init);
          if (method === 'GET' && res.status === 200) open();
          return res;
        };
        return connectClient(postTo.url, TOKENS.ops, 'legacy', routed);
      }),
    );
    const updates = clients.map(() => [] as string[]);
    try {
      await within(15_000, 'every GET stream open', Promise.all(opened));
      for (const [i, client] of clients.entries()) {
        client.setNotificationHandler('notifications/resources/updated', (n) => void updates[i]?.push(n.params.uri));
        await within(10_000, 'resources/subscribe', client.subscribeResource({ uri: OVERVIEW }));
      }
      await settle(flipHost(), updates);
    } finally {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    }
  });

  test("a legacy GET stream's updates are stored: one missed while no stream was open is replayed once through another replica", async () => {
    const [a, b, d] = c.replicas as [Replica, Replica, Replica];
    const sid = await openSession(a.url, TOKENS.ops);
    const subscribed = await post(a.url, TOKENS.ops, sid, { jsonrpc: '2.0', id: 60, method: 'resources/subscribe', params: { uri: OVERVIEW } });
    assert.equal(subscribed.status, 200);
    assert.deepEqual((await messagesOf(subscribed)).find((m) => m.id === 60)?.result, {});
    const getStream = (r: Replica, lastEventId?: string): Promise<Response> =>
      fetch(r.url, { headers: { ...legacyHeaders(TOKENS.ops, sid), accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, signal: AbortSignal.timeout(30_000) });
    const nextUpdate = async (reader: SseReader): Promise<SseEvent> => {
      for (;;) {
        const event = await within(20_000, 'an update on the GET stream', reader.next());
        assert.ok(event, 'the GET stream ended');
        if (event.data.includes('notifications/resources/updated')) return event;
      }
    };
    const seen = async (before: number[]): Promise<void> => waitUntil('a replica sees the change', () => c.replicas.some((r, i) => overviewChanges(r) > (before[i] ?? 0)));

    const first = new SseReader(await getStream(d));
    let before = flipHost();
    const one = await nextUpdate(first);
    assert.ok(one.id, 'GET stream events carry ids');
    await first.cancel();
    await seen(before);

    // No GET stream open: the next update is stored for the session.
    before = flipHost();
    await seen(before);
    await delay(2_000);
    const resumed = new SseReader(await getStream(b, one.id));
    const two = await nextUpdate(resumed);
    assert.notEqual(two.id, one.id);
    assert.deepEqual(JSON.parse(two.data), { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: OVERVIEW } });
    // Nothing else was missed: the stream stays quiet past the lease's periods.
    const extra = await Promise.race([resumed.next(), delay(2_000).then(() => 'quiet' as const)]);
    assert.ok(extra === 'quiet' || extra === null || !extra.data.includes('notifications/resources/updated'), `no second copy: ${JSON.stringify(extra)}`);
    await resumed.cancel();
  });
});

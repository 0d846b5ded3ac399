import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { createMemoryEventStore } from './event-store.js';

const msg = (n: number, pad = 0): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `m${n}${'x'.repeat(pad)}` } });

async function replay(store: ReturnType<typeof createMemoryEventStore>, after: string): Promise<string[]> {
  const seen: string[] = [];
  await store.replayEventsAfter(after, { send: async (id) => void seen.push(id) });
  return seen;
}

test('event ids are unique across streams and name their stream; replay stays on that stream', async () => {
  const s = createMemoryEventStore();
  const a1 = await s.storeEvent('a', msg(1));
  const b1 = await s.storeEvent('b', msg(2));
  const a2 = await s.storeEvent('a', msg(3));
  const a3 = await s.storeEvent('a', msg(4));
  assert.equal(new Set([a1, b1, a2, a3]).size, 4);
  assert.equal(await s.getStreamIdForEventId(a2), 'a');
  assert.equal(await s.getStreamIdForEventId(b1), 'b');
  assert.deepEqual(await replay(s, a1), [a2, a3]);
  assert.deepEqual(await replay(s, b1), []);
  assert.equal(await s.getStreamIdForEventId('nonsense'), undefined);
  await assert.rejects(replay(s, 'nonsense'));
});

test('a stream keeps at most maxEventsPerStream events, oldest dropped first', async () => {
  const s = createMemoryEventStore({ maxEventsPerStream: 3 });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await s.storeEvent('a', msg(i)));
  assert.equal(s.size(), 3);
  assert.deepEqual(await replay(s, ids[0]!), ids.slice(2));
});

test('at most maxStreams streams, oldest stream evicted', async () => {
  const s = createMemoryEventStore({ maxStreams: 2 });
  const a = await s.storeEvent('a', msg(1));
  await s.storeEvent('b', msg(2));
  await s.storeEvent('c', msg(3));
  assert.equal(await s.getStreamIdForEventId(a), undefined, 'stream a was evicted');
  assert.equal(s.size(), 2);
});

test('maxBytes evicts old streams but always keeps the newest', async () => {
  const s = createMemoryEventStore({ maxBytes: 1000 });
  const a = await s.storeEvent('a', msg(1, 600));
  const b = await s.storeEvent('b', msg(2, 600));
  assert.equal(await s.getStreamIdForEventId(a), undefined, 'a dropped to stay under 1000 bytes');
  assert.equal(await s.getStreamIdForEventId(b), 'b');
  const b2 = await s.storeEvent('b', msg(3, 600));
  assert.equal(await s.getStreamIdForEventId(b2), 'b', 'the stream being written is never evicted');
  s.clear();
  assert.equal(s.size(), 0);
});

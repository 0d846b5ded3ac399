import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSnapshotStore, DEFAULT_SNAPSHOT_MAX_BYTES, DEFAULT_SNAPSHOT_MAX_COUNT, newSnapshotId, SNAPSHOT_ID_PATTERN } from './store.js';
import { isHostlensError } from '../contracts/errors.js';
import type { SnapshotBundle } from './store.js';

function bundle(label: string, padBytes = 0): Omit<SnapshotBundle, 'id'> {
  return {
    label,
    host: 'local',
    capturedAt: new Date().toISOString(),
    windowSec: 1,
    overall: 'ok',
    sections: { memory: { data: { availableBytes: 1000, pad: 'x'.repeat(padBytes) }, assessments: [] } },
    findings: [],
    warnings: [],
  };
}

describe('snapshot store', () => {
  test('ids are snap_ + 10 base32 characters and do not repeat', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const id = newSnapshotId();
      assert.match(id, SNAPSHOT_ID_PATTERN);
      ids.add(id);
    }
    assert.equal(ids.size, 2000);
    const store = createSnapshotStore();
    const a = store.add(bundle('a')).meta.id;
    const b = store.add(bundle('b')).meta.id;
    assert.notEqual(a, b);
    assert.match(a, SNAPSHOT_ID_PATTERN);
  });

  test('add stores the JSON as given, get parses it back, list is newest first', () => {
    const store = createSnapshotStore();
    const first = store.add(bundle('first'));
    const secondBundle = bundle('second');
    const second = store.add(secondBundle);
    assert.deepEqual(store.list().map((m) => m.label), ['second', 'first']);
    const got = store.get(first.meta.id);
    assert.equal(got?.id, first.meta.id);
    assert.equal(got?.label, 'first');
    assert.deepEqual(JSON.parse(store.json(second.meta.id) ?? 'null'), { id: second.meta.id, ...secondBundle });
    assert.equal(first.meta.sizeBytes, Buffer.byteLength(store.json(first.meta.id) ?? ''));
    assert.deepEqual(second.stored, { count: 2, bytes: first.meta.sizeBytes + second.meta.sizeBytes, maxCount: DEFAULT_SNAPSHOT_MAX_COUNT, maxBytes: DEFAULT_SNAPSHOT_MAX_BYTES });
    assert.equal(store.get('snap_aaaaaaaaaa'), undefined);
    // A returned bundle is a copy: changing it does not change the store.
    (got as SnapshotBundle).label = 'changed';
    assert.equal(store.get(first.meta.id)?.label, 'first');
  });

  test('over the count cap the oldest are evicted first and reported', () => {
    const store = createSnapshotStore({ maxCount: 3 });
    const ids = ['s1', 's2', 's3'].map((l) => store.add(bundle(l)));
    assert.deepEqual(ids.map((r) => r.evicted.length), [0, 0, 0]);
    const fourth = store.add(bundle('s4'));
    assert.deepEqual(fourth.evicted, [{ id: ids[0]?.meta.id, label: 's1', capturedAt: ids[0]?.meta.capturedAt }]);
    const fifth = store.add(bundle('s5'));
    assert.deepEqual(fifth.evicted.map((e) => e.label), ['s2']);
    assert.deepEqual(store.list().map((m) => m.label), ['s5', 's4', 's3']);
    assert.equal(store.get(ids[0]?.meta.id ?? ''), undefined);
    assert.equal(fifth.stored.count, 3);
  });

  test('over the byte cap as many of the oldest as needed are evicted', () => {
    const size = Buffer.byteLength(JSON.stringify({ id: newSnapshotId(), ...bundle('x', 1000) }));
    const store = createSnapshotStore({ maxBytes: size * 3 + 10 });
    const a = store.add(bundle('a', 1000));
    store.add(bundle('b', 1000));
    store.add(bundle('c', 1000));
    assert.equal(store.stats().count, 3);
    // A bundle twice as large needs two slots: a and b go.
    const big = store.add(bundle('big', 2000));
    assert.deepEqual(big.evicted.map((e) => e.label), ['a', 'b']);
    assert.equal(big.evicted[0]?.id, a.meta.id);
    assert.ok(big.stored.bytes <= big.stored.maxBytes, JSON.stringify(big.stored));
    assert.deepEqual(store.list().map((m) => m.label), ['big', 'c']);
  });

  test('a bundle larger than the whole store is refused without evicting anything', () => {
    const store = createSnapshotStore({ maxBytes: 2000 });
    store.add(bundle('small'));
    assert.throws(() => store.add(bundle('huge', 5000)), (e: unknown) => isHostlensError(e, 'too_large') && /over the store's 2000-byte limit/.test((e as Error).message));
    assert.deepEqual(store.list().map((m) => m.label), ['small']);
  });

  test('bad caps are refused', () => {
    assert.throws(() => createSnapshotStore({ maxCount: 0 }), RangeError);
    assert.throws(() => createSnapshotStore({ maxBytes: 1.5 }), RangeError);
  });
});

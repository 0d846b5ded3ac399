/** /dev/kmsg reader: the recorded fixture (a regular file) and, where readable, this machine's real device. */
import assert from 'node:assert/strict';
import { constants, openSync, closeSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createCollectorContext } from './context.js';
import { hostNowMs, parseKmsgRecord, readKmsg } from './kmsg.js';

const MIXED = fileURLToPath(new URL('../../test/fixtures/kmsg/mixed/', import.meta.url));
const BTIME_MS = 1_780_000_000_000;

test('parseKmsgRecord: priority → facility and level, usec since boot → wall time via btime, dictionary lines', () => {
  const r = parseKmsgRecord('11,42,30100000000,-;I/O error, dev sda, sector 1\n SUBSYSTEM=block\n DEVICE=b8:0\n', 1_780_000_000)!;
  assert.deepEqual([r.facility, r.level, r.seq, r.usecSinceBoot], [1, 3, 42, 30_100_000_000]);
  assert.equal(r.tsMs, BTIME_MS + 30_100_000);
  assert.equal(r.message, 'I/O error, dev sda, sector 1');
  assert.deepEqual(r.dict, { SUBSYSTEM: 'block', DEVICE: 'b8:0' });
  // continuation-flagged records (flags "c") and extra header fields after the flags still parse
  assert.equal(parseKmsgRecord('6,7,1,c,extra;x', null)!.tsMs, null);
  for (const bad of ['', 'no header', '6,abc,;x', '4,999,8', '6,1,99999999999999999999,-;x']) assert.equal(parseKmsgRecord(bad, 1), null, bad);
});

test('fixture: every record is read in order, garbage and the truncated last record are counted as skipped', () => {
  const ctx = createCollectorContext({ root: MIXED });
  const r = readKmsg(ctx);
  assert.equal(r.available, true);
  assert.equal(r.btimeSec, 1_780_000_000);
  assert.equal(r.recordsRead, 54);
  assert.equal(r.skipped, 3);
  assert.equal(r.records.length, 51);
  assert.equal(r.stopped, null);
  assert.equal(r.oldestMs, BTIME_MS);
  const seqs = r.records.map((x) => x.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  const io = r.records.find((x) => x.message.startsWith('I/O error, dev sda'))!;
  assert.deepEqual(io.dict, { SUBSYSTEM: 'block', DEVICE: 'b8:0' });
  assert.equal(io.tsMs, BTIME_MS + 30_100_000);
  assert.equal(r.records.filter((x) => x.facility !== 0).length, 1, 'one userspace-written record');
  assert.equal(hostNowMs(ctx), BTIME_MS + 90_000_000);
});

test('fixture: since and keep filter what is stored; maxRecords, maxBytes and maxKept bound the read and say so', () => {
  const ctx = createCollectorContext({ root: MIXED });
  const since = readKmsg(ctx, { sinceMs: BTIME_MS + 50_000_000 });
  assert.ok(since.records.length > 0);
  assert.ok(since.records.every((x) => x.tsMs! >= BTIME_MS + 50_000_000));
  assert.equal(since.recordsRead, 54, 'older records are read (to find the range), not kept');
  const kept = readKmsg(ctx, { keep: (x) => x.message.includes('Link') });
  assert.equal(kept.records.length, 5);
  const few = readKmsg(ctx, { maxRecords: 10 });
  assert.deepEqual([few.recordsRead, few.stopped], [10, 'records']);
  assert.match(few.warnings.join(' '), /stopped at the records bound after 10 records/);
  const small = readKmsg(ctx, { maxBytes: 1000 });
  assert.equal(small.stopped, 'bytes');
  assert.ok(small.bytesRead <= 1000);
  const newest = readKmsg(ctx, { maxKept: 4 });
  assert.equal(newest.records.length, 4);
  assert.equal(newest.droppedKept, 47);
  assert.match(newest.records.at(-1)!.message, /apparmor/, 'the newest records are the ones kept');
});

test('missing dev/kmsg or proc/stat: unavailable or timeless, never a throw', () => {
  const none = readKmsg(createCollectorContext({ root: '/nonexistent-root' }));
  assert.deepEqual([none.available, none.error, none.records.length], [false, 'ENOENT', 0]);
  assert.match(none.warnings.join(' '), /btime not readable/);
});

let liveReadable = false;
try {
  closeSync(openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK));
  liveReadable = statSync('/dev/kmsg').isCharacterDevice();
} catch {
  liveReadable = false;
}

test('LIVE /dev/kmsg: records without blocking, in sequence order, bounded', { skip: !liveReadable && process.env.CI !== 'true' ? 'dev/kmsg is not readable here' : false, timeout: 30_000 }, (t) => {
  const ctx = createCollectorContext();
  const t0 = performance.now();
  // A time budget no read comes near: the read must end because the device said the ring is drained (EAGAIN on
  // the non-blocking descriptor), not at a bound. The default budget is checked below.
  const r = readKmsg(ctx, { budgetMs: 60_000 });
  t.diagnostic(`read ${r.recordsRead} records (${r.bytesRead} bytes) in ${Math.round(performance.now() - t0)} ms`);
  assert.equal(r.available, true, `dev/kmsg not readable: ${r.error}`);
  assert.ok(r.recordsRead > 0, 'the kernel ring holds records since boot');
  assert.equal(r.stopped, null, 'the whole ring was read, up to EAGAIN');
  assert.ok(!r.warnings.some((w) => /read stopped|read failed/.test(w)), `ended by EAGAIN, not an error: ${r.warnings.join('; ')}`);
  const seqs = r.records.map((x) => x.seq);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, 'sequence numbers increase');
  // the ring's first record is at or after boot and its last at or before now
  const first = r.records[0]!;
  const last = r.records.at(-1)!;
  assert.ok(first.tsMs! >= r.btimeSec! * 1000 - 1000);
  assert.ok(last.tsMs! <= Date.now() + 2000, `last record ${last.tsMs} is not in the future`);
  // bounds hold on the real device too
  const few = readKmsg(ctx, { maxRecords: 5 });
  assert.deepEqual([few.recordsRead, few.stopped], [5, 'records']);
  const timed = readKmsg(ctx, { budgetMs: 0 });
  assert.ok(timed.stopped === 'time' || timed.stopped === null, String(timed.stopped));
  assert.ok(timed.recordsRead <= r.recordsRead + 50);
  if (timed.stopped === 'time') assert.match(timed.warnings.join(' '), /stopped at the time bound/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { diskRates, isReportedDevice, parseDiskStats, readDiskStats } from './disks.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('readDiskStats: busy fixture keeps whole disks, dm and loop devices that did I/O; drops partitions, idle loop and ram', () => {
  const d = readDiskStats(ctxFor('busy'));
  assert.equal(d.available, true);
  assert.deepEqual(d.warnings, []);
  assert.deepEqual(d.devices.map((x) => x.name), ['loop1', 'nvme0n1', 'xvda', 'dm-0']);
  const nvme = d.devices.find((x) => x.name === 'nvme0n1')!;
  assert.deepEqual(nvme, {
    name: 'nvme0n1',
    major: 259,
    minor: 0,
    readsCompleted: 500000,
    readsMerged: 1000,
    sectorsRead: 40000000,
    readMs: 900000,
    writesCompleted: 800000,
    writesMerged: 2000,
    sectorsWritten: 64000000,
    writeMs: 4000000,
    inFlight: 12,
    ioMs: 600000,
    weightedIoMs: 5000000,
  });
});

test('diskRates: busy → busy-later over 10 s, computed by hand', () => {
  const a = readDiskStats(ctxFor('busy')).devices;
  const b = readDiskStats(ctxFor('busy-later')).devices;
  const r = diskRates(a, b, 10);
  const nvme = r.find((x) => x.name === 'nvme0n1');
  // +2000 reads, +160000 sectors (× 512 / 10 s), +90000 read ms; +3000 writes, +240000 sectors, +480000 write ms;
  // +9900 io ms of 10000 → 99 %; +570000 weighted ms / 10000 → 57.
  assert.deepEqual(nvme, {
    name: 'nvme0n1',
    readsPerSec: 200,
    writesPerSec: 300,
    readBytesPerSec: 8192000,
    writeBytesPerSec: 12288000,
    utilPct: 99,
    readAwaitMs: 45,
    writeAwaitMs: 160,
    avgQueueDepth: 57,
    inFlight: 31,
  });
  // xvda: +100 reads / +800 sectors / +200 ms; +500 writes / +8000 sectors / +1500 ms; +400 io ms; +1700 weighted.
  assert.deepEqual(r.find((x) => x.name === 'xvda'), {
    name: 'xvda',
    readsPerSec: 10,
    writesPerSec: 50,
    readBytesPerSec: 40960,
    writeBytesPerSec: 409600,
    utilPct: 4,
    readAwaitMs: 2,
    writeAwaitMs: 3,
    avgQueueDepth: 0.17,
    inFlight: 0,
  });
  const dm = r.find((x) => x.name === 'dm-0')!;
  assert.equal(dm.readAwaitMs, null, 'no reads in the window: await unknown, not 0');
  assert.equal(dm.utilPct, 0);
  assert.deepEqual(diskRates(a, b, 0), []);
});

test('diskRates: counters going backwards drop the device; util is clamped', () => {
  const [dev] = parseDiskStats('8 0 sda 100 0 800 10 100 0 800 10 0 1000 1000').devices;
  const [back] = parseDiskStats('8 0 sda 50 0 800 10 100 0 800 10 0 1000 1000').devices;
  const [over] = parseDiskStats('8 0 sda 100 0 800 10 100 0 800 10 0 3000 1000').devices;
  assert.deepEqual(diskRates([dev!], [back!], 1), []);
  const zram = parseDiskStats('253 0 zram0 0 0 0 0 0 0 0 0 0 0 0\n253 1 zram1 5 0 40 0 0 0 0 0 0 1 1\n').devices;
  assert.deepEqual(zram.filter(isReportedDevice).map((d) => d.name), ['zram1'], 'an unused zram swap device is not listed');
  assert.equal(diskRates([dev!], [over!], 1)[0]!.utilPct, 100);
});

test('parseDiskStats / readDiskStats: garbage and truncated lines are skipped with a warning, never thrown', () => {
  const p = parseDiskStats('garbage\n8 0 sda 1 2 3\n8 0 sdb x 0 0 0 0 0 0 0 0 0 0\n\0\0\n8 16 sdb 1 0 8 1 1 0 8 1 0 2 2\n');
  assert.equal(p.badLines, 4);
  assert.deepEqual(p.devices.map((d) => d.name), ['sdb']);
  const none = readDiskStats(createCollectorContext({ root: '/nonexistent-root' }));
  assert.equal(none.available, false);
  assert.deepEqual(none.devices, []);
  assert.match(none.warnings[0]!, /proc\/diskstats: ENOENT/);
});

test('readDiskStats: live /proc', () => {
  const d = readDiskStats(createCollectorContext());
  assert.equal(d.available, true);
  for (const x of d.devices) {
    assert.ok(!/^(sd[a-z]+\d+|nvme\d+n\d+p\d+)$/.test(x.name), `${x.name} is not a partition`);
    assert.ok(x.sectorsRead >= 0 && x.ioMs >= 0);
  }
});

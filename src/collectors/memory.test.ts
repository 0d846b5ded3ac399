import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { parseMemInfo, parseVmStat, readMemInfo, readVmStat } from './memory.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });
const KiB = 1024;

test('readMemInfo: idle fixture (kB → bytes)', () => {
  const m = readMemInfo(ctxFor('idle'));
  assert.deepEqual(m.warnings, []);
  assert.equal(m.totalBytes, 8130412 * KiB); // 8,325,541,888
  assert.equal(m.totalBytes, 8_325_541_888);
  assert.equal(m.freeBytes, 6_668_595_200);
  assert.equal(m.availableBytes, 7_579_762_688);
  assert.equal(m.usedBytes, 745_779_200); // (8130412 − 7402112) kB
  assert.equal(m.usedPct, 9); // 728300 / 8130412 = 8.96 %
  assert.equal(m.buffersBytes, 86_233_088);
  assert.equal(m.cachedBytes, 933_933_056);
  assert.equal(m.shmemBytes, 10_485_760);
  assert.equal(m.slabReclaimableBytes, 63_488_000);
  assert.equal(m.slabUnreclaimableBytes, 38_912_000);
  assert.equal(m.dirtyBytes, 184_320);
  assert.equal(m.committedBytes, 1_232_224_256);
  assert.equal(m.commitLimitBytes, 4_162_768_896);
  assert.equal(m.swapTotalBytes, 0);
  assert.equal(m.swapUsedBytes, 0);
  assert.equal(m.hugePagesTotalCount, 0);
  assert.equal(m.hugePageSizeBytes, 2_097_152);
});

test('readMemInfo: busy fixture (low MemAvailable, swap in use)', () => {
  const m = readMemInfo(ctxFor('busy'));
  assert.equal(m.totalBytes, 16_389_242_880);
  assert.equal(m.availableBytes, 419_430_400);
  assert.equal(m.usedBytes, 15_969_812_480);
  assert.equal(m.usedPct, 97.4); // 15595520 / 16005120 = 97.44 %
  assert.equal(m.swapTotalBytes, 4_294_963_200);
  assert.equal(m.swapFreeBytes, 1_073_741_824);
  assert.equal(m.swapUsedBytes, 3_221_221_376); // 3145724 kB
  assert.equal(m.swapCachedBytes, 209_715_200);
  assert.equal(m.dirtyBytes, 536_870_912);
  assert.equal(m.writebackBytes, 67_108_864);
  assert.equal(m.committedBytes, 22_548_578_304);
  assert.equal(m.commitLimitBytes, 12_489_326_592);
  assert.equal(m.hugePagesTotalCount, 512);
  assert.equal(m.hugePagesFreeCount, 500);
});

test('readMemInfo: container fixture sees the host meminfo', () => {
  const m = readMemInfo(ctxFor('container-v2'));
  assert.equal(m.totalBytes, 33_604_788_224);
  assert.equal(m.availableBytes, 27_917_287_424);
  assert.equal(m.usedPct, 16.9); // 5554200 / 32817176 = 16.92 %
});

test('parseMemInfo: no MemAvailable (old kernel) is estimated with a warning; garbage does not throw', () => {
  const m = parseMemInfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n');
  assert.equal(m.availableBytes, 400 * KiB);
  assert.equal(m.usedPct, 60);
  assert.match(m.warnings.join(), /MemAvailable/);
  const g = parseMemInfo('\u0000\u0001 not meminfo at all\nMemTotal: lots kB\n');
  assert.equal(g.totalBytes, null);
  assert.equal(g.usedPct, null);
  assert.ok(g.warnings.some((w) => /malformed/.test(w)));
  assert.deepEqual(readMemInfo(createCollectorContext({ root: '/nonexistent-root' })).warnings, ['proc/meminfo: unreadable']);
});

test('readVmStat on each fixture', () => {
  const idle = readVmStat(ctxFor('idle'));
  assert.deepEqual([idle.pswpin, idle.pswpout, idle.pgmajfault, idle.pgfault, idle.oomKill], [0, 0, 1523, 20114455, 0]);
  assert.equal(idle.all.size, 192); // every line of idle/proc/vmstat
  const busy = readVmStat(ctxFor('busy'));
  assert.deepEqual([busy.pswpin, busy.pswpout, busy.pgmajfault, busy.pgfault, busy.oomKill], [1234567, 2345678, 987654, 554433221, 3]);
  const ct = readVmStat(ctxFor('container-v2'));
  assert.equal(ct.oomKill, 1);
  assert.equal(ct.all.get('nr_free_pages') !== undefined, true);
});

test('parseVmStat: missing counters are null, truncated file keeps what parsed', () => {
  const v = parseVmStat('pswpin 5\npswpout 7\npgmajf');
  assert.equal(v.pswpin, 5);
  assert.equal(v.pswpout, 7);
  assert.equal(v.pgmajfault, null);
  assert.equal(v.oomKill, null);
  assert.equal(v.warnings.length, 1);
});

/**
 * The robustness bugs the parser fuzz found, pinned as plain examples (see parsers.test.ts for the
 * generators): damaged values become null with a warning, never a negative, infinite or unsafe number.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createCollectorContext } from '../../src/collectors/context.js';
import { parseCpuInfo } from '../../src/collectors/cpu.js';
import { readDiskStats } from '../../src/collectors/disks.js';
import { parseMemInfo, parseVmStat } from '../../src/collectors/memory.js';
import { parseSockstat, readNetCounters } from '../../src/collectors/network.js';
import { parsePsi } from '../../src/collectors/pressure.js';
import { parseCount } from '../../src/collectors/read.js';
import { readCpu } from '../../src/diagnostics/cpu.js';
import { fixtureServices } from '../fixtures/fixture-services.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function rootWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-regress-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

test('meminfo: negative and beyond-2^53 values are null with a warning, not negative bytes', () => {
  const m = parseMemInfo('MemTotal: 8000000 kB\nMemFree: -1 kB\nMemAvailable: 18446744073709551615 kB\nHugePages_Rsvd: -9223372036854775808\n');
  assert.equal(m.totalBytes, 8_192_000_000);
  assert.equal(m.freeBytes, null);
  assert.equal(m.availableBytes, null);
  assert.equal(m.hugePagesReservedCount, null);
  assert.ok(m.warnings.some((w) => w.includes('3 negative or impossible')), m.warnings.join('; '));
});

test('vmstat: a negative counter is null, not a negative OOM kill count', () => {
  const v = parseVmStat('oom_kill -1\npswpin 10\n');
  assert.equal(v.oomKill, null);
  assert.equal(v.pswpin, 10);
  assert.ok(v.warnings.some((w) => w.includes('negative')));
});

test('cpuinfo: an absurd "cpu MHz" (1e308) is ignored instead of averaging to Infinity', () => {
  const c = parseCpuInfo('processor\t: 0\ncpu MHz\t\t: 1e308\nprocessor\t: 1\ncpu MHz\t\t: 1e308\n');
  assert.equal(c.freqMhz, null);
  assert.equal(parseCpuInfo('processor\t: 0\ncpu MHz\t\t: 2400.5\n').freqMhz, 2400.5);
});

test('PSI: an average outside 0-100 makes the line invalid', () => {
  assert.equal(parsePsi('some avg10=-1.00 avg60=0.00 avg300=0.00 total=5\n'), null);
  assert.equal(parsePsi('some avg10=100.5 avg60=0.00 avg300=0.00 total=5\n'), null);
  assert.equal(parsePsi('some avg10=12.00 avg60=1.00 avg300=0.00 total=5\n')?.some.avg10Pct, 12);
});

test('sockstat and conntrack counts must be exact integers (the output schema says int)', () => {
  assert.equal(parseCount('18446744073709551616'), null);
  assert.equal(parseCount('9007199254740991'), 9007199254740991);
  const s = parseSockstat('TCP: inuse 5 orphan 18446744073709551616 tw 2 alloc 7 mem 1\n', null);
  assert.deepEqual([s.tcpInUse, s.tcpOrphans, s.tcpTimeWait], [5, null, 2]);
});

test('an empty or unparseable proc/diskstats or proc/net/dev is unavailable, with a warning', () => {
  for (const text of ['', '\u0000\u0001 garbage\n']) {
    const ctx = createCollectorContext({ root: rootWith({ 'proc/diskstats': text, 'proc/net/dev': text }) });
    const d = readDiskStats(ctx);
    assert.equal(d.available, false);
    assert.ok(d.warnings.some((w) => w.includes('no valid device line')), d.warnings.join('; '));
    const n = readNetCounters(ctx);
    assert.equal(n.available, false);
    assert.ok(n.warnings.some((w) => w.includes('no valid interface line')), n.warnings.join('; '));
  }
});

test('get_cpu over two sampler ticks of a tree whose proc/stat did not advance: unknown over the sampler window, no 0.5 s wait', async () => {
  const s = fixtureServices('idle'); // two ticks over the same tree, 10 s apart on the sampler's clock
  // The wait is counted, not timed: a fresh measurement is the only thing that would wait.
  let measured = 0;
  const measure = s.sampler.measure.bind(s.sampler);
  s.sampler.measure = (windowSec, opts) => {
    measured += 1;
    return measure(windowSec, opts);
  };
  const r = await readCpu(s);
  assert.equal(measured, 0, 'no fresh measurement');
  assert.equal(r.data.source, 'sampler');
  assert.equal(r.windowSec, 10);
  assert.equal(r.data.busyPct, null);
  assert.equal(r.assessments.find((a) => a.code === 'cpu.busy')?.status, 'unknown');
  assert.ok(r.warnings.some((w) => w.includes('did not advance')));
});

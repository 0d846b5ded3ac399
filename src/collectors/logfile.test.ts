import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GZ_LINES, makeFileTree, writeHugeLog } from '../../test/fixtures/files/tree.js';
import type { FileTree } from '../../test/fixtures/files/tree.js';
import { createCollectorContext } from './context.js';
import type { CollectorContext } from './context.js';
import { checkFilePath, listRotations, openAllowedFile } from './file-policy.js';
import type { AllowList } from './file-policy.js';
import { parseLineTime } from './log-time.js';
import { tailLogFiles } from './logfile.js';
import type { LogInput, TailOptions } from './logfile.js';

const LOGS: AllowList = { name: 'logFiles', globs: ['/var/log/*.log', '/var/log/*/*.log', '/var/log/syslog'], rotations: true };
const NOW = Date.parse('2026-11-24T12:00:00Z');
const opts = (o: Partial<TailOptions> = {}): TailOptions => ({ lines: 100, maxScanBytes: 8 * 1024 * 1024, nowMs: NOW, ...o });

describe('log line timestamps', () => {
  test('ISO, syslog and access-log forms; no zone is local time', async () => {
    assert.equal(parseLineTime('2026-11-24T09:10:00Z ERROR x', NOW), Date.parse('2026-11-24T09:10:00Z'));
    assert.equal(parseLineTime('2026-11-24 09:10:00 status installed', NOW), new Date(2026, 10, 24, 9, 10, 0).getTime());
    assert.equal(parseLineTime('2026-11-24T10:10:00.250+01:00 x', NOW), Date.parse('2026-11-24T09:10:00.250Z'));
    assert.equal(parseLineTime('Nov 24 09:05:00 host sshd[1]: x', NOW), new Date(2026, 10, 24, 9, 5, 0).getTime());
    assert.equal(parseLineTime('Dec 31 23:00:00 host x', NOW), new Date(2025, 11, 31, 23, 0, 0).getTime(), 'a syslog date after now is last year');
    assert.equal(parseLineTime('10.0.0.2 - - [24/Nov/2026:10:30:00 +0100] "GET /"', NOW), Date.parse('2026-11-24T09:30:00Z'));
    assert.equal(parseLineTime('  at main (app.js:7)', NOW), null);
    assert.equal(parseLineTime('2026-13-24T09:10:00Z bad month', NOW), null);
  });
});

describe('tailLogFiles over the fixture tree', () => {
  let tree: FileTree;
  let ctx: CollectorContext;
  // Opened when the tail reaches them, through the same policy as read_log_file.
  const lazy = (p: string): LogInput & { hostPath: string } => ({ hostPath: p, open: () => openAllowedFile(ctx, p, LOGS, { content: 'log' }) });
  const file = (p: string): LogInput & { hostPath: string } => {
    const r = checkFilePath(ctx, p, LOGS, { content: 'log' });
    assert.ok(!('error' in r), JSON.stringify(r));
    return lazy(p);
  };
  const withRotations = (p: string): Array<LogInput & { hostPath: string }> => {
    const base = checkFilePath(ctx, p, LOGS);
    assert.ok(!('error' in base));
    return [file(p), ...listRotations(ctx, base).map(lazy)];
  };
  before(() => {
    tree = makeFileTree();
    ctx = createCollectorContext({ root: tree.root });
  });
  after(() => tree.cleanup());

  test('tail returns the last N lines oldest first with line numbers and inherited timestamps', async () => {
    const r = await tailLogFiles([file('/var/log/app.log')], opts({ lines: 3 }));
    assert.deepEqual(r.lines.map((l) => [l.n, l.text]), [
      [5, '2026-11-24T09:20:00Z INFO login user=bob password=PlantedLogPass11'],
      [6, '2026-11-24T09:30:00Z INFO listening on --port 8080'],
      [7, '2026-11-24T09:40:00Z ERROR timeout talking to upstream'],
    ]);
    assert.equal(r.matched, 7);
    assert.equal(r.exact, true);
    assert.deepEqual(r.files.map((f) => [f.path, f.complete]), [['/var/log/app.log', true]]);
  });
  test('grep filters (caller-supplied predicate) and counts every match', async () => {
    const r = await tailLogFiles([file('/var/log/app.log')], opts({ lines: 1, grep: (t) => t.toLowerCase().includes('error') }));
    assert.deepEqual(r.lines.map((l) => l.n), [7]);
    assert.equal(r.matched, 2);
  });
  test('since stops at the boundary; continuation lines take the time of the line they follow', async () => {
    const r = await tailLogFiles([file('/var/log/app.log')], opts({ sinceMs: Date.parse('2026-11-24T09:10:00Z') }));
    assert.deepEqual(r.lines.map((l) => l.n), [2, 3, 4, 5, 6, 7]);
    assert.equal(r.lines[1]!.tsMs, Date.parse('2026-11-24T09:10:00Z'));
    assert.equal(r.lines[1]!.text, '  at Pool.connect (pool.js:42)');
    const nginx = await tailLogFiles([file('/var/log/nginx/access.log')], opts({ sinceMs: Date.parse('2026-11-24T09:40:00Z') }));
    assert.deepEqual(nginx.lines.map((l) => l.n), [3], 'the access log is read newest-last: the since walk stops at the first older line');
  });
  test('rotation: .1 and .2.gz follow, newest first, until enough lines', async () => {
    const files = withRotations('/var/log/app.log');
    const r = await tailLogFiles(files, opts({ lines: 12 }));
    assert.equal(r.lines.length, 12);
    assert.deepEqual(r.lines.slice(0, 5).map((l) => [l.file, l.n]), [
      ['/var/log/app.log.2.gz', 2],
      ['/var/log/app.log.2.gz', 3],
      ['/var/log/app.log.1', 1],
      ['/var/log/app.log.1', 2],
      ['/var/log/app.log.1', 3],
    ]);
    assert.equal(r.lines[0]!.text, GZ_LINES[1]);
    assert.equal(r.matched, 13);
    assert.equal(r.exact, true);
    assert.equal(r.lines.at(-1)!.file, '/var/log/app.log');
    assert.deepEqual(r.files.map((f) => f.compressed), [false, false, true]);
    const some = await tailLogFiles(files, opts({ lines: 2, grep: (t) => t.includes('ERROR') || t.includes('WARN') }));
    assert.equal(some.matched, 4, 'ERROR ×2 in app.log, WARN in .1, ERROR in .2.gz');
    const since = await tailLogFiles(files, opts({ sinceMs: Date.parse('2026-11-24T08:30:00Z') }));
    assert.equal(since.lines[0]!.text, '2026-11-24T08:30:00Z WARN slow request 2300ms');
    assert.equal(since.files.length, 2, 'the .2.gz rotation is not opened once the since boundary is found');
  });
  test('a damaged .gz rotation is skipped with a warning, not a throw', async () => {
    writeFileSync(join(tree.root, 'var/log/app.log.3.gz'), 'not gzip at all');
    const r = await tailLogFiles(withRotations('/var/log/app.log'), opts({ lines: 1000 }));
    assert.ok(r.warnings.some((w) => w.includes('app.log.3.gz') && w.includes('not a readable gzip')), r.warnings.join('; '));
    assert.equal(r.lines.length, 13);
    assert.equal(r.exact, false);
  });
  test('since over a log without timestamps: not applied, with a warning', async () => {
    writeFileSync(join(tree.root, 'var/log/plain.log'), `${Array.from({ length: 2100 }, (_, i) => `plain ${i}`).join('\n')}\n`);
    const r = await tailLogFiles([file('/var/log/plain.log')], opts({ lines: 3, sinceMs: NOW - 60_000 }));
    assert.deepEqual(r.lines.map((l) => l.text), ['plain 2097', 'plain 2098', 'plain 2099']);
    assert.equal(r.matched, 2100);
    assert.ok(r.warnings.some((w) => w.includes('no recognisable timestamp') && w.includes('since not applied')), r.warnings.join('; '));
  });
  test('date-suffixed rotations are listed newest date first; a gzip bomb is skipped, not inflated', async () => {
    const { gzipSync } = await import('node:zlib');
    writeFileSync(join(tree.root, 'var/log/syslog-20261120.gz'), gzipSync('Nov 20 10:00:00 host a: older\n'));
    writeFileSync(join(tree.root, 'var/log/syslog-20261122'), 'Nov 22 10:00:00 host a: newer\n');
    writeFileSync(join(tree.root, 'var/log/syslog-20261121.gz'), gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x61)));
    const files = withRotations('/var/log/syslog');
    assert.deepEqual(files.map((f) => f.hostPath), ['/var/log/syslog', '/var/log/syslog-20261122', '/var/log/syslog-20261121.gz', '/var/log/syslog-20261120.gz']);
    const r = await tailLogFiles(files, opts({ lines: 100 }));
    assert.ok(r.warnings.some((w) => w.includes('syslog-20261121.gz') && w.includes('decompresses to more than')), r.warnings.join('; '));
    assert.deepEqual(r.lines.slice(0, 2).map((l) => l.text), ['Nov 20 10:00:00 host a: older', 'Nov 22 10:00:00 host a: newer']);
  });
  test('reverse reading matches a forward split across chunk boundaries, long lines and a missing final newline', async () => {
    const parts: string[] = [];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) parts.push(i % 500 === 7 ? 'L'.repeat(70_000) : i % 97 === 0 ? '' : `line ${i} ${'x'.repeat(rnd(200))}`);
    const body = parts.join('\n');
    writeFileSync(join(tree.root, 'var/log/mixed.log'), body);
    const r = await tailLogFiles([file('/var/log/mixed.log')], opts({ lines: 1000 }));
    assert.equal(r.matched, parts.length);
    const expected = parts.slice(-1000);
    assert.equal(r.lines.length, 1000);
    r.lines.forEach((l, i) => {
      const want = expected[i]!;
      assert.equal(l.n, parts.length - 1000 + i + 1);
      if (want.length > 16 * 1024) {
        assert.ok(l.text === want.slice(0, 16 * 1024), `line ${l.n}: a long line keeps its first 16 KiB (got ${l.text.length} chars)`);
        assert.equal(l.hiddenBytes, want.length - 16 * 1024);
      } else assert.equal(l.text, want, `line ${l.n}`);
    });
  });
  // Bounded in bytes read (scannedBytes), never in milliseconds: the time is printed only.
  test('a huge file is read from the end within the scan budget', async (t) => {
    const path = join(tree.root, 'var/log/huge.log');
    const count = writeHugeLog(path, 50 * 1024 * 1024, NOW);
    const budget = 4 * 1024 * 1024;
    const t0 = performance.now();
    const r = await tailLogFiles([file('/var/log/huge.log')], opts({ lines: 100, maxScanBytes: budget }));
    const ms = performance.now() - t0;
    assert.equal(r.lines.length, 100);
    assert.match(r.lines.at(-1)!.text, new RegExp(`request ${count - 1} `));
    assert.ok(r.files[0]!.scannedBytes <= budget + 64 * 1024, `scanned ${r.files[0]!.scannedBytes}`);
    assert.equal(r.exact, false);
    assert.equal(r.lines[0]!.n, null, 'line numbers unknown: the head was too large to count');
    const since = await tailLogFiles([file('/var/log/huge.log')], opts({ lines: 100, sinceMs: NOW - 60_000, maxScanBytes: budget }));
    assert.equal(since.matched, 61);
    assert.equal(since.exact, true);
    assert.ok(since.files[0]!.scannedBytes <= 128 * 1024);
    const grep = await tailLogFiles([file('/var/log/huge.log')], opts({ lines: 10, grep: (t) => t.includes(' served in 5 ms'), maxScanBytes: budget, maxCountBytes: 512 * 1024 }));
    assert.equal(grep.lines.length, 10);
    assert.equal(grep.exact, false, 'a grep count past the count budget is a lower bound');
    assert.ok(grep.files[0]!.scannedBytes < 2 * 1024 * 1024, `grep scanned ${grep.files[0]!.scannedBytes}: stops counting 512 KiB after the 10th match`);
    assert.ok(grep.matched > 10);
    t.diagnostic(`huge log: ${count} lines, 50 MiB; tail 100 in ${ms.toFixed(1)} ms scanning ${r.files[0]!.scannedBytes} bytes`);
  });
});

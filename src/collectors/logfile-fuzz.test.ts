/**
 * Seeded fuzz of the backward tail (FUZZ_SEED overrides): random bytes with random newline density — empty files,
 * lone newlines, NULs, invalid UTF-8, lines longer than the 64 KiB chunk — read backwards must give exactly the
 * lines of a forward split (long lines clipped to their first 16 KiB with the rest counted), exact line numbers,
 * the true count, and never throw; random and truncated .gz rotations are skipped with a warning.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createCollectorContext } from './context.js';
import { checkFilePath, openAllowedFile } from './file-policy.js';
import type { AllowList } from './file-policy.js';
import { tailLogFiles } from './logfile.js';
import { mulberry32 } from '../../test/fuzz/mutate.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 0x10_6f11e;
const CASES = Number(process.env.FUZZ_CASES ?? 60);
const LOGS: AllowList = { name: 'logFiles', globs: ['/var/log/*.log'], rotations: true };
const MAX_LINE = 16 * 1024;

const root = mkdtempSync(join(tmpdir(), 'hostlens-logfuzz-'));
mkdirSync(join(root, 'var/log'), { recursive: true });
after(() => rmSync(root, { recursive: true, force: true }));

test(`backward tail equals a forward split over ${CASES} random files (seed ${SEED})`, async () => {
  const ctx = createCollectorContext({ root });
  const rnd = mulberry32(SEED);
  for (let c = 0; c < CASES; c++) {
    const size = c === 0 ? 0 : c === 1 ? 1 : Math.floor(rnd() ** 2 * 300_000);
    const newlineRate = [0, 0.0001, 0.01, 0.2, 0.9][Math.floor(rnd() * 5)]!;
    const buf = Buffer.alloc(size);
    for (let i = 0; i < size; i++) buf[i] = rnd() < newlineRate ? 0x0a : Math.floor(rnd() * 256);
    writeFileSync(join(root, 'var/log/f.log'), buf);
    const file = openAllowedFile(ctx, '/var/log/f.log', LOGS, { content: 'log' });
    const where = `seed ${SEED} case ${c} size ${size} newlineRate ${newlineRate}`;
    assert.ok(!('error' in file) || /private key|password hashes/.test(file.error), `${where}: ${JSON.stringify(file)}`);
    if ('error' in file) continue;
    const pieces: Buffer[] = [];
    for (let at = 0; at <= size; ) {
      const nl = buf.indexOf(0x0a, at);
      if (nl === -1) {
        if (at < size) pieces.push(buf.subarray(at));
        break;
      }
      pieces.push(buf.subarray(at, nl));
      at = nl + 1;
    }
    const want = Math.max(1, Math.floor(rnd() * 300));
    const r = await tailLogFiles([file], { lines: want, maxScanBytes: 8 * 1024 * 1024, nowMs: Date.now() });
    assert.equal(r.matched, pieces.length, `${where}: count`);
    assert.equal(r.exact, true, where);
    const expected = pieces.slice(-want);
    assert.equal(r.lines.length, expected.length, `${where}: returned`);
    r.lines.forEach((l, i) => {
      const p = expected[i]!;
      assert.equal(l.n, pieces.length - expected.length + i + 1, `${where}: line number`);
      assert.ok(l.text === p.subarray(0, MAX_LINE).toString('utf8'), `${where}: text of line ${l.n}`);
      assert.equal(l.hiddenBytes, Math.max(0, p.length - MAX_LINE), `${where}: hidden bytes of line ${l.n}`);
    });
  }
});

test('random and truncated .gz rotations are skipped with a warning, never thrown', async () => {
  const ctx = createCollectorContext({ root });
  const rnd = mulberry32(SEED ^ 0x9e3779b9);
  writeFileSync(join(root, 'var/log/g.log'), 'current\n');
  const good = gzipSync(Buffer.from('a\nb\nc\n'.repeat(1000)));
  for (let c = 0; c < 30; c++) {
    const bytes = c % 2 === 0 ? Buffer.from(Array.from({ length: Math.floor(rnd() * 4000) }, () => Math.floor(rnd() * 256))) : good.subarray(0, Math.floor(rnd() * good.length));
    writeFileSync(join(root, 'var/log/g.log.1.gz'), bytes);
    const files = ['/var/log/g.log', '/var/log/g.log.1.gz'].filter((p) => !('error' in checkFilePath(ctx, p, LOGS, { content: 'log' }))).map((p) => ({ hostPath: p, open: () => openAllowedFile(ctx, p, LOGS, { content: 'log' }) }));
    const r = await tailLogFiles(files, { lines: 10, maxScanBytes: 1024 * 1024, nowMs: Date.now() });
    assert.equal(r.lines.at(-1)?.text, 'current', `case ${c}`);
    if (files.length === 2) assert.ok(r.warnings.some((w) => w.includes('g.log.1.gz')), `case ${c}: ${r.warnings.join('; ')}`);
  }
});

/**
 * Throttled unauthenticated refusals in the audit log (audit-throttle.ts):
 * at most `perWindow` lines per window, then one summary line whose counts,
 * with the lines written, add up to every refusal; authenticated lines are
 * never throttled.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createAuditLog } from './audit.js';
import type { AuditEntry } from '../contracts/audit.js';

const dir = mkdtempSync(join(tmpdir(), 'hostlens-audit-throttle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const entry = (principal: string, httpStatus: number, requestId: number): AuditEntry => ({
  ts: new Date().toISOString(),
  principal,
  era: null,
  httpMethod: 'POST',
  method: null,
  durationMs: 0.1,
  outcome: `http_${httpStatus}`,
  httpStatus,
  bytes: 10,
  sessionRef: null,
  requestId,
});
const read = (path: string): AuditEntry[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEntry);

describe('audit: unauthenticated refusals are throttled and summarised', () => {
  test('perWindow lines, then one summary at close; authenticated lines all kept; the counts add up', async () => {
    const path = join(dir, 'a.jsonl');
    const audit = createAuditLog({ path, unauthenticated: { perWindow: 5, windowMs: 60_000 } });
    for (let i = 0; i < 1_000; i++) {
      audit.write(entry('unauthenticated', i % 3 === 0 ? 400 : 401, i));
      if (i % 100 === 0) audit.write(entry('static:ops', 200, i));
    }
    await audit.close();
    const lines = read(path);
    assert.equal(lines.filter((l) => l.principal === 'static:ops').length, 10);
    const refusals = lines.filter((l) => l.principal === 'unauthenticated' && l.outcome !== 'suppressed');
    assert.equal(refusals.length, 5);
    const summaries = lines.filter((l) => l.outcome === 'suppressed');
    assert.equal(summaries.length, 1);
    const s = summaries[0]!;
    assert.equal(s.count, 995);
    assert.deepEqual(s.byStatus, { '400': 332, '401': 663 });
    assert.equal(refusals.length + s.count!, 1_000);
  });

  test('a new window writes the previous one’s summary, then lines again', async () => {
    let t = 1_000_000;
    const path = join(dir, 'b.jsonl');
    const audit = createAuditLog({ path, unauthenticated: { perWindow: 3, windowMs: 10_000, now: () => t } });
    for (let i = 0; i < 10; i++) audit.write(entry('unauthenticated', 401, i));
    t += 10_000;
    for (let i = 10; i < 14; i++) audit.write(entry('unauthenticated', 401, i));
    await audit.flush();
    const lines = read(path);
    assert.deepEqual(
      lines.map((l) => (l.outcome === 'suppressed' ? `summary ${l.count}` : l.requestId)),
      [0, 1, 2, 'summary 7', 10, 11, 12],
    );
    assert.equal(lines[3]!.ts, new Date(1_000_000).toISOString(), 'the summary is dated at its window’s start');
    await audit.close();
    assert.equal(read(path).at(-1)!.count, 1, 'close writes the current window’s summary');
  });
});

describe('audit: a principal\'s own refusals are throttled per principal, served requests never', () => {
  test('a token flooding 429s gets 20 lines and a summary; another token\'s refusals and every served line are kept', async () => {
    const path = join(dir, 'c.jsonl');
    const audit = createAuditLog({ path, unauthenticated: { perWindow: 20, windowMs: 60_000 } });
    for (let i = 0; i < 5_000; i++) audit.write(entry('static:noisy', 429, i));
    for (let i = 0; i < 30; i++) audit.write(entry('static:noisy', 200, 10_000 + i));
    for (let i = 0; i < 10; i++) audit.write(entry('static:other', i % 2 ? 429 : 403, 20_000 + i));
    for (let i = 0; i < 50; i++) audit.write(entry('static:other', 200, 30_000 + i));
    await audit.close();
    const lines = read(path);
    const of = (p: string, pred: (l: AuditEntry) => boolean) => lines.filter((l) => l.principal === p && pred(l)).length;
    assert.equal(of('static:noisy', (l) => l.httpStatus === 429), 20, 'the noisy token: 20 refusal lines in the window');
    assert.equal(of('static:noisy', (l) => l.httpStatus === 200), 30, 'its served requests are all kept');
    assert.equal(of('static:other', (l) => l.httpStatus >= 400), 10, 'another principal has its own window');
    assert.equal(of('static:other', (l) => l.httpStatus === 200), 50);
    const summaries = lines.filter((l) => l.outcome === 'suppressed');
    assert.deepEqual(
      summaries.map((s) => [s.principal, s.count, s.byStatus]),
      [['static:noisy', 4_980, { '429': 4_980 }]],
    );
  });
});

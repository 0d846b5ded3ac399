import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ToolPage } from '../definitions/types.js';
import { decodeCursor } from '../tools/paging.js';
import { clipText, fitToBudget, jsonBytes, MIN_CLIP_CHARS } from './budget.js';
import type { BudgetEnvelope } from './budget.js';

function envelope(data: unknown, extra: Partial<BudgetEnvelope> = {}): BudgetEnvelope {
  return { host: 'local', collectedAt: '2026-01-01T00:00:00.000Z', data, assessments: [], ...extra };
}

const items = (n: number, size = 40) => Array.from({ length: n }, (_, i) => ({ id: i, name: `item-${i}-${'x'.repeat(size)}` }));

describe('fitToBudget', () => {
  test('a result within the budget is returned unchanged', () => {
    const env = envelope({ list: items(3) });
    const r = fitToBudget(env, undefined, 4096);
    assert.equal(r.cut, false);
    assert.equal(r.fits, true);
    assert.equal(r.envelope, env);
    assert.equal(r.bytes, jsonBytes(env));
  });

  test('a paged list keeps the largest prefix that fits, with a cursor continuing right after it', () => {
    const list = items(200);
    const query = { sortBy: 'name' };
    const page: ToolPage = { field: 'list', offset: 0, total: 200, query };
    const r = fitToBudget(envelope({ list, other: 1 }), page, 4096);
    assert.equal(r.fits, true);
    assert.ok(r.bytes <= 4096);
    const data = r.envelope.data as { list: typeof list; other: number };
    const n = data.list.length;
    assert.ok(n > 10 && n < 200, `kept ${n}`);
    assert.deepEqual(data.list, list.slice(0, n));
    assert.equal(data.other, 1);
    // Largest: one more item would not fit.
    const bigger = fitToBudget(envelope({ list: list.slice(0, n + 1), other: 1 }), { ...page }, 1_000_000);
    assert.ok(jsonBytes({ ...bigger.envelope, truncated: r.envelope.truncated, warnings: r.envelope.warnings }) > 4096);
    assert.equal(r.envelope.truncated?.returned, n);
    assert.equal(r.envelope.truncated?.total, 200);
    assert.equal(decodeCursor(r.envelope.truncated?.nextCursor, query), n);
    assert.ok(r.envelope.warnings?.some((w) => w.includes('maxResultBytes') && w.includes('list')));
  });

  test('a later page cut to fit continues from its own offset; the last page has no nextCursor', () => {
    const query = { q: 1 };
    const cut = fitToBudget(envelope({ list: items(100) }), { field: 'list', offset: 300, total: 500, query }, 4096);
    const n = (cut.envelope.data as { list: unknown[] }).list.length;
    assert.equal(decodeCursor(cut.envelope.truncated?.nextCursor, query), 300 + n);
    const last = fitToBudget(envelope({ list: items(100) }), { field: 'list', offset: 400, total: 400 + 2, query }, 4096);
    assert.equal((last.envelope.data as { list: unknown[] }).list.length > 0, true);
    const tail = fitToBudget(envelope({ list: items(2) }), { field: 'list', offset: 400, total: 402, query }, 4096);
    assert.equal(tail.cut, false);
  });

  test('a page cut that reaches the end gives no nextCursor', () => {
    // total equals offset + returned when the handler already said the page is the last one.
    const list = items(60);
    const r = fitToBudget(envelope({ list }), { field: 'list', offset: 0, total: 60, query: null }, 4096);
    assert.ok(r.envelope.truncated?.nextCursor, 'cut before the end: a cursor');
    const single = fitToBudget(envelope({ list: [{ id: 0, name: 'y'.repeat(6000) }] }), { field: 'list', offset: 9, total: 10, query: null }, 4096);
    assert.equal(single.fits, true);
    assert.equal(single.envelope.truncated, undefined, 'a one-item page is not cut: its string is clipped instead');
  });

  test('without a page, the longest strings are clipped with the …[+N chars] marker, short strings untouched', () => {
    const long = 'a'.repeat(10_000);
    const r = fitToBudget(envelope({ cmdline: long, state: 'running', note: 'b'.repeat(3000) }), undefined, 4096);
    assert.equal(r.fits, true);
    assert.ok(r.bytes <= 4096);
    const d = r.envelope.data as { cmdline: string; state: string; note: string };
    assert.equal(d.state, 'running');
    const m = /^(a+)…\[\+(\d+) chars\]$/.exec(d.cmdline);
    assert.ok(m, d.cmdline.slice(-40));
    assert.equal(m[1]!.length + Number(m[2]), 10_000, 'the marker counts exactly the characters removed');
    assert.ok(r.envelope.warnings?.some((w) => w.includes('clipped')));
  });

  test('strings are never clipped below the minimum; then the largest array is cut, with a warning naming it', () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ i, s: `row ${i}` }));
    const r = fitToBudget(envelope({ rows, small: [1, 2, 3] }), undefined, 4096);
    assert.equal(r.fits, true);
    const d = r.envelope.data as { rows: typeof rows; small: number[] };
    assert.deepEqual(d.small, [1, 2, 3]);
    assert.ok(d.rows.length > 0 && d.rows.length < 400);
    assert.deepEqual(d.rows, rows.slice(0, d.rows.length));
    assert.ok(r.envelope.warnings?.some((w) => w.includes('data.rows') && w.includes('from 400')));
    assert.deepEqual(r.envelope.truncated, { returned: d.rows.length, total: 400 });
    for (const row of d.rows) assert.ok(row.s.length <= MIN_CLIP_CHARS);
  });

  test('a handler-provided truncated follows the cut of the array it counts, and is kept for another array', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ i }));
    const r = fitToBudget(envelope({ rows }, { truncated: { returned: 1000, total: 9000 } }), undefined, 4096);
    assert.equal(r.fits, true);
    const kept = (r.envelope.data as { rows: unknown[] }).rows.length;
    assert.ok(kept < 1000, 'rows were cut');
    assert.deepEqual(r.envelope.truncated, { returned: kept, total: 9000 });
    const other = fitToBudget(envelope({ rows }, { truncated: { returned: 7, total: 70, nextCursor: 'abc' } }), undefined, 4096);
    assert.deepEqual(other.envelope.truncated, { returned: 7, total: 70, nextCursor: 'abc' });
  });

  test('a page whose items stay too big after the page cut also gets strings clipped and nested arrays cut', () => {
    const list = Array.from({ length: 5 }, (_, i) => ({ i, text: 'z'.repeat(5000), tags: Array.from({ length: 500 }, (_, j) => j) }));
    const query = { k: 'v' };
    const r = fitToBudget(envelope({ list }), { field: 'list', offset: 0, total: 5, query }, 4096);
    assert.equal(r.fits, true);
    assert.ok(r.bytes <= 4096);
    const d = r.envelope.data as { list: Array<{ text: string; tags: number[] }> };
    assert.ok(d.list.length >= 1);
    assert.equal(decodeCursor(r.envelope.truncated?.nextCursor, query), d.list.length);
  });

  test('a result that cannot be cut (many scalar keys) reports fits=false rather than exceeding', () => {
    const data: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) data[`key${i}`] = i;
    const r = fitToBudget(envelope(data), undefined, 4096);
    assert.equal(r.fits, false);
    assert.ok(r.bytes > 4096);
  });

  test('assessments with status ok are left out before anything is clipped, as few as needed, every other status kept', () => {
    const a = (i: number, status: string) => ({ area: 'x', code: `x.${i}`, status, message: `assessment ${i} ${'m'.repeat(60)}`, value: i, threshold: null, unit: '%' });
    const assessments = Array.from({ length: 60 }, (_, i) => a(i, i % 10 === 3 ? 'critical' : 'ok'));
    const cmdline = 'c'.repeat(200);
    const r = fitToBudget(envelope({ cmdline }, { assessments }), undefined, 4096);
    assert.equal(r.fits, true);
    const kept = r.envelope.assessments as Array<{ code: string; status: string }>;
    assert.deepEqual(kept.filter((x) => x.status === 'critical').map((x) => x.code), ['x.3', 'x.13', 'x.23', 'x.33', 'x.43', 'x.53']);
    const okKept = kept.filter((x) => x.status === 'ok');
    assert.ok(okKept.length > 0 && okKept.length < 54, `${okKept.length} ok kept`);
    assert.deepEqual(okKept.map((x) => x.code), assessments.filter((x) => x.status === 'ok').slice(0, okKept.length).map((x) => x.code), 'the first ones are kept');
    assert.equal((r.envelope.data as { cmdline: string }).cmdline, cmdline, 'nothing clipped while dropping ok assessments was enough');
    assert.ok(r.envelope.warnings?.some((w) => w.includes('status ok left out')));
  });

  test('when only assessments are too big, their strings are clipped and then they are cut', () => {
    const assessments = Array.from({ length: 80 }, (_, i) => ({ area: 'x', code: `x.${i}`, status: 'warning', message: 'w'.repeat(100), evidence: ['e'.repeat(50), 'f'.repeat(50)] }));
    const r = fitToBudget(envelope({ small: 1 }, { assessments }), undefined, 4096);
    assert.equal(r.fits, true);
    assert.ok(r.bytes <= 4096);
    const kept = r.envelope.assessments as Array<{ message: string }>;
    assert.ok(kept.length >= 1 && kept.length < 80);
    assert.match(kept[0]!.message, /…\[\+\d+ chars\]$/);
    assert.ok(r.envelope.warnings?.some((w) => w.startsWith('assessments')));
  });

  test('multi-byte strings are measured in UTF-8 bytes', () => {
    const r = fitToBudget(envelope({ s: 'é'.repeat(5000) }), undefined, 4096);
    assert.equal(r.fits, true);
    assert.ok(Buffer.byteLength(JSON.stringify(r.envelope)) <= 4096);
  });
});

describe('clipText', () => {
  test('text within the budget is unchanged', () => {
    assert.equal(clipText('hello', 10), 'hello');
  });
  test('long text is clipped to the byte budget with the marker counting removed characters', () => {
    const text = 'ü'.repeat(3000);
    const out = clipText(text, 1000);
    assert.ok(Buffer.byteLength(out) <= 1000);
    const m = /^(ü+)…\[\+(\d+) chars\]$/.exec(out);
    assert.ok(m);
    assert.equal(m[1]!.length + Number(m[2]), 3000);
    assert.ok(Buffer.byteLength(out) > 950, 'uses nearly the whole budget');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostlensError } from '../contracts/errors.js';
import { decodeCursor, encodeCursor, paginate } from './paging.js';

const items = Array.from({ length: 25 }, (_, i) => i);

test('paginate walks a list page by page and the last page has no nextCursor', () => {
  const query = { state: 'LISTEN' };
  const seen: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = paginate(items, { limit: 10, cursor, query });
    seen.push(...r.items);
    assert.equal(r.truncated?.total, 25);
    assert.equal(r.truncated?.returned, r.items.length);
    assert.equal(r.page.offset, pages * 10);
    cursor = r.truncated?.nextCursor;
    pages += 1;
  } while (cursor);
  assert.deepEqual(seen, items);
  assert.equal(pages, 3);
});

test('a list that fits has no truncated record', () => {
  const r = paginate(items, { limit: 50, query: {} });
  assert.equal(r.items.length, 25);
  assert.equal(r.truncated, undefined);
  assert.deepEqual(r.page, { offset: 0, total: 25, query: {} });
});

test('a garbage or foreign cursor is a clear HostlensError', () => {
  assert.throws(() => decodeCursor('!!!', {}), HostlensError);
  assert.throws(() => decodeCursor(Buffer.from('{"o":-1,"q":"x"}').toString('base64url'), {}), /not valid/);
  assert.throws(() => decodeCursor(encodeCursor(10, { port: 80 }), { port: 443 }), /different query/);
  assert.equal(decodeCursor(encodeCursor(10, { port: 80 }), { port: 80 }), 10);
});

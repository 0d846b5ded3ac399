/**
 * Paging for list tools. A cursor is opaque to the agent: base64url of the
 * offset plus a digest of the query it belongs to, so a cursor replayed with
 * different filters is refused (a clear tool error) instead of silently
 * paging through another list. Tools page their primary list with `paginate`
 * and return its `page` in the ToolOutput; the server may cut the page further
 * to fit maxResultBytes and then continues the same cursor sequence.
 */
import { createHash } from 'node:crypto';
import { HostlensError } from '../contracts/errors.js';
import type { ToolPage } from '../definitions/types.js';
import { z } from 'zod';

/** Paging is explained once in the server instructions (app/product-factory.ts); the field only points there. */
export const cursorField = z.string().max(512).optional().describe('truncated.nextCursor of the previous page');

function digest(query: unknown): string {
  return createHash('sha256').update(JSON.stringify(query ?? null)).digest('base64url').slice(0, 12);
}

export function encodeCursor(offset: number, query: unknown): string {
  return Buffer.from(JSON.stringify({ o: offset, q: digest(query) })).toString('base64url');
}

/** The offset a cursor points at; 0 without a cursor. Throws invalid_argument for a malformed or foreign cursor. */
export function decodeCursor(cursor: string | undefined, query: unknown): number {
  if (cursor === undefined || cursor === '') return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new HostlensError('invalid_argument', 'cursor is not valid: pass nextCursor exactly as a previous result gave it');
  }
  const p = parsed as { o?: unknown; q?: unknown } | null;
  if (!p || typeof p !== 'object' || !Number.isInteger(p.o) || (p.o as number) < 0 || typeof p.q !== 'string') {
    throw new HostlensError('invalid_argument', 'cursor is not valid: pass nextCursor exactly as a previous result gave it');
  }
  if (p.q !== digest(query)) throw new HostlensError('invalid_argument', 'cursor belongs to a different query: repeat the call with the same arguments as the one that returned it');
  return p.o as number;
}

interface PageResult<T> {
  items: T[];
  /** For ToolOutput: the page descriptor (field name filled in by the tool). */
  page: Omit<ToolPage, 'field'>;
  truncated?: { returned: number; total: number; nextCursor?: string };
}

/**
 * One page of `items` (already filtered and sorted) starting at the cursor.
 * `query` is every argument that shapes the list except `cursor` itself.
 */
export function paginate<T>(items: readonly T[], options: { limit: number; cursor?: string | undefined; query: unknown }): PageResult<T> {
  const offset = decodeCursor(options.cursor, options.query);
  return pageOfWindow(items.slice(offset, offset + options.limit), items.length, offset, options.query);
}

/**
 * The page when only its items were kept: `slice` is the list's items from `offset` (the cursor's, from
 * decodeCursor), `total` the list's length. For a tool that streams its list and keeps just the page.
 */
export function pageOfWindow<T>(slice: T[], total: number, offset: number, query: unknown): PageResult<T> {
  const end = offset + slice.length;
  const page = { offset, total, query };
  if (offset === 0 && end >= total) return { items: slice, page };
  return {
    items: slice,
    page,
    truncated: { returned: slice.length, total, ...(end < total ? { nextCursor: encodeCursor(end, query) } : {}) },
  };
}

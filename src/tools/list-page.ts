/**
 * The paging step shared by the list tools (get_filesystems, get_disk_io,
 * get_network, get_pressure, top_processes): one page of an already-ranked
 * list, the ToolOutput fields that describe it (`page`, `truncated`), and a
 * warning when the reader had already capped the list below its true size.
 */
import type { ToolPage } from '../definitions/types.js';
import { paginate } from './paging.js';

interface ListPage<T> {
  items: T[];
  page: ToolPage;
  truncated?: { returned: number; total: number; nextCursor?: string };
  warnings: string[];
}

/**
 * `capped` is the reader's own cut (only `returned` of `total` were read):
 * pages cover what was read, and a warning says what was not.
 */
export function pageList<T>(
  items: readonly T[],
  field: string,
  options: { limit: number; cursor: string | undefined; query: Record<string, unknown> },
  capped?: { returned: number; total: number },
): ListPage<T> {
  const p = paginate(items, { limit: options.limit, cursor: options.cursor, query: { ...options.query, limit: options.limit } });
  const warnings = capped ? [`${capped.total} ${field} match; only the first ${capped.returned} are read and paged`] : [];
  const truncated = p.truncated ?? capped;
  return { items: p.items, page: { field, ...p.page }, ...(truncated ? { truncated } : {}), warnings };
}

/** A text line telling a client that reads only `content` how to get the rest of a cut list; '' when nothing is left. */
export function renderMore(truncated: { returned: number; total: number; nextCursor?: string } | undefined): string {
  if (!truncated?.nextCursor) return '';
  return `more: call again with the same arguments and cursor "${truncated.nextCursor}" (${truncated.returned} of ${truncated.total} returned)`;
}

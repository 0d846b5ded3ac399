import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { SORT_KEYS, topProcesses, topProcessesDataSchema } from '../diagnostics/processes.js';
import { fmtBytes, lines, windowSecField } from './common.js';
import { renderMore } from './list-page.js';
import { cursorField, decodeCursor, encodeCursor } from './paging.js';

export const topProcessesTool = defineTool({
  name: 'top_processes',
  title: 'Top processes',
  description:
    'The top processes by CPU (interval CPU % over a stated window, 100 = one full core), memory (RSS) or open file descriptors, with user, state, RSS, memory %, swap, fds against their limit, threads, start time and the command line (secrets redacted, clipped). Also counts processes by state (running, sleeping, blocked in D state, zombie) and totals. Without windowSec the CPU window runs from the background sampler\'s last process scan to now; with windowSec (0.2–10 s) two fresh scans are taken. limit ≤ 50; the result says how many processes were not shown, and its truncated.nextCursor passed as `cursor` (same sortBy and limit) gives the next ones in a fresh ranking by the same sort.',
  toolset: 'core',
  scope: 'hostlens:processes',
  input: z
    .object({
      sortBy: z.enum(SORT_KEYS).optional().describe('cpu (default), memory or fds'),
      limit: z.number().int().min(1).max(50).optional().describe('how many processes to return (1–50, default 10)'),
      windowSec: windowSecField,
      cursor: cursorField,
    })
    .strict(),
  data: topProcessesDataSchema,
  async handler({ sortBy, limit, windowSec, cursor }, { services, signal, progress }) {
    // The ranking is re-measured on every call: a cursor continues at the same rank, not with the same processes.
    const query = { sortBy: sortBy ?? 'cpu', limit: limit ?? 10 };
    const offset = decodeCursor(cursor, query);
    const r = await topProcesses(services, { ...query, offset, ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    const total = r.data.totals.processCount;
    const returned = r.data.processes.length;
    const more = r.nextOffset < total;
    return {
      data: r.data,
      windowSec: r.windowSec,
      page: { field: 'processes', offset, total, query },
      ...(more || offset > 0 ? { truncated: { returned, total, ...(more ? { nextCursor: encodeCursor(r.nextOffset, query) } : {}) } } : {}),
      warnings: r.warnings,
    };
  },
  render({ data: d, windowSec, truncated }) {
    const s = d.states;
    return lines(
      `${d.totals.processCount} processes (${s.running} running, ${s.blocked} blocked, ${s.zombie} zombie), ${d.totals.threadCount} threads; top ${d.processes.length} by ${d.sortBy}, CPU over ${windowSec ?? '?'} s:`,
      ...d.processes.map(
        (p) =>
          `${p.pid} ${p.user ?? '?'} ${p.comm} [${p.state}] cpu ${p.cpuPct ?? '?'}% rss ${fmtBytes(p.rssBytes)} fds ${p.fdCount ?? '?'}/${p.fdLimit ?? '?'} thr ${p.threads}: ${(p.cmdline ?? '').slice(0, 120)}`,
      ),
      truncated ? `(${truncated.total - truncated.returned} more not shown)` : '',
      renderMore(truncated),
      d.redactions ? `${d.redactions} secret(s) redacted from command lines` : '',
    );
  },
});

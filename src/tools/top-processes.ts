import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { SORT_KEYS, topProcesses, topProcessesDataSchema } from '../diagnostics/processes.js';
import { fmtBytes, lines, windowSecField, fmtPct } from './common.js';
import { ifKnown, show } from '../util/missing.js';
import { renderMore } from './list-page.js';
import { cursorField, decodeCursor, encodeCursor } from './paging.js';

export const topProcessesTool = defineTool({
  name: 'top_processes',
  title: 'Top processes',
  description:
    'Top processes by CPU (% of one core over the window), memory (RSS) or open fds, with user, state, RSS, memory %, swap, fds vs their limit, threads, start time and command line (secrets redacted, clipped); process counts by state (running, sleeping, D-state blocked, zombie) and totals. The CPU window runs from the sampler\'s last process scan to now, or over two fresh scans with windowSec. A next page is a fresh ranking by the same sort.',
  toolset: 'core',
  scope: 'hostlens:processes',
  input: z
    .object({
      sortBy: z.enum(SORT_KEYS).optional().describe('default cpu'),
      limit: z.number().int().min(1).max(50).optional().describe('default 10'),
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
      `${d.totals.processCount} processes (${s.running} running, ${s.blocked} blocked, ${s.zombie} zombie), ${d.totals.threadCount} threads; top ${d.processes.length} by ${d.sortBy}${ifKnown(windowSec, (w) => `, CPU over ${w} s`)}:`,
      ...d.processes.map(
        (p) =>
          `${p.pid} ${show(p.user)} ${p.comm} [${p.state}] cpu ${fmtPct(p.cpuPct)} rss ${fmtBytes(p.rssBytes)} fds ${show(p.fdCount)}${ifKnown(p.fdLimit, (l) => `/${l}`)} thr ${p.threads}: ${(p.cmdline ?? '').slice(0, 120)}`,
      ),
      truncated ? `(${truncated.total - truncated.returned} more not shown)` : '',
      renderMore(truncated),
      d.redactions ? `${d.redactions} secret(s) redacted from command lines` : '',
    );
  },
});

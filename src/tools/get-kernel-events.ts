import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { KERNEL_EVENT_KINDS } from '../diagnostics/kernel-events.js';
import { collectKernelEvents, kernelEventsDataSchema, presentKernelEvents } from '../diagnostics/kernel-report.js';
import { lines, renderAssessments } from './common.js';
import { show } from '../util/missing.js';
import { renderMore } from './list-page.js';
import { cursorField, paginate } from './paging.js';

export const getKernelEvents = defineTool({
  name: 'get_kernel_events',
  title: 'Classified kernel events',
  description:
    'What the kernel reported: OOM kills (victim pid, comm, memory cgroup, RSS bytes = anon+file+shmem, constraint), hung tasks (blocked seconds), block I/O errors (device, sector, READ/WRITE), segfaults and traps (comm, pid, ip, library), link down/up (interface, speed Mb/s, duplex), filesystem errors (ext4/XFS/Btrfs: device, function; remount read-only) and machine checks (CPU, bank, corrected or not; EDAC). From journald kernel messages or /dev/kmsg (current boot only; `source` and the warnings say which and how far back). Use it for "was anything OOM-killed?", "is a disk failing?", "did the NIC flap?". countsByKind covers every kind; kinds narrows the newest-first list; messages redacted and clipped. Assessed: OOM kills warning/critical; any hung task, I/O error, filesystem error or uncorrected machine check critical.',
  toolset: 'logs',
  input: z
    .object({
      since: z.string().max(64).optional().describe('"-15m", "-2h", "-1d" or RFC 3339, ≤ 7 d back; default "-24h"'),
      kinds: z.array(z.enum(KERNEL_EVENT_KINDS)).max(KERNEL_EVENT_KINDS.length).optional().describe('only these kinds in the events list; default all'),
      limit: z.number().int().min(1).max(200).optional().describe('events per page (default 50)'),
      cursor: cursorField,
    })
    .strict(),
  data: kernelEventsDataSchema,
  async handler(args, { services, signal }) {
    const query = { since: args.since ?? '-24h', kinds: args.kinds ? [...new Set(args.kinds)].sort() : [] };
    const r = await collectKernelEvents(services, query, signal);
    const p = paginate(r.matched, { limit: args.limit ?? 50, cursor: args.cursor, query: { ...query, limit: args.limit ?? 50 } });
    const shown = presentKernelEvents(p.items);
    return {
      data: { ...r.data, events: shown.events, redactionsCount: shown.redactionsCount },
      assessments: r.assessments,
      ...(p.truncated ? { truncated: p.truncated } : {}),
      page: { field: 'events', ...p.page },
      warnings: r.warnings,
    };
  },
  render({ data: d, assessments, truncated }) {
    const counts = Object.entries(d.countsByKind)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    return lines(
      `kernel events since ${d.since} from ${d.source}: ${counts || 'none'}${d.coverage.oldestRecordAt ? ` (log starts ${d.coverage.oldestRecordAt})` : ''}`,
      ...d.events.map((e) => `${show(e.ts)} ${e.kind}: ${e.summary}`),
      renderMore(truncated),
      renderAssessments(assessments),
    );
  },
});

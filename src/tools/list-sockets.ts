import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { GROUP_BY, PROTO_FILTERS, STATE_FILTERS, collectSockets, groupSockets, ownerWarnings, socketsDataSchema, withOwners } from '../diagnostics/sockets.js';
import type { SocketsData } from '../diagnostics/sockets.js';
import { lines, renderAssessments } from './common.js';
import { fmtProc } from '../util/missing.js';
import { cursorField, paginate } from './paging.js';

export const listSockets = defineTool({
  name: 'list_sockets',
  title: 'Sockets with their owning process',
  description:
    'Who listens on which port, and who is connected to whom: TCP and UDP sockets (IPv4 and IPv6, from /proc/net; no unix sockets) with state, local/remote address and port, owning pid, comm and user, and receive/send queue bytes (for a listener: accept backlog / max backlog). groupBy returns counts per key instead of rows: use it first on busy hosts (a TIME_WAIT storm: groupBy remoteAddr). Always counts per state over every socket read, and assesses the busiest destination\'s share of the ephemeral port range. pid is null when no process holds the socket (TIME_WAIT) or its fd table is not readable (the warnings say how many).',
  toolset: 'network',
  scope: 'hostlens:processes',
  input: z
    .object({
      state: z.enum(STATE_FILTERS).optional().describe('"listening" = TCP LISTEN + UDP UNCONN; default all'),
      proto: z.enum(PROTO_FILTERS).optional().describe('tcp, udp: both IP versions; default all'),
      port: z.number().int().min(0).max(65535).optional().describe('local or remote port'),
      pid: z.number().int().min(1).max(4_194_304).optional().describe('held by this process'),
      groupBy: z.enum(GROUP_BY).optional().describe('return groups[{key, count, states}] instead of sockets'),
      limit: z.number().int().min(1).max(200).optional().describe('rows or groups per page (default 50)'),
      cursor: cursorField,
    })
    .strict(),
  data: socketsDataSchema,
  async handler(args, { services, signal }) {
    const { cursor, limit, ...query } = args;
    const r = await collectSockets(services, { ...query, signal });
    const field = query.groupBy ? 'groups' : 'sockets';
    const list = query.groupBy ? groupSockets(services, r.rows, query.groupBy, r.owners) : r.rows;
    const p = paginate<(typeof list)[number]>(list, { limit: limit ?? 50, cursor, query });
    let shown: Pick<SocketsData, 'groups' | 'sockets'>;
    let unowned = 0;
    if (query.groupBy) {
      shown = { groups: p.items as ReturnType<typeof groupSockets> };
      if (query.groupBy === 'process') unowned = r.rows.filter((s) => s.inode !== 0 && !r.owners?.owners.has(s.inode)).length;
    } else {
      const sockets = await withOwners(services, p.items as typeof r.rows, r, signal);
      shown = { sockets };
      unowned = sockets.filter((s) => s.inode !== 0 && s.pid === null).length;
    }
    const data: SocketsData = { ...shown, counts: r.counts, total: r.total, matched: r.rows.length, unowned, ownerScan: ownerScanOf(r.owners) };
    const warnings = [...r.warnings, ...ownerWarnings(unowned, r.owners)];
    return {
      data,
      assessments: r.assessments,
      ...(p.truncated ? { truncated: p.truncated } : {}),
      page: { field, ...p.page },
      warnings,
    };
  },
  render({ data: d, assessments, truncated }) {
    const states = Object.entries(d.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return lines(
      `${d.total} sockets (${states || 'none'}); ${d.matched} match`,
      ...(d.groups ?? []).map((g) => `${g.key}: ${g.count} (${Object.entries(g.states).map(([k, v]) => `${k} ${v}`).join(', ')})`),
      ...(d.sockets ?? []).map(
        (s) => `${s.proto} ${s.state} ${s.localAddress}:${s.localPort} → ${s.remoteAddress}:${s.remotePort} ${s.pid === null ? '-' : fmtProc(s.comm, s.pid)} ${s.user ?? ''} rx ${s.rxQueueBytes} tx ${s.txQueueBytes}`,
      ),
      truncated ? `(${truncated.total - truncated.returned} more; nextCursor continues)` : '',
      renderAssessments(assessments),
    );
  },
});

function ownerScanOf(o: Awaited<ReturnType<typeof collectSockets>>['owners']) {
  return o === null ? null : { pidsScanned: o.pidsScanned, pidsUnreadable: o.pidsUnreadable, fdsScanned: o.fdsScanned, capped: o.capped };
}

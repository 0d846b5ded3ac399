import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { networkDataSchema, readNetwork } from '../diagnostics/network.js';
import { fmtBytes, fmtPct, lines, renderAssessments, windowSecField } from './common.js';
import { pageList, renderMore } from './list-page.js';
import { cursorField } from './paging.js';

const MAX_LIMIT = 256;
const DEFAULT_LIMIT = 64;

export const getNetwork = defineTool({
  name: 'get_network',
  title: 'Network interfaces and stack health',
  description:
    'Interfaces and TCP/UDP stack health in one call. Per interface over a stated window: state, MTU, link speed, rx/tx bytes, packets, errors and drops per second, utilPct of link speed (busiest first, at most `limit` interfaces per call (default 64); when more exist, `truncated` gives the total and a nextCursor to pass as `cursor`, the ranking being re-measured on each call). TCP: sockets per state now (ESTABLISHED, TIME_WAIT, CLOSE_WAIT, …; a TIME_WAIT or CLOSE_WAIT pile-up shows here), in use, orphans, and per second over the window: retransmitted segments (retransPct = retransmitted / sent), resets, accept-queue overflows. UDP receive-buffer errors per second. Conntrack table count / max / usedPct (null without nf_conntrack). Use it for slow or failing connections, packet loss, port or conntrack exhaustion. Without windowSec the rates are instant, from the 1 Hz background sampler (windowSec ≈ 1); with windowSec (0.2–10 s) it measures afresh and reports progress. Never since-boot totals.',
  toolset: 'core',
  input: z
    .object({
      windowSec: windowSecField,
      limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`at most this many interfaces per page (1–${MAX_LIMIT}, default ${DEFAULT_LIMIT})`),
      cursor: cursorField,
    })
    .strict(),
  data: networkDataSchema,
  async handler({ windowSec, limit, cursor }, { services, signal, progress }) {
    const r = await readNetwork(services, { ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    // readNetwork warns itself when it listed only the busiest MAX_INTERFACES.
    const p = pageList(r.data.interfaces, 'interfaces', { limit: limit ?? DEFAULT_LIMIT, cursor, query: {} }, r.truncated);
    return { data: { ...r.data, interfaces: p.items }, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings, page: p.page, ...(p.truncated ? { truncated: p.truncated } : {}) };
  },
  render({ data: d, windowSec, assessments, truncated }) {
    const states = d.tcp.states
      ? Object.entries(d.tcp.states)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ') + (d.tcp.statesTruncated ? ' (truncated)' : '')
      : '?';
    return lines(
      `Network over ${windowSec ?? '?'} s (${d.source})${truncated ? `, busiest ${truncated.returned} of ${truncated.total} interfaces` : ''}:`,
      ...d.interfaces.map(
        (i) =>
          `- ${i.name} ${i.state ?? '?'} mtu ${i.mtu ?? '?'}${i.speedMbps ? ` ${i.speedMbps} Mb/s` : ''}: rx ${fmtBytes(i.rxBytesPerSec)}/s ${i.rxPacketsPerSec ?? '?'} pkt/s, tx ${fmtBytes(i.txBytesPerSec)}/s ${i.txPacketsPerSec ?? '?'} pkt/s; errors ${i.rxErrorsPerSec ?? '?'}/${i.txErrorsPerSec ?? '?'} /s, drops ${i.rxDropsPerSec ?? '?'}/${i.txDropsPerSec ?? '?'} /s (rx/tx)${i.utilPct !== null ? `, util ${fmtPct(i.utilPct)}` : ''}`,
      ),
      `TCP: ${states}; in use ${d.tcp.inUse ?? '?'}, time-wait ${d.tcp.timeWait ?? '?'}, orphans ${d.tcp.orphans ?? '?'}; retrans ${fmtPct(d.tcp.retransPct)} (${d.tcp.retransSegsPerSec ?? '?'}/s), resets ${d.tcp.resetsPerSec ?? '?'}/s, listen overflows ${d.tcp.listenOverflowsPerSec ?? '?'}/s`,
      `UDP: rcvbuf errors ${d.udp.rcvbufErrorsPerSec ?? '?'}/s, in errors ${d.udp.inErrorsPerSec ?? '?'}/s`,
      d.conntrack ? `conntrack ${d.conntrack.count} / ${d.conntrack.max} (${fmtPct(d.conntrack.usedPct)})` : 'conntrack: not loaded',
      renderMore(truncated),
      renderAssessments(assessments),
    );
  },
});

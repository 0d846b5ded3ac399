import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { networkDataSchema, readNetwork } from '../diagnostics/network.js';
import { fmtBytes, fmtPct, lines, renderAssessments, windowSecField, fmtBytesPerSec } from './common.js';
import { NA, ifKnown, show } from '../util/missing.js';
import { pageList, renderMore } from './list-page.js';
import { cursorField } from './paging.js';

const MAX_LIMIT = 256;
const DEFAULT_LIMIT = 64;

export const getNetwork = defineTool({
  name: 'get_network',
  title: 'Network interfaces and stack health',
  description:
    'Interfaces and TCP/UDP stack health. Per interface over the window, busiest first: state, MTU, link speed, rx/tx bytes, packets, errors and drops per second, utilPct of link speed. TCP: sockets per state now (a TIME_WAIT or CLOSE_WAIT pile-up shows here), in use, orphans; per second, retransmitted segments (retransPct = retransmitted / sent), resets, accept-queue overflows. UDP receive-buffer errors per second. Conntrack count / max / usedPct (null without nf_conntrack). Use it for slow or failing connections, packet loss, port or conntrack exhaustion.',
  toolset: 'core',
  input: z
    .object({
      windowSec: windowSecField,
      limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`interfaces per page (default ${DEFAULT_LIMIT})`),
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
      : NA;
    return lines(
      `Network${ifKnown(windowSec, (w) => ` over ${w} s`)} (${d.source})${truncated ? `, busiest ${truncated.returned} of ${truncated.total} interfaces` : ''}:`,
      ...d.interfaces.map(
        (i) =>
          `- ${i.name}${ifKnown(i.state, (s) => ` ${s}`)} mtu ${show(i.mtu)}${i.speedMbps ? ` ${i.speedMbps} Mb/s` : ''}: rx ${fmtBytesPerSec(i.rxBytesPerSec)}${ifKnown(i.rxPacketsPerSec, (n) => ` ${n} pkt/s`)}, tx ${fmtBytesPerSec(i.txBytesPerSec)}${ifKnown(i.txPacketsPerSec, (n) => ` ${n} pkt/s`)}; errors rx ${show(i.rxErrorsPerSec, '/s')} tx ${show(i.txErrorsPerSec, '/s')}, drops rx ${show(i.rxDropsPerSec, '/s')} tx ${show(i.txDropsPerSec, '/s')}${i.utilPct !== null ? `, util ${fmtPct(i.utilPct)}` : ''}`,
      ),
      `TCP: ${states}; in use ${show(d.tcp.inUse)}, time-wait ${show(d.tcp.timeWait)}, orphans ${show(d.tcp.orphans)}; retrans ${fmtPct(d.tcp.retransPct)}${ifKnown(d.tcp.retransSegsPerSec, (n) => ` (${n}/s)`)}, resets ${show(d.tcp.resetsPerSec, '/s')}, listen overflows ${show(d.tcp.listenOverflowsPerSec, '/s')}`,
      `UDP: rcvbuf errors ${show(d.udp.rcvbufErrorsPerSec, '/s')}, in errors ${show(d.udp.inErrorsPerSec, '/s')}`,
      d.conntrack ? `conntrack ${d.conntrack.count} / ${d.conntrack.max} (${fmtPct(d.conntrack.usedPct)})` : 'conntrack: not loaded',
      renderMore(truncated),
      renderAssessments(assessments),
    );
  },
});

import { z } from 'zod';
import { defineTool } from '../catalogue/types.js';
import { networkDataSchema, readNetwork } from '../diagnostics/network.js';
import { checkHost, fmtBytes, fmtPct, hostField, lines, renderAssessments, windowSecField } from './common.js';

export const getNetwork = defineTool({
  name: 'get_network',
  title: 'Network interfaces and stack health',
  description:
    'Interfaces and TCP/UDP stack health in one call. Per interface over a stated window: state, MTU, link speed, rx/tx bytes, packets, errors and drops per second, utilPct of link speed (busiest first, at most 256 interfaces; `truncated` says when more exist). TCP: sockets per state now (ESTABLISHED, TIME_WAIT, CLOSE_WAIT, …; a TIME_WAIT or CLOSE_WAIT pile-up shows here), in use, orphans, and per second over the window: retransmitted segments (retransPct = retransmitted / sent), resets, accept-queue overflows. UDP receive-buffer errors per second. Conntrack table count / max / usedPct (null without nf_conntrack). Use it for slow or failing connections, packet loss, port or conntrack exhaustion. Without windowSec the rates are instant, from the 1 Hz background sampler (windowSec ≈ 1); with windowSec (0.2–10 s) it measures afresh and reports progress. Never since-boot totals.',
  toolset: 'core',
  input: z.object({ host: hostField, windowSec: windowSecField }).strict(),
  data: networkDataSchema,
  async handler({ host, windowSec }, { services, signal, progress }) {
    checkHost(host);
    const r = await readNetwork(services, { ...(windowSec !== undefined ? { windowSec } : {}), signal, progress });
    return { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings, ...(r.truncated ? { truncated: r.truncated } : {}) };
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
      renderAssessments(assessments),
    );
  },
});

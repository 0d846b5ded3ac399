/**
 * Interfaces and network stack health over a stated window: interface rates from proc/net/dev, TCP/UDP
 * counter rates from snmp/netstat (sampler ticks or a fresh measurement), plus point-in-time socket
 * counts (sockstat, a bounded TCP state histogram) and conntrack usage. Used by get_network.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import type { InterfaceCounters, StackCounters } from '../collectors/network.js';
import { TCP_STATES, listInterfaces, readConntrack, readInterfaceInfo, readSockstat, readTcpStates } from '../collectors/network.js';
import { pct, roundTo } from '../collectors/read.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { ifKnown } from '../util/missing.js';
import { counterWindow } from './counter-window.js';
import { compareCodeUnits } from '../util/compare.js';

const rateNum = z.number().nullable();

const interfaceSchema = z.object({
  name: z.string(),
  /** operstate: up, down, unknown (normal for lo and some virtual links), … */
  state: z.string().nullable(),
  mtu: z.number().int().nullable(),
  /** link speed; null when the driver does not report one (virtual interfaces) */
  speedMbps: z.number().nullable(),
  rxBytesPerSec: rateNum,
  txBytesPerSec: rateNum,
  rxPacketsPerSec: rateNum,
  txPacketsPerSec: rateNum,
  rxErrorsPerSec: rateNum,
  txErrorsPerSec: rateNum,
  rxDropsPerSec: rateNum,
  txDropsPerSec: rateNum,
  /** max(rx, tx) bits/s over link speed; null without a known speed */
  utilPct: z.number().nullable(),
});

export const networkDataSchema = z.object({
  /** sampler = the 1 Hz background sampler's last window; measured = a fresh window of windowSec */
  source: z.enum(['sampler', 'measured']),
  /** busiest (rx + tx bytes/s) first */
  interfaces: z.array(interfaceSchema),
  tcp: z.object({
    /** sockets per TCP state now (IPv4 + IPv6); null when proc/net/tcp is unreadable */
    states: z.record(z.enum(TCP_STATES), z.number().int()).nullable(),
    /** true when the state count stopped at its line cap (the counts are then lower bounds) */
    statesTruncated: z.boolean(),
    /** TCP sockets in use now (sockstat, IPv4 + IPv6) */
    inUse: z.number().int().nullable(),
    /** orphaned sockets (no file handle) now */
    orphans: z.number().int().nullable(),
    /** sockets in TIME_WAIT now (sockstat) */
    timeWait: z.number().int().nullable(),
    /** segments retransmitted / segments sent in the window, % */
    retransPct: z.number().nullable(),
    retransSegsPerSec: rateNum,
    outSegsPerSec: rateNum,
    activeOpensPerSec: rateNum,
    /** established connections reset (EstabResets) per second */
    resetsPerSec: rateNum,
    inErrsPerSec: rateNum,
    /** accept queue full (ListenOverflows) per second */
    listenOverflowsPerSec: rateNum,
    listenDropsPerSec: rateNum,
  }),
  udp: z.object({
    /** datagrams dropped because a receive buffer was full */
    rcvbufErrorsPerSec: rateNum,
    inErrorsPerSec: rateNum,
  }),
  /** netfilter connection tracking table; null when nf_conntrack is not loaded */
  conntrack: z
    .object({ count: z.number().int(), max: z.number().int(), usedPct: z.number().nullable() })
    .nullable(),
});
type NetworkData = z.infer<typeof networkDataSchema>;

interface NetworkOptions {
  windowSec?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
  /** Cap on proc/net/tcp(6) lines for the state histogram (default 50,000). */
  maxTcpLines?: number;
  /** Cap on listed interfaces, busiest kept (default 256). */
  maxInterfaces?: number;
}

const MAX_INTERFACES = 256;

interface NetworkResult {
  data: NetworkData;
  windowSec: number;
  assessments: Assessment[];
  warnings: string[];
  truncated?: { returned: number; total: number };
}

function perSec(a: number | null | undefined, b: number | null | undefined, sec: number): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b < a || !(sec > 0)) return null;
  return roundTo((b - a) / sec, 1);
}

function stackDelta(a: StackCounters | undefined, b: StackCounters | undefined, k: keyof StackCounters): number | null {
  const x = a?.[k];
  const y = b?.[k];
  return x === null || x === undefined || y === null || y === undefined || y < x ? null : y - x;
}

export async function readNetwork(services: HostInputs, options: NetworkOptions = {}): Promise<NetworkResult> {
  const ctx = services.collectors;
  const w = await counterWindow(services, options, 'network counters', (sample) => sample.net);
  const sec = w.windowSec;
  const warnings: string[] = [...(w.end?.warnings ?? [])];
  const before = new Map<string, InterfaceCounters>((w.start?.interfaces ?? []).map((i) => [i.name, i]));
  const names = new Set<string>((w.end?.interfaces ?? []).map((i) => i.name));
  if (!w.end?.available) for (const n of listInterfaces(ctx) ?? []) names.add(n);
  const current = new Map((w.end?.interfaces ?? []).map((i) => [i.name, i]));

  const rows = [...names].map((name) => {
    const a = before.get(name);
    const b = current.get(name);
    const rxBytes = perSec(a?.rxBytes, b?.rxBytes, sec);
    const txBytes = perSec(a?.txBytes, b?.txBytes, sec);
    return {
      name,
      rxBytesPerSec: rxBytes === null ? null : Math.round(rxBytes),
      txBytesPerSec: txBytes === null ? null : Math.round(txBytes),
      rxPacketsPerSec: perSec(a?.rxPackets, b?.rxPackets, sec),
      txPacketsPerSec: perSec(a?.txPackets, b?.txPackets, sec),
      rxErrorsPerSec: perSec(a?.rxErrors, b?.rxErrors, sec),
      txErrorsPerSec: perSec(a?.txErrors, b?.txErrors, sec),
      rxDropsPerSec: perSec(a?.rxDrops, b?.rxDrops, sec),
      txDropsPerSec: perSec(a?.txDrops, b?.txDrops, sec),
    };
  });
  const traffic = (i: (typeof rows)[number]): number => (i.rxBytesPerSec ?? 0) + (i.txBytesPerSec ?? 0);
  rows.sort((x, y) => traffic(y) - traffic(x) || compareCodeUnits(x.name, y.name));
  // Hosts with thousands of veth interfaces: keep the busiest, and read sys/class/net only for those.
  const limit = options.maxInterfaces ?? MAX_INTERFACES;
  const truncated = rows.length > limit ? { returned: limit, total: rows.length } : undefined;
  if (truncated) warnings.push(`${rows.length} interfaces: only the ${limit} busiest are listed`);
  const interfaces: NetworkData['interfaces'] = rows.slice(0, limit).map((r) => {
    const info = readInterfaceInfo(ctx, r.name);
    const peak = r.rxBytesPerSec === null && r.txBytesPerSec === null ? null : Math.max(r.rxBytesPerSec ?? 0, r.txBytesPerSec ?? 0);
    const { name, ...rates } = r;
    return {
      name,
      state: info.state,
      mtu: info.mtu,
      speedMbps: info.speedMbps,
      ...rates,
      utilPct: peak !== null && info.speedMbps ? pct(peak * 8, info.speedMbps * 1e6) : null,
    };
  });

  const sa = w.start?.stack;
  const sb = w.end?.stack;
  const d = (k: keyof StackCounters): number | null => stackDelta(sa, sb, k);
  const rs = (k: keyof StackCounters): number | null => {
    const v = d(k);
    return v === null || !(sec > 0) ? null : roundTo(v / sec, 1);
  };
  const retrans = d('tcpRetransSegs');
  const out = d('tcpOutSegs');
  const retransPct = retrans !== null && out !== null && out > 0 ? pct(retrans, out) : retrans === 0 ? 0 : null;

  const histogram = readTcpStates(ctx, warnings, options.maxTcpLines);
  if (histogram.truncated) warnings.push(`TCP state counts stopped after ${histogram.counted} sockets: the counts are lower bounds`);
  if (!histogram.available) warnings.push('proc/net/tcp and tcp6 are unreadable: no TCP state counts');
  const sockstat = readSockstat(ctx);
  if (!sockstat) warnings.push('proc/net/sockstat is unreadable');
  const ct = readConntrack(ctx);

  const data: NetworkData = {
    source: w.source,
    interfaces,
    tcp: {
      states: histogram.available ? histogram.states : null,
      statesTruncated: histogram.truncated,
      inUse: sockstat?.tcpInUse === null || sockstat?.tcpInUse === undefined ? null : sockstat.tcpInUse + (sockstat.tcp6InUse ?? 0),
      orphans: sockstat?.tcpOrphans ?? null,
      timeWait: sockstat?.tcpTimeWait ?? null,
      retransPct,
      retransSegsPerSec: rs('tcpRetransSegs'),
      outSegsPerSec: rs('tcpOutSegs'),
      activeOpensPerSec: rs('tcpActiveOpens'),
      resetsPerSec: rs('tcpEstabResets'),
      inErrsPerSec: rs('tcpInErrs'),
      listenOverflowsPerSec: rs('tcpListenOverflows'),
      listenDropsPerSec: rs('tcpListenDrops'),
    },
    udp: { rcvbufErrorsPerSec: rs('udpRcvbufErrors'), inErrorsPerSec: rs('udpInErrors') },
    conntrack: ct ? { count: ct.count, max: ct.max, usedPct: pct(ct.count, ct.max) } : null,
  };
  return {
    data,
    windowSec: Math.round(sec * 1000) / 1000,
    assessments: assessNetwork(data, services, w.end?.available ?? false),
    warnings,
    ...(truncated ? { truncated } : {}),
  };
}

/** Worst interface errors and drops (loopback excluded), TCP retransmission, accept-queue overflows, conntrack. */
export function assessNetwork(data: NetworkData, services: Pick<HostInputs, 'thresholds'>, devAvailable: boolean): Assessment[] {
  const t = services.thresholds;
  const out: Assessment[] = [];
  const ifs = data.interfaces.filter((i) => i.name !== 'lo');
  const sum = (a: number | null, b: number | null): number | null => (a === null && b === null ? null : (a ?? 0) + (b ?? 0));
  const worst = (f: (i: (typeof ifs)[number]) => number | null): { name: string; value: number } | null => {
    let best: { name: string; value: number } | null = null;
    for (const i of ifs) {
      const v = f(i);
      if (v !== null && (best === null || v > best.value)) best = { name: i.name, value: v };
    }
    return best;
  };
  if (!devAvailable) out.push(unknownAssessment('network', 'network.interfaces', 'proc/net/dev is not readable: interface rates are unknown', '/s'));
  else {
    const errs = worst((i) => sum(i.rxErrorsPerSec, i.txErrorsPerSec));
    const drops = worst((i) => sum(i.rxDropsPerSec, i.txDropsPerSec));
    out.push(
      assess({ area: 'network', code: 'network.errors', label: errs ? `Interface ${errs.name} errors` : 'Interface errors', value: errs?.value, spec: t['network.errorsPerSec'] }),
      assess({ area: 'network', code: 'network.drops', label: drops ? `Interface ${drops.name} drops` : 'Interface drops', value: drops?.value, spec: t['network.dropsPerSec'] }),
    );
  }
  out.push(
    assess({
      area: 'network',
      code: 'tcp.retrans',
      label: 'TCP retransmissions',
      value: data.tcp.retransPct,
      spec: t['network.retransPct'],
      ...(data.tcp.retransSegsPerSec !== null ? { evidence: [`${data.tcp.retransSegsPerSec} retransmitted${ifKnown(data.tcp.outSegsPerSec, (n) => ` of ${n}`)} segments/s`] } : {}),
    }),
    assess({ area: 'network', code: 'tcp.listen_overflows', label: 'TCP accept-queue overflows', value: data.tcp.listenOverflowsPerSec, spec: t['network.listenOverflowsPerSec'] }),
  );
  if (data.conntrack) {
    out.push(
      assess({
        area: 'network',
        code: 'conntrack.used',
        label: 'Conntrack table',
        value: data.conntrack.usedPct,
        spec: t['conntrack.usedPct'],
        evidence: [`${data.conntrack.count} of ${data.conntrack.max} entries`],
      }),
    );
  }
  return out;
}

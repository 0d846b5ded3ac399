/**
 * Network counters: proc/net/dev per interface, sys/class/net/<if>/{operstate,mtu,speed}, the TCP/UDP
 * counters of proc/net/snmp and proc/net/netstat, proc/net/sockstat(6), a bounded TCP state histogram from
 * proc/net/tcp(6), and conntrack usage. readNetCounters() reads only the cheap files (the sampler's tick).
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { listDir, parseCount, parseInteger, parseNonNegInt, readLine, readText, readTextDetailed } from './read.js';

export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrops: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrops: number;
}

/** Cumulative stack counters; null when the file or the field is absent. */
export interface StackCounters {
  tcpRetransSegs: number | null;
  tcpOutSegs: number | null;
  tcpActiveOpens: number | null;
  tcpEstabResets: number | null;
  tcpInErrs: number | null;
  tcpListenOverflows: number | null;
  tcpListenDrops: number | null;
  udpRcvbufErrors: number | null;
  udpInErrors: number | null;
}

export interface NetCounters {
  /** False when proc/net/dev could not be read. */
  available: boolean;
  interfaces: InterfaceCounters[];
  stack: StackCounters;
  warnings: string[];
}

interface InterfaceInfo {
  name: string;
  /** operstate: up, down, unknown, lowerlayerdown, …; null when unreadable. */
  state: string | null;
  mtu: number | null;
  /** Link speed in Mbit/s; null when unknown (virtual interfaces report -1 or EINVAL). */
  speedMbps: number | null;
}

interface Sockstat {
  tcpInUse: number | null;
  tcpOrphans: number | null;
  tcpTimeWait: number | null;
  tcpAlloc: number | null;
  tcp6InUse: number | null;
  udpInUse: number | null;
}

export const TCP_STATES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
] as const;
type TcpState = (typeof TCP_STATES)[number];

interface TcpStateHistogram {
  states: Record<TcpState, number>;
  /** Socket lines counted (over tcp and tcp6). */
  counted: number;
  /** True when the line cap was reached and the rest was not counted. */
  truncated: boolean;
  /** False when neither proc/net/tcp nor proc/net/tcp6 was readable. */
  available: boolean;
}

interface Conntrack {
  count: number;
  max: number;
}

/** Default cap on socket lines read from proc/net/tcp + tcp6. */
const DEFAULT_MAX_TCP_LINES = 50_000;

/** Parses proc/net/dev (two header lines, then "name: 16 counters"). */
export function parseNetDev(text: string): { interfaces: InterfaceCounters[]; badLines: number } {
  const interfaces: InterfaceCounters[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) {
      if (line.trim() !== '' && !line.includes('|')) badLines++;
      continue;
    }
    const name = line.slice(0, i).trim();
    const v = line
      .slice(i + 1)
      .trim()
      .split(/\s+/)
      .map((s) => parseNonNegInt(s));
    if (name === '' || v.length < 16 || v.slice(0, 16).some((n) => n === null)) {
      badLines++;
      continue;
    }
    const n = v as number[];
    interfaces.push({
      name,
      rxBytes: n[0]!,
      rxPackets: n[1]!,
      rxErrors: n[2]!,
      rxDrops: n[3]!,
      txBytes: n[8]!,
      txPackets: n[9]!,
      txErrors: n[10]!,
      txDrops: n[11]!,
    });
  }
  return { interfaces, badLines };
}

/**
 * Parses the "Proto: names" / "Proto: values" line pairs of proc/net/snmp and proc/net/netstat into
 * `Proto.Name → value`. Pairs whose lengths differ are skipped.
 */
export function parseSnmp(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const ls = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < ls.length; i++) {
    const h = ls[i]!;
    const v = ls[i + 1]!;
    const hp = h.indexOf(':');
    const vp = v.indexOf(':');
    if (hp < 0 || vp < 0 || h.slice(0, hp) !== v.slice(0, vp)) continue;
    const names = h.slice(hp + 1).trim().split(/\s+/);
    const values = v.slice(vp + 1).trim().split(/\s+/);
    if (names.length !== values.length || names.some((n) => /^-?\d+$/.test(n))) continue;
    const proto = h.slice(0, hp);
    names.forEach((n, k) => {
      const num = parseInteger(values[k]);
      if (num !== null) out.set(`${proto}.${n}`, num);
    });
    i++;
  }
  return out;
}

/** Parses proc/net/sockstat (and sockstat6 for tcp6InUse). */
export function parseSockstat(text: string, text6: string | null): Sockstat {
  const get = (src: string | null, proto: string, key: string): number | null => {
    if (src === null) return null;
    const line = src.split('\n').find((l) => l.startsWith(`${proto}:`));
    if (!line) return null;
    const toks = line.slice(proto.length + 1).trim().split(/\s+/);
    const i = toks.indexOf(key);
    return i >= 0 ? parseCount(toks[i + 1]) : null;
  };
  return {
    tcpInUse: get(text, 'TCP', 'inuse'),
    tcpOrphans: get(text, 'TCP', 'orphan'),
    tcpTimeWait: get(text, 'TCP', 'tw'),
    tcpAlloc: get(text, 'TCP', 'alloc'),
    tcp6InUse: get(text6, 'TCP6', 'inuse'),
    udpInUse: get(text, 'UDP', 'inuse'),
  };
}

function emptyStates(): Record<TcpState, number> {
  return Object.fromEntries(TCP_STATES.map((s) => [s, 0])) as Record<TcpState, number>;
}

/**
 * Adds the sockets of one proc/net/tcp(6) text to a histogram, at most `budget` lines; returns lines counted
 * and whether the budget ran out before the end.
 */
export function countTcpStates(text: string, states: Record<TcpState, number>, budget: number): { counted: number; truncated: boolean; badLines: number } {
  let counted = 0;
  let badLines = 0;
  let pos = text.indexOf('\n') + 1; // skip the header
  if (pos === 0) return { counted, truncated: false, badLines };
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.trim() === '') continue;
    if (counted >= budget) return { counted, truncated: true, badLines };
    const m = /^\s*\d+:\s+\S+\s+\S+\s+([0-9A-Fa-f]{2})\s/.exec(line);
    const code = m ? parseInt(m[1]!, 16) : NaN;
    const state = code >= 1 && code <= TCP_STATES.length ? TCP_STATES[code - 1]! : null;
    if (state === null) {
      badLines++;
      continue;
    }
    states[state]++;
    counted++;
  }
  return { counted, truncated: false, badLines };
}

/** TCP state histogram over proc/net/tcp and tcp6, bounded by maxLines (default 50,000). */
export function readTcpStates(ctx: CollectorContext, warnings: string[], maxLines = DEFAULT_MAX_TCP_LINES): TcpStateHistogram {
  const states = emptyStates();
  let counted = 0;
  let truncated = false;
  let available = false;
  for (const f of ['tcp', 'tcp6']) {
    // tcp lines are 150 bytes, tcp6 lines 178: the byte cap sits just above the remaining line budget.
    const r = readTextDetailed(join(ctx.root, 'proc/net', f), (Math.max(0, maxLines - counted) + 2) * 200);
    if (r.text === null) continue;
    available = true;
    if (truncated) continue;
    // A byte-capped read ends in a partial line: drop it.
    const text = r.truncated ? r.text.slice(0, r.text.lastIndexOf('\n') + 1) : r.text;
    const c = countTcpStates(text, states, maxLines - counted);
    counted += c.counted;
    if (c.badLines > 0) warnings.push(`proc/net/${f}: ${c.badLines} malformed line(s) skipped`);
    if (c.truncated || r.truncated) truncated = true;
  }
  return { states, counted, truncated, available };
}

function stackCounters(snmp: Map<string, number>, netstat: Map<string, number>): StackCounters {
  const s = (k: string): number | null => snmp.get(k) ?? null;
  const n = (k: string): number | null => netstat.get(k) ?? null;
  return {
    tcpRetransSegs: s('Tcp.RetransSegs'),
    tcpOutSegs: s('Tcp.OutSegs'),
    tcpActiveOpens: s('Tcp.ActiveOpens'),
    tcpEstabResets: s('Tcp.EstabResets'),
    tcpInErrs: s('Tcp.InErrs'),
    tcpListenOverflows: n('TcpExt.ListenOverflows'),
    tcpListenDrops: n('TcpExt.ListenDrops'),
    udpRcvbufErrors: s('Udp.RcvbufErrors'),
    udpInErrors: s('Udp.InErrors'),
  };
}

/** The cheap cumulative counters (proc/net/dev, snmp, netstat): what the sampler reads every tick. */
export function readNetCounters(ctx: CollectorContext): NetCounters {
  const warnings: string[] = [];
  const dev = readText(join(ctx.root, 'proc/net/dev'), 1024 * 1024);
  let interfaces: InterfaceCounters[] = [];
  if (dev === null) warnings.push('proc/net/dev: unreadable');
  else {
    const p = parseNetDev(dev);
    interfaces = p.interfaces;
    if (p.badLines > 0) warnings.push(`proc/net/dev: ${p.badLines} malformed line(s) skipped`);
    // Every host has at least lo: no interface line means a damaged read.
    if (interfaces.length === 0) warnings.push('proc/net/dev: no valid interface line');
  }
  const snmpText = readText(join(ctx.root, 'proc/net/snmp'), 64 * 1024);
  const netstatText = readText(join(ctx.root, 'proc/net/netstat'), 64 * 1024);
  if (snmpText === null) warnings.push('proc/net/snmp: unreadable');
  return {
    available: interfaces.length > 0,
    interfaces,
    stack: stackCounters(snmpText === null ? new Map() : parseSnmp(snmpText), netstatText === null ? new Map() : parseSnmp(netstatText)),
    warnings,
  };
}

/** operstate, mtu and speed of one interface from sys/class/net. */
export function readInterfaceInfo(ctx: CollectorContext, name: string): InterfaceInfo {
  const dir = join(ctx.root, 'sys/class/net', name);
  const speed = parseInteger(readLine(join(dir, 'speed')));
  return {
    name,
    state: readLine(join(dir, 'operstate')),
    mtu: parseNonNegInt(readLine(join(dir, 'mtu'))),
    speedMbps: speed !== null && speed > 0 ? speed : null,
  };
}

/** Interface names under sys/class/net (null when the directory is absent). */
export function listInterfaces(ctx: CollectorContext): string[] | null {
  return listDir(join(ctx.root, 'sys/class/net'));
}

export function readSockstat(ctx: CollectorContext): Sockstat | null {
  const t = readText(join(ctx.root, 'proc/net/sockstat'), 16 * 1024);
  if (t === null) return null;
  return parseSockstat(t, readText(join(ctx.root, 'proc/net/sockstat6'), 16 * 1024));
}

/** nf_conntrack count and max; null when the module is not loaded (files absent) or unreadable. */
export function readConntrack(ctx: CollectorContext): Conntrack | null {
  const dir = join(ctx.root, 'proc/sys/net/netfilter');
  const count = parseCount(readLine(join(dir, 'nf_conntrack_count')));
  const max = parseCount(readLine(join(dir, 'nf_conntrack_max')));
  return count === null || max === null ? null : { count, max };
}

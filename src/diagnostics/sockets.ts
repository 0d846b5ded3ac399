/**
 * list_sockets: TCP/UDP sockets (IPv4 + IPv6) from proc/net with their owning process, filtered, sorted,
 * paged or grouped; counts by state over every socket read; and an assessment of the worst destination's
 * use of the ephemeral port range (TIME_WAIT storms towards one backend exhaust it long before the
 * host-wide count looks alarming). Owners come from a bounded scan of proc/<pid>/fd links in batches,
 * yielding to the event loop between batches and stopping as soon as every wanted inode is found.
 */
import { yieldTurn as yieldNow } from '../util/slices.js';
import { join } from 'node:path';
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import type { CollectorContext } from '../collectors/context.js';
import { parsePortRange } from '../collectors/limits.js';
import { userNameForUid } from '../collectors/process-detail.js';
import { listPids } from '../collectors/processes.js';
import { readLine } from '../collectors/read.js';
import { SOCKET_STATES, newInodeScan, readSocketTables, scanSocketOwners } from '../collectors/sockets.js';
import type { InodeScanState, SocketProto, SocketRow, SocketState } from '../collectors/sockets.js';
import { pct } from '../collectors/read.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { fmtProc } from '../util/missing.js';
import { compareCodeUnits } from '../util/compare.js';

export const STATE_FILTERS = [...SOCKET_STATES, 'listening', 'all'] as const;
type StateFilter = (typeof STATE_FILTERS)[number];
export const PROTO_FILTERS = ['tcp', 'udp', 'tcp4', 'tcp6', 'udp4', 'udp6'] as const;
type ProtoFilter = (typeof PROTO_FILTERS)[number];
export const GROUP_BY = ['remoteAddr', 'process', 'state', 'localPort'] as const;
type GroupBy = (typeof GROUP_BY)[number];

/** Scan caps: pids visited, fd links read per process and in all; a batch ends after 256 processes or 4,096 links. */
const OWNER_SCAN_CAPS = { maxPids: 20_000, maxFdsPerPid: 50_000, maxFdsTotal: 200_000, batch: 256, yieldEveryFds: 4096 };

const int = z.number().int();
const socketSchema = z.object({
  proto: z.enum(['tcp', 'tcp6', 'udp', 'udp6']),
  /** TCP state; UDP sockets are UNCONN (bound, not connected: a UDP listener) or ESTABLISHED (connected) */
  state: z.enum(SOCKET_STATES),
  /** IPv4 dotted or IPv6 (IPv4-mapped as ::ffff:a.b.c.d); 0.0.0.0 / :: = all addresses */
  localAddress: z.string(),
  localPort: int,
  remoteAddress: z.string(),
  remotePort: int,
  /** owning process (lowest pid holding the socket); null when unknown: no fd refers to it (TIME_WAIT) or its process could not be read */
  pid: int.nullable(),
  comm: z.string().nullable(),
  /** owner of the socket (uid in the socket table), from /etc/passwd; null for TIME_WAIT (the kernel no longer knows it) */
  user: z.string().nullable(),
  /** socket inode; 0 when no file refers to it any more */
  inode: int,
  /** LISTEN: current accept backlog (connections); otherwise bytes received not yet read */
  rxQueueBytes: int,
  /** LISTEN: max backlog; otherwise bytes not yet acknowledged / sent */
  txQueueBytes: int,
});
type SocketOut = z.infer<typeof socketSchema>;

const groupSchema = z.object({
  /** remote address, "comm[pid]" ("pid N" when its name is not readable; "none" = held by no process, e.g. TIME_WAIT; "unknown" = owner not readable), state, or local port */
  key: z.string(),
  count: int,
  /** sockets of the group per state */
  states: z.record(z.string(), int),
  pid: int.nullable().optional(),
  comm: z.string().nullable().optional(),
});

export const socketsDataSchema = z.object({
  /** matching sockets (listeners first, then by state, local port); absent when grouped */
  sockets: z.array(socketSchema).optional(),
  /** with groupBy: matching sockets per key, largest first */
  groups: z.array(groupSchema).optional(),
  /** sockets per state over every socket read (of the requested proto; before the state, port and pid filters) */
  counts: z.record(z.string(), int),
  /** sockets read (of the requested proto; before the state, port and pid filters) */
  total: int,
  /** sockets matching the filters */
  matched: int,
  /** sockets with an inode whose process was not found (not readable or capped): among the returned sockets, or among all matching with groupBy process */
  unowned: int,
  /** the proc/<pid>/fd scan that found owners; null when not needed */
  ownerScan: z
    .object({ pidsScanned: int, pidsUnreadable: int, fdsScanned: int, capped: z.boolean() })
    .nullable(),
});
export type SocketsData = z.infer<typeof socketsDataSchema>;

interface ListSocketsOptions {
  state?: StateFilter;
  proto?: ProtoFilter;
  port?: number;
  pid?: number;
  groupBy?: GroupBy;
  maxLines?: number;
  signal?: AbortSignal;
}

const PROTOS_OF: Record<ProtoFilter, SocketProto[]> = { tcp: ['tcp', 'tcp6'], udp: ['udp', 'udp6'], tcp4: ['tcp'], tcp6: ['tcp6'], udp4: ['udp'], udp6: ['udp6'] };

export function isListening(s: { state: SocketState }): boolean {
  return s.state === 'LISTEN' || s.state === 'UNCONN';
}

function stateMatches(s: SocketRow, f: StateFilter | undefined): boolean {
  if (f === undefined || f === 'all') return true;
  return f === 'listening' ? isListening(s) : s.state === f;
}

const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const STATE_RANK = new Map<string, number>(SOCKET_STATES.map((s, i) => [s, i]));
function compareSockets(a: SocketRow, b: SocketRow): number {
  const la = isListening(a) ? 0 : 1;
  const lb = isListening(b) ? 0 : 1;
  return (
    la - lb ||
    STATE_RANK.get(a.state)! - STATE_RANK.get(b.state)! ||
    cmp(a.proto, b.proto) ||
    a.localPort - b.localPort ||
    cmp(a.localAddress, b.localAddress) ||
    cmp(a.remoteAddress, b.remoteAddress) ||
    a.remotePort - b.remotePort ||
    a.inode - b.inode
  );
}

/**
 * Finds the processes holding `inodes` (all of them when null) by scanning proc/<pid>/fd in batches; with
 * `onlyPid`, scans that process alone. Stops early once every wanted inode is found.
 */
export async function findSocketOwners(ctx: CollectorContext, inodes: ReadonlySet<number> | null, opts: { onlyPid?: number; signal?: AbortSignal } = {}): Promise<InodeScanState> {
  const state = newInodeScan();
  const pids = opts.onlyPid !== undefined ? [opts.onlyPid] : (listPids(ctx) ?? []);
  if (pids.length > OWNER_SCAN_CAPS.maxPids) state.capped = true;
  const wanted = pids.slice(0, OWNER_SCAN_CAPS.maxPids);
  const done = (): boolean => inodes !== null && [...inodes].every((n) => state.owners.has(n));
  // Batches of at most `batch` processes or `yieldEveryFds` fd links, yielding to the event loop in between.
  let i = 0;
  while (i < wanted.length) {
    if (i > 0) await yieldNow();
    opts.signal?.throwIfAborted();
    const batchStart = i;
    const fdsAtStart = state.fdsScanned;
    while (i < wanted.length && i - batchStart < OWNER_SCAN_CAPS.batch && state.fdsScanned - fdsAtStart < OWNER_SCAN_CAPS.yieldEveryFds) {
      scanSocketOwners(ctx, [wanted[i]!], state, OWNER_SCAN_CAPS);
      i++;
    }
    if (done()) break;
    if (state.fdsScanned >= OWNER_SCAN_CAPS.maxFdsTotal) {
      state.capped = true;
      break;
    }
  }
  return state;
}

function commOf(ctx: CollectorContext, pid: number, cache: Map<number, string | null>): string | null {
  if (!cache.has(pid)) cache.set(pid, readLine(join(ctx.root, 'proc', String(pid), 'comm'), 256));
  return cache.get(pid)!;
}

interface ListSocketsResult {
  /** Matching rows, sorted, before paging (the tool pages them). */
  rows: SocketRow[];
  counts: Record<string, number>;
  total: number;
  assessments: Assessment[];
  warnings: string[];
  owners: InodeScanState | null;
}

/** Reads, filters and sorts the socket tables; owners are resolved later for the rows that are shown. */
export async function collectSockets(services: HostInputs, opts: ListSocketsOptions): Promise<ListSocketsResult> {
  const ctx = services.collectors;
  const t = readSocketTables(ctx, { protos: opts.proto ? PROTOS_OF[opts.proto] : undefined, ...(opts.maxLines !== undefined ? { maxLines: opts.maxLines } : {}) });
  const warnings = [...t.warnings];
  if (t.readable.length === 0) warnings.push('no socket table (proc/net/tcp, tcp6, udp, udp6) is readable');
  const counts: Record<string, number> = {};
  for (const s of t.sockets) counts[s.state] = (counts[s.state] ?? 0) + 1;
  let rows = t.sockets.filter((s) => stateMatches(s, opts.state) && (opts.port === undefined || s.localPort === opts.port || s.remotePort === opts.port));
  let owners: InodeScanState | null = null;
  if (opts.pid !== undefined) {
    owners = await findSocketOwners(ctx, null, { onlyPid: opts.pid, ...(opts.signal ? { signal: opts.signal } : {}) });
    rows = rows.filter((s) => s.inode !== 0 && owners!.owners.has(s.inode));
    if (owners.pidsUnreadable > 0) warnings.push(`pid ${opts.pid}: its fd table is not readable (other user's process without privileges), so none of its sockets can be listed`);
    else if (owners.pidsScanned === 0) warnings.push(`no process with pid ${opts.pid}`);
  } else if (opts.groupBy === 'process') {
    owners = await findSocketOwners(ctx, new Set(rows.filter((s) => s.inode !== 0).map((s) => s.inode)), opts.signal ? { signal: opts.signal } : {});
  }
  rows.sort(compareSockets);
  const assessments = [...assessEphemeral(services, t.sockets, t.readable.length > 0), ...assessAcceptQueue(services, t.sockets)];
  return { rows, counts, total: t.sockets.length, assessments, warnings, owners };
}

/** Rows → output sockets with pid/comm/user; scans for owners of these rows when not scanned yet. */
export async function withOwners(services: HostInputs, rows: readonly SocketRow[], r: ListSocketsResult, signal?: AbortSignal): Promise<SocketOut[]> {
  const ctx = services.collectors;
  const need = new Set(rows.filter((s) => s.inode !== 0).map((s) => s.inode));
  if (r.owners === null && need.size > 0) r.owners = await findSocketOwners(ctx, need, signal ? { signal } : {});
  const comms = new Map<number, string | null>();
  return rows.map((s) => {
    const pid = s.inode === 0 ? null : (r.owners?.owners.get(s.inode) ?? null);
    const { uid, ...rest } = s;
    return { ...rest, pid, comm: pid === null ? null : commOf(ctx, pid, comms), user: s.state === 'TIME_WAIT' ? null : userNameForUid(ctx, uid) };
  });
}

/** Groups rows by key, largest first (ties by key). */
export function groupSockets(services: HostInputs, rows: readonly SocketRow[], by: GroupBy, owners: InodeScanState | null): Array<z.infer<typeof groupSchema>> {
  const comms = new Map<number, string | null>();
  const groups = new Map<string, z.infer<typeof groupSchema>>();
  for (const s of rows) {
    let key: string;
    let extra: { pid?: number | null; comm?: string | null } = {};
    if (by === 'remoteAddr') key = s.remoteAddress;
    else if (by === 'state') key = s.state;
    else if (by === 'localPort') key = String(s.localPort);
    else {
      const pid = s.inode === 0 ? null : (owners?.owners.get(s.inode) ?? null);
      const comm = pid === null ? null : commOf(services.collectors, pid, comms);
      key = pid !== null ? fmtProc(comm, pid) : s.inode === 0 ? 'none' : 'unknown';
      extra = { pid, comm };
    }
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, count: 0, states: {}, ...extra }));
    g.count++;
    g.states[s.state] = (g.states[s.state] ?? 0) + 1;
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || compareCodeUnits(a.key, b.key));
}

/** Warnings for `unowned` sockets (an inode but no pid found) and a capped owner scan. */
export function ownerWarnings(unowned: number, owners: InodeScanState | null): string[] {
  if (owners === null) return [];
  const out: string[] = [];
  if (unowned > 0) {
    const why = owners.pidsUnreadable > 0 ? `${owners.pidsUnreadable} process(es) whose fd table could not be read (run as root or with CAP_SYS_PTRACE to see them)` : 'no readable process holds them (kernel sockets or closed since)';
    out.push(`${unowned} socket(s) have pid null: ${why}`);
  }
  if (owners.capped) out.push(`the owner scan stopped at its caps (${OWNER_SCAN_CAPS.maxPids} processes, ${OWNER_SCAN_CAPS.maxFdsPerPid} fds per process, ${OWNER_SCAN_CAPS.maxFdsTotal} fds in all): some owners may be missing`);
  return out;
}

/**
 * The destination (remote address:port) with the most TCP connections from local ports inside
 * ip_local_port_range, as a share of the range: connect() needs a free local port per destination, so this
 * is what runs out in a TIME_WAIT storm (EADDRNOTAVAIL).
 */
function assessEphemeral(services: HostInputs, sockets: readonly SocketRow[], readable: boolean): Assessment[] {
  const code = 'sockets.ephemeral_per_destination';
  const text = readLine(join(services.collectors.root, 'proc/sys/net/ipv4/ip_local_port_range'));
  const range = text === null ? null : parsePortRange(text);
  if (!readable || range === null) return [unknownAssessment('network', code, 'ephemeral port use per destination: socket tables or ip_local_port_range unreadable', '%')];
  const per = new Map<string, { n: number; tw: number }>();
  for (const s of sockets) {
    if (!s.proto.startsWith('tcp') || isListening(s) || s.localPort < range.low || s.localPort > range.high) continue;
    const key = s.proto === 'tcp6' && !s.remoteAddress.startsWith('::ffff:') ? `[${s.remoteAddress}]:${s.remotePort}` : `${s.remoteAddress.replace(/^::ffff:/, '')}:${s.remotePort}`;
    const e = per.get(key) ?? { n: 0, tw: 0 };
    e.n++;
    if (s.state === 'TIME_WAIT') e.tw++;
    per.set(key, e);
  }
  let worst: [string, { n: number; tw: number }] | null = null;
  for (const e of per) if (worst === null || e[1].n > worst[1].n) worst = e;
  const size = range.high - range.low + 1;
  return [
    assess({
      area: 'network',
      code,
      label: worst ? `Local ephemeral ports used towards ${worst[0]} (of ip_local_port_range)` : 'Local ephemeral ports used towards one destination',
      value: worst ? pct(worst[1].n, size) : 0,
      spec: services.thresholds['limits.usedPct'],
      evidence: worst ? [`${worst[1].n} connections (${worst[1].tw} in TIME_WAIT) of ${size} ports ${range.low}–${range.high}`] : [`no outgoing TCP connections from ports ${range.low}–${range.high}`],
    }),
  ];
}

/** The fullest TCP accept queue: for a LISTEN socket rx_queue is the current backlog and tx_queue its maximum. */
function assessAcceptQueue(services: HostInputs, sockets: readonly SocketRow[]): Assessment[] {
  let worst: { s: SocketRow; usedPct: number } | null = null;
  for (const s of sockets) {
    if (s.state !== 'LISTEN' || s.txQueueBytes <= 0) continue;
    const usedPct = pct(s.rxQueueBytes, s.txQueueBytes) ?? 0;
    if (worst === null || usedPct > worst.usedPct) worst = { s, usedPct };
  }
  if (worst === null) return [];
  const { s } = worst;
  const where = s.proto === 'tcp6' ? `[${s.localAddress}]:${s.localPort}` : `${s.localAddress}:${s.localPort}`;
  return [
    assess({
      area: 'network',
      code: 'sockets.accept_queue',
      label: `Accept queue of the listener on ${where} (fullest of all listeners)`,
      value: worst.usedPct,
      spec: services.thresholds['limits.usedPct'],
      evidence: [`${s.rxQueueBytes} connections waiting of a backlog of ${s.txQueueBytes}`],
    }),
  ];
}

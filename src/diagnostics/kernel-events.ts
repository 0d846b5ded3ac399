/**
 * Kernel log classifier: pure functions from one kernel message (the text after the timestamp, as in
 * /dev/kmsg or journald's MESSAGE) to a classified event, and the pass that correlates the lines of one
 * multi-line OOM report. Formats are the kernel's own printk formats (mm/oom_kill.c, kernel/hung_task.c,
 * block/blk-core.c, fs/buffer.c, arch/x86/mm/fault.c, arch/x86/kernel/cpu/mce/core.c, fs/ext4/super.c, fs/xfs,
 * fs/btrfs, the common NIC drivers and phylib). A line that matches no format is not an event; nothing throws.
 */

import { MAX_MESSAGE_CHARS, event, int, kbToBytes } from './kernel-event-base.js';
import type { ClassifiedEvent, KernelEvent, KernelMessage } from './kernel-event-base.js';
import { classifyFs, classifyMce } from './kernel-events-hw.js';
import { fmtProc } from '../util/missing.js';

export { KERNEL_EVENT_KINDS } from './kernel-event-base.js';
export type { KernelEvent, KernelEventKind, KernelMessage } from './kernel-event-base.js';


// ---- OOM ---------------------------------------------------------------------------------------------------

// "Out of memory: Killed process 1234 (java) total-vm:…kB, anon-rss:…kB, file-rss:…kB, shmem-rss:…kB, UID:1000 pgtables:…kB oom_score_adj:0"
// "Memory cgroup out of memory: Killed process …"; older kernels: "Killed process 1234 (java) total-vm:…" alone.
const KILLED = /(?:^|: )Killed process (\d+) \((.{0,64}?)\)(?:,? total-vm:(\d+)kB, anon-rss:(\d+)kB, file-rss:(\d+)kB(?:, shmem-rss:(\d+)kB)?)?(?:,? UID:(\d+))?(?: pgtables:(\d+)kB)?(?: oom_score_adj:(-?\d+))?/;
// "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/…,task_memcg=/…,task=java,pid=1234,uid=1000"
const OOM_SUMMARY = /^oom-kill:(.*)$/;
// "java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0"
const INVOKED = /^(.{1,64}?) invoked oom-killer: gfp_mask=(\S+?),? order=(-?\d+)/;

interface OomSummary {
  pid: number | null;
  comm: string | null;
  cgroup: string | null;
  constraint: string | null;
  oomMemcg: string | null;
}

/** The fields of an "oom-kill:" line; null when the line is not one. */
export function parseOomSummary(message: string): OomSummary | null {
  const m = OOM_SUMMARY.exec(message);
  if (!m) return null;
  const fields = new Map<string, string>();
  // Values may hold commas inside parentheses (nodemask=(null)); cgroup paths hold no commas in practice.
  for (const part of m[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return {
    pid: int(fields.get('pid')),
    comm: fields.get('task') ?? null,
    cgroup: fields.get('task_memcg') ?? null,
    constraint: fields.get('constraint') ?? null,
    oomMemcg: fields.get('oom_memcg') ?? null,
  };
}

function classifyKilled(message: string): ClassifiedEvent | null {
  const m = KILLED.exec(message);
  if (!m) return null;
  const pid = int(m[1]);
  const comm = m[2]!;
  const anon = kbToBytes(m[4]);
  const file = kbToBytes(m[5]);
  const shmem = kbToBytes(m[6]);
  const rssBytes = anon === null || file === null ? null : anon + file + (shmem ?? 0);
  const memcg = message.startsWith('Memory cgroup out of memory');
  return event('oom_kill', `OOM killer killed ${fmtProc(comm, pid)}${memcg ? ' (memory cgroup limit)' : ''}`, {
    pid,
    comm,
    details: {
      rssBytes,
      anonRssBytes: anon,
      fileRssBytes: file,
      shmemRssBytes: shmem,
      totalVmBytes: kbToBytes(m[3]),
      pageTablesBytes: kbToBytes(m[8]),
      uid: int(m[7]),
      oomScoreAdj: m[9] === undefined ? null : Number(m[9]),
      constraint: memcg ? 'CONSTRAINT_MEMCG' : null,
      memoryCgroupLimit: memcg,
    },
  });
}

// ---- hung task, I/O, segfault ------------------------------------------------------------------------------

// "INFO: task kworker/u8:2:123 blocked for more than 122 seconds." (comm may hold colons: the pid is the last field)
const HUNG = /^INFO: task (.{1,64}):(\d+) blocked for more than (\d+) seconds/;

function classifyHung(message: string): ClassifiedEvent | null {
  const m = HUNG.exec(message);
  if (!m) return null;
  const blockedSec = int(m[3]);
  return event('hung_task', `task ${m[1]}[${m[2]}] blocked (D state) for more than ${m[3]} s`, { pid: int(m[2]), comm: m[1]!, details: { blockedSec } });
}

// "blk_update_request: I/O error, dev sda, sector 12345 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0"
// "I/O error, dev nvme0n1, sector 4096 op 0x1:(WRITE) flags 0x8800 phys_seg 1 prio class 2"
// "critical medium error, dev sdb, sector 8 op 0x0:(READ) …", "print_req_error: I/O error, dev sda, sector 0"
const REQ_ERROR = /(?:^|: )((?:critical |recoverable )?[A-Za-z /]{0,40}error), dev ([^,\s]{1,64}), sector (\d+)(?: op 0x[0-9a-f]+:\(([A-Z_]+)\))?/;
// "Buffer I/O error on dev sda1, logical block 0, async page read"; older: "Buffer I/O error on device sda1, logical block 5"
const BUFFER_ERROR = /^Buffer I\/O error on dev(?:ice)? ([^,\s]{1,64}), logical block (\d+)(?:, (.*))?/;

function classifyIo(message: string): ClassifiedEvent | null {
  const m = REQ_ERROR.exec(message);
  if (m) {
    const op = m[4] ?? null;
    return event('io_error', `${m[1]} on ${m[2]} at sector ${m[3]}${op ? ` (${op})` : ''}`, {
      device: m[2]!,
      details: { status: m[1]!, sector: int(m[3]), op },
    });
  }
  const b = BUFFER_ERROR.exec(message);
  if (!b) return null;
  const op = b[3] ? (/write/i.test(b[3]) ? 'WRITE' : /read/i.test(b[3]) ? 'READ' : null) : null;
  return event('io_error', `buffer I/O error on ${b[1]} at logical block ${b[2]}${op ? ` (${op})` : ''}`, {
    device: b[1]!,
    details: { status: 'Buffer I/O error', logicalBlock: int(b[2]), op },
  });
}

// "a.out[1234]: segfault at 0 ip 000055d1c2a0113d sp 00007ffd5c8b9a90 error 4 in a.out[55d1c2a01000+1000] likely on CPU 1 …"
const SEGFAULT = /^(.{1,64}?)\[(\d+)\]: segfault at ([0-9a-f]+) ip ([0-9a-f]+) sp ([0-9a-f]+) error ([0-9a-f]+)(?: in ([^[\s]+)\[)?/;
// "traps: nginx[812] general protection fault ip:7f… sp:7ff… error:0 in libc.so.6[7f…+…]", "… trap invalid opcode ip:…"
const TRAP = /^traps: (.{1,64}?)\[(\d+)\] (general protection fault|trap [a-z ]{1,40}?) ip:([0-9a-f]+) sp:([0-9a-f]+) error:([0-9a-f]+)(?: in ([^[\s]+)\[)?/;

function classifySegfault(message: string): ClassifiedEvent | null {
  const m = SEGFAULT.exec(message);
  if (m) {
    const lib = m[7] ?? null;
    return event('segfault', `${m[1]}[${m[2]}] segfault at 0x${m[3]}${lib ? ` in ${lib}` : ''}`, {
      pid: int(m[2]),
      comm: m[1]!,
      details: { fault: 'segfault', address: `0x${m[3]}`, ip: `0x${m[4]}`, sp: `0x${m[5]}`, errorCode: `0x${m[6]}`, lib },
    });
  }
  const t = TRAP.exec(message);
  if (!t) return null;
  const lib = t[7] ?? null;
  return event('segfault', `${t[1]}[${t[2]}] ${t[3]}${lib ? ` in ${lib}` : ''}`, {
    pid: int(t[2]),
    comm: t[1]!,
    details: { fault: t[3]!, address: null, ip: `0x${t[4]}`, sp: `0x${t[5]}`, errorCode: `0x${t[6]}`, lib },
  });
}

// ---- link up/down -------------------------------------------------------------------------------------------

// e1000e/igb/ixgbe: "e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx", "… NIC Link is Down"
// phylib/r8169: "r8169 0000:02:00.0 enp2s0: Link is Up - 1Gbps/Full - flow control rx/tx"; tg3: "eth0: Link is up at 1000 Mbps, full duplex"
// mlx5/virtio style: "enp1s0f0: Link down", "bond0: link status definitely down for interface eth1" (not covered)
const LINK_IS = /(?:^|[\s:])([A-Za-z][A-Za-z0-9_.@-]{0,31}):? (?:NIC )?Link is (Up|Down|up|down)\b(.*)$/;
const LINK_SHORT = /(?:^|\s)([A-Za-z][A-Za-z0-9_.@-]{0,31}): Link (up|down)$/;
const SPEED = /(\d+(?:\.\d+)?)\s?(M|G)(?:bps|b\/s)/i;
const DUPLEX = /(?:\/|\b)(full|half)(?:[ -]duplex\b|\b)/i;

function classifyLink(message: string): ClassifiedEvent | null {
  const m = LINK_IS.exec(message) ?? LINK_SHORT.exec(message);
  if (!m) return null;
  const up = m[2]!.toLowerCase() === 'up';
  const rest = m[3] ?? '';
  const s = up ? SPEED.exec(rest) : null;
  const speedMbps = s ? Math.round(Number(s[1]) * (s[2]!.toUpperCase() === 'G' ? 1000 : 1)) : null;
  const d = up ? DUPLEX.exec(rest) : null;
  const duplex = d ? d[1]!.toLowerCase() : null;
  const iface = m[1]!;
  const how = [speedMbps === null ? '' : `${speedMbps} Mb/s`, duplex ? `${duplex} duplex` : ''].filter(Boolean).join(' ');
  return event(up ? 'link_up' : 'link_down', `${iface} link ${up ? 'up' : 'down'}${how ? ` (${how})` : ''}`, {
    device: iface,
    details: { interface: iface, speedMbps, duplex },
  });
}

const CLASSIFIERS = [classifyKilled, classifyHung, classifyIo, classifySegfault, classifyFs, classifyMce, classifyLink];

/** The event one kernel message reports, or null (most lines are not events). Never throws. */
export function classifyKernelMessage(message: string): ClassifiedEvent | null {
  if (typeof message !== 'string' || message === '') return null;
  const text = message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
  for (const classify of CLASSIFIERS) {
    try {
      const e = classify(text);
      if (e) return e;
    } catch {
      // a pathological line (e.g. a bank status too large for BigInt parsing) is simply not an event
    }
  }
  return null;
}

/**
 * Classifies messages in time order and merges each OOM report into one event: the "oom-kill:" summary line
 * (constraint, task_memcg) and the "invoked oom-killer" line that precede "Killed process" for the same pid
 * fill its cgroup, constraint and invoker. A summary whose kill line is missing (cut from the log) is still
 * an OOM event, without the RSS.
 */
export function classifyKernelMessages(messages: Iterable<KernelMessage>): KernelEvent[] {
  const out: KernelEvent[] = [];
  let invoker: { comm: string; gfpMask: string; order: number | null } | null = null;
  let pendingSummary: { msg: KernelMessage; s: OomSummary } | null = null;
  const flushSummary = (): void => {
    if (!pendingSummary) return;
    const { msg, s } = pendingSummary;
    pendingSummary = null;
    if (s.pid === null) return; // a summary cut before its pid names no victim: not an event
    out.push({
      ...event('oom_kill', `OOM killer chose ${fmtProc(s.comm, s.pid)} (kill line not in the log)`, {
        pid: s.pid,
        comm: s.comm,
        cgroup: s.cgroup,
        details: { rssBytes: null, constraint: s.constraint, oomMemcg: s.oomMemcg, invokedBy: invoker?.comm ?? null },
      }),
      tsMs: msg.tsMs,
      message: msg.message,
    });
    invoker = null;
  };
  for (const msg of messages) {
    const text = typeof msg.message === 'string' ? msg.message : '';
    const inv = INVOKED.exec(text);
    if (inv) {
      flushSummary();
      invoker = { comm: inv[1]!, gfpMask: inv[2]!, order: int(inv[3]) };
      continue;
    }
    const summary = parseOomSummary(text);
    if (summary) {
      flushSummary();
      pendingSummary = { msg, s: summary };
      continue;
    }
    const c = classifyKernelMessage(text);
    if (!c) continue;
    if (c.kind === 'oom_kill') {
      const s = pendingSummary && (pendingSummary.s.pid === null || pendingSummary.s.pid === c.pid) ? pendingSummary.s : null;
      if (s) pendingSummary = null;
      else flushSummary();
      c.cgroup = s?.cgroup ?? null;
      c.details = {
        ...c.details,
        constraint: s?.constraint ?? c.details.constraint ?? null,
        oomMemcg: s?.oomMemcg ?? null,
        invokedBy: invoker?.comm ?? null,
        gfpMask: invoker?.gfpMask ?? null,
        order: invoker?.order ?? null,
      };
      if (c.cgroup) c.summary += ` in ${c.cgroup}`;
      invoker = null;
    }
    out.push({ ...c, tsMs: msg.tsMs, message: text });
  }
  flushSummary();
  return out;
}

/** A cheap test a reader can apply before keeping a record: could this line matter to the classifier? */
export const MAYBE_EVENT = /oom|Killed process|blocked for more than|error|segfault|traps:|Link|Machine [Cc]heck|EDAC|-fs|XFS|BTRFS|Aborting journal/;

/**
 * Kernel log classifier: pure functions from one kernel message (the text after the timestamp, as in
 * /dev/kmsg or journald's MESSAGE) to a classified event, and the pass that correlates the lines of one
 * multi-line OOM report. Formats are the kernel's own printk formats (mm/oom_kill.c, kernel/hung_task.c,
 * block/blk-core.c, fs/buffer.c, arch/x86/mm/fault.c, arch/x86/kernel/cpu/mce/core.c, fs/ext4/super.c, fs/xfs,
 * fs/btrfs, the common NIC drivers and phylib). A line that matches no format is not an event; nothing throws.
 */

export const KERNEL_EVENT_KINDS = ['oom_kill', 'hung_task', 'io_error', 'segfault', 'link_down', 'link_up', 'fs_error', 'mce'] as const;
export type KernelEventKind = (typeof KERNEL_EVENT_KINDS)[number];

export type DetailValue = string | number | boolean | null;

export interface ClassifiedEvent {
  kind: KernelEventKind;
  summary: string;
  pid: number | null;
  comm: string | null;
  cgroup: string | null;
  device: string | null;
  details: Record<string, DetailValue>;
}

/** One kernel message with its time (epoch ms, null when unknown). */
export interface KernelMessage {
  tsMs: number | null;
  message: string;
}

export interface KernelEvent extends ClassifiedEvent {
  tsMs: number | null;
  /** The message the event was classified from (not yet redacted or clipped). */
  message: string;
}

const MAX_MESSAGE_CHARS = 4096;

function int(s: string | undefined): number | null {
  if (s === undefined || !/^\d{1,15}$/.test(s)) return null;
  return Number(s);
}

function kbToBytes(s: string | undefined): number | null {
  const n = int(s);
  return n === null ? null : n * 1024;
}

function event(kind: KernelEventKind, summary: string, fields: Partial<Omit<ClassifiedEvent, 'kind' | 'summary'>> = {}): ClassifiedEvent {
  return { kind, summary, pid: fields.pid ?? null, comm: fields.comm ?? null, cgroup: fields.cgroup ?? null, device: fields.device ?? null, details: fields.details ?? {} };
}

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
  return event('oom_kill', `OOM killer killed ${comm}[${pid ?? '?'}]${memcg ? ' (memory cgroup limit)' : ''}`, {
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

// ---- filesystem errors --------------------------------------------------------------------------------------

// "EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0"
// "EXT4-fs error (device sda1) in ext4_reserve_inode_write:5923: IO failure"; "EXT4-fs (sda1): Remounting filesystem read-only"
const EXT_ERROR = /^(EXT[234])-fs error \(device ([^)\s]{1,64})\)(?:: | in )(\w{1,64}):(\d+):?\s?(.*)$/;
const EXT_RO = /^(EXT[234])-fs \(([^)\s]{1,64})\): Remounting filesystem read-only/;
// "EXT4-fs (dm-0): I/O error while writing superblock", "EXT4-fs (sda1): failed to convert unwritten extents to written extents -- potential data loss!"
const EXT_OTHER = /^(EXT[234])-fs \(([^)\s]{1,64})\): (.{0,300}?(?:I\/O error|error while|data loss|Data will be lost|corrupt).*)$/;
// "Aborting journal on device sda1-8." (jbd2 gave up: the filesystem goes read-only next)
const JBD2_ABORT = /^Aborting journal on device ([^\s.]{1,64}(?:\.\d+)?)\.?$/;
// "XFS (sdb1): Internal error XFS_WANT_CORRUPTED_GOTO at line 1234 of file fs/xfs/libxfs/xfs_alloc.c.  Caller xfs_free_ag_extent+0x3d4/0x760 [xfs]"
// "XFS (sdb1): metadata I/O error in \"xfs_trans_read_buf_map\" at daddr 0x2 len 1 error 5", "XFS (dm-0): Corruption detected. …"
const XFS = /^XFS \(([^)\s]{1,64})\): (.*)$/;
const XFS_BAD = /error|corrupt|shut(?:ting)? ?down/i;
// "BTRFS error (device sda1): bdev /dev/sda1 errs: wr 0, rd 1, …", "BTRFS critical (device dm-0 state EA): corrupt leaf: …"
const BTRFS = /^BTRFS (error|critical) \(device ([^)\s]{1,64})(?: state \w+)?\): (.*)$/;
const IN_FUNCTION = /\bin (?:"(\w{1,64})"|(\w{1,64}):\d+)|Caller (\w{1,64})\+|\bat (\w{1,64})\+0x/;

function classifyFs(message: string): ClassifiedEvent | null {
  const e = EXT_ERROR.exec(message);
  if (e) {
    const comm = /comm ([^:]{1,64}):/.exec(e[5] ?? '')?.[1] ?? null;
    const inode = /inode #(\d+)/.exec(e[5] ?? '')?.[1];
    return event('fs_error', `${e[1]} error on ${e[2]} in ${e[3]}`, {
      device: e[2]!,
      comm,
      details: { filesystem: e[1]!.toLowerCase(), function: e[3]!, line: int(e[4]), inode: int(inode), remountedReadOnly: false },
    });
  }
  const ro = EXT_RO.exec(message);
  if (ro) {
    return event('fs_error', `${ro[1]} on ${ro[2]} remounted read-only after an error`, {
      device: ro[2]!,
      details: { filesystem: ro[1]!.toLowerCase(), function: null, line: null, inode: null, remountedReadOnly: true },
    });
  }
  const other = EXT_OTHER.exec(message);
  if (other) {
    return event('fs_error', `${other[1]} error on ${other[2]}`, {
      device: other[2]!,
      details: { filesystem: other[1]!.toLowerCase(), function: null, line: null, inode: null, remountedReadOnly: false },
    });
  }
  const jbd = JBD2_ABORT.exec(message);
  if (jbd) {
    return event('fs_error', `journal aborted on ${jbd[1]} (the filesystem will go read-only)`, {
      device: jbd[1]!,
      details: { filesystem: 'jbd2', function: null, line: null, inode: null, remountedReadOnly: false },
    });
  }
  const x = XFS.exec(message);
  if (x && XFS_BAD.test(x[2]!)) {
    const f = IN_FUNCTION.exec(x[2]!);
    const fn = f ? (f[1] ?? f[2] ?? f[3] ?? f[4] ?? null) : null;
    const shutdown = /shut(?:ting)? ?down/i.test(x[2]!);
    return event('fs_error', `XFS error on ${x[1]}${fn ? ` in ${fn}` : ''}${shutdown ? ' (filesystem shut down)' : ''}`, {
      device: x[1]!,
      details: { filesystem: 'xfs', function: fn, line: null, inode: null, remountedReadOnly: false, shutdown },
    });
  }
  const b = BTRFS.exec(message);
  if (b) {
    const f = IN_FUNCTION.exec(b[3]!);
    const fn = f ? (f[1] ?? f[2] ?? f[3] ?? f[4] ?? null) : null;
    return event('fs_error', `Btrfs ${b[1]} on ${b[2]}${fn ? ` in ${fn}` : ''}`, {
      device: b[2]!,
      details: { filesystem: 'btrfs', function: fn, line: null, inode: null, remountedReadOnly: false, severity: b[1]! },
    });
  }
  return null;
}

// ---- machine checks ------------------------------------------------------------------------------------------

// "mce: [Hardware Error]: CPU 0: Machine Check: 0 Bank 4: b200000000070f0f" ("Machine Check Exception" when MCIP)
const MCE_BANK = /(?:^|: )(?:\[Hardware Error\]: )?CPU (\d+): Machine Check( Exception)?: ([0-9a-f]+) Bank (\d+): ([0-9a-f]{1,16})\b/i;
// "mce: [Hardware Error]: Machine check events logged" (corrected errors found by polling / CMCI)
const MCE_LOGGED = /(?:^|: )(?:\[Hardware Error\]: )?Machine check events logged/;
// "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (…)"
const EDAC = /^EDAC (\w{1,32}): (\d+) (CE|UE) (.{0,200})/;
/** MCi_STATUS bit 61: the error was not corrected. */
const MCI_STATUS_UC = 1n << 61n;

function classifyMce(message: string): ClassifiedEvent | null {
  const m = MCE_BANK.exec(message);
  if (m) {
    const status = BigInt(`0x${m[5]}`);
    const corrected = (status & MCI_STATUS_UC) === 0n;
    return event('mce', `machine check on CPU ${m[1]} bank ${m[4]}: ${corrected ? 'corrected' : 'UNCORRECTED'} error${m[2] ? ' (exception)' : ''}`, {
      details: { cpu: int(m[1]), bank: int(m[4]), status: `0x${m[5]}`, corrected, exception: m[2] !== undefined, source: 'mce' },
    });
  }
  if (MCE_LOGGED.test(message)) {
    return event('mce', 'corrected machine check events logged (see mcelog / rasdaemon for details)', {
      details: { cpu: null, bank: null, status: null, corrected: true, exception: false, source: 'mce' },
    });
  }
  const e = EDAC.exec(message);
  if (e) {
    const corrected = e[3] === 'CE';
    return event('mce', `${e[2]} ${corrected ? 'corrected' : 'UNCORRECTED'} memory error(s) reported by EDAC ${e[1]}`, {
      device: e[1]!,
      details: { cpu: null, bank: null, status: null, corrected, exception: false, source: 'edac', count: int(e[2]) },
    });
  }
  return null;
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
      ...event('oom_kill', `OOM killer chose ${s.comm ?? '?'}[${s.pid ?? '?'}] (kill line not in the log)`, {
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

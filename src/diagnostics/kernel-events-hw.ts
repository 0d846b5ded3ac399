/**
 * Kernel message classifiers for storage and hardware faults: ext2/3/4 (and jbd2), XFS and Btrfs errors
 * (fs/ext4/super.c, fs/xfs, fs/btrfs) and machine checks (arch/x86/kernel/cpu/mce/core.c, EDAC).
 */
import { event, int } from './kernel-event-base.js';
import type { ClassifiedEvent } from './kernel-event-base.js';

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

export function classifyFs(message: string): ClassifiedEvent | null {
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

export function classifyMce(message: string): ClassifiedEvent | null {
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

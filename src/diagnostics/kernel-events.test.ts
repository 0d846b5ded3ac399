/** The kernel message classifier, one kind at a time, over the kernel's real printk formats. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { MAYBE_EVENT, classifyKernelMessage, classifyKernelMessages, parseOomSummary } from './kernel-events.js';

const c = (m: string) => classifyKernelMessage(m);

test('oom_kill: "Killed process" line gives pid, comm and RSS = anon + file + shmem in bytes', () => {
  const e = c('Out of memory: Killed process 7001 (python3) total-vm:8123456kB, anon-rss:7340032kB, file-rss:2048kB, shmem-rss:512kB, UID:1000 pgtables:14400kB oom_score_adj:-100')!;
  assert.equal(e.kind, 'oom_kill');
  assert.equal(e.pid, 7001);
  assert.equal(e.comm, 'python3');
  assert.equal(e.details.rssBytes, (7340032 + 2048 + 512) * 1024);
  assert.equal(e.details.anonRssBytes, 7340032 * 1024);
  assert.equal(e.details.totalVmBytes, 8123456 * 1024);
  assert.equal(e.details.uid, 1000);
  assert.equal(e.details.oomScoreAdj, -100);
  assert.equal(e.details.memoryCgroupLimit, false);
  const memcg = c('Memory cgroup out of memory: Killed process 4321 (java) total-vm:4812492kB, anon-rss:519812kB, file-rss:3120kB, shmem-rss:1024kB, UID:1000 pgtables:1504kB oom_score_adj:0')!;
  assert.equal(memcg.details.constraint, 'CONSTRAINT_MEMCG');
  assert.match(memcg.summary, /java\[4321\].*memory cgroup/);
  // 4.x kernels: no shmem-rss, no UID
  const old = c('Killed process 812 (mysqld) total-vm:2334112kB, anon-rss:1201304kB, file-rss:0kB')!;
  assert.equal(old.details.rssBytes, 1201304 * 1024);
  assert.equal(old.details.shmemRssBytes, null);
  // the reaper's report and the 4.x "Kill process … or sacrifice child" choice are not further kills
  assert.equal(c('oom_reaper: reaped process 4321 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB'), null);
  assert.equal(c('Out of memory: Kill process 812 (mysqld) score 912 or sacrifice child'), null);
});

test('oom_kill: the oom-kill summary line and the invoker are merged into the kill of the same pid', () => {
  const s = parseOomSummary('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/x.service,task_memcg=/system.slice/x.service,task=java,pid=1234,uid=1000')!;
  assert.deepEqual(s, { pid: 1234, comm: 'java', cgroup: '/system.slice/x.service', constraint: 'CONSTRAINT_MEMCG', oomMemcg: '/system.slice/x.service' });
  const events = classifyKernelMessages([
    { tsMs: 1000, message: 'java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0' },
    { tsMs: 1001, message: 'CPU: 1 PID: 1234 Comm: java Not tainted 6.1.0-18-amd64 #1' },
    { tsMs: 1002, message: 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/x.service,task_memcg=/system.slice/x.service,task=java,pid=1234,uid=1000' },
    { tsMs: 1003, message: 'Memory cgroup out of memory: Killed process 1234 (java) total-vm:100kB, anon-rss:10kB, file-rss:20kB, shmem-rss:30kB, UID:1000 pgtables:4kB oom_score_adj:0' },
  ]);
  assert.equal(events.length, 1);
  const e = events[0]!;
  assert.equal(e.cgroup, '/system.slice/x.service');
  assert.equal(e.details.rssBytes, 60 * 1024);
  assert.equal(e.details.invokedBy, 'java');
  assert.equal(e.details.gfpMask, '0xcc0(GFP_KERNEL)');
  assert.equal(e.tsMs, 1003);
  assert.match(e.summary, /in \/system\.slice\/x\.service$/);
});

test('oom_kill: a summary whose kill line was cut from the log is still an event; one for another pid is not merged', () => {
  const events = classifyKernelMessages([
    { tsMs: 1, message: 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/a.slice,task=a,pid=10,uid=0' },
    { tsMs: 2, message: 'Out of memory: Killed process 20 (b) total-vm:1kB, anon-rss:1kB, file-rss:1kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0' },
    { tsMs: 3, message: 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(nu' },
  ]);
  assert.deepEqual(events.map((e) => [e.kind, e.pid, e.cgroup, e.details.rssBytes]), [
    ['oom_kill', 10, '/a.slice', null],
    ['oom_kill', 20, null, 2048],
  ]);
});

test('hung_task: comm with colons, pid and blocked seconds', () => {
  const e = c('INFO: task kworker/u8:2:123 blocked for more than 122 seconds.')!;
  assert.deepEqual([e.kind, e.comm, e.pid, e.details.blockedSec], ['hung_task', 'kworker/u8:2', 123, 122]);
  assert.equal(c('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.'), null);
});

test('io_error: new and old block layer formats, status words and buffer I/O errors', () => {
  const w = c('I/O error, dev nvme0n1, sector 4096 op 0x1:(WRITE) flags 0x8800 phys_seg 1 prio class 2')!;
  assert.deepEqual([w.kind, w.device, w.details.sector, w.details.op, w.details.status], ['io_error', 'nvme0n1', 4096, 'WRITE', 'I/O error']);
  const r = c('blk_update_request: I/O error, dev sda, sector 12345 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0')!;
  assert.deepEqual([r.device, r.details.sector, r.details.op], ['sda', 12345, 'READ']);
  const med = c('critical medium error, dev sdb, sector 8 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0')!;
  assert.equal(med.details.status, 'critical medium error');
  const old = c('print_req_error: I/O error, dev sdc, sector 0')!;
  assert.deepEqual([old.device, old.details.op], ['sdc', null]);
  const b = c('Buffer I/O error on dev sda1, logical block 244190, lost async page write')!;
  assert.deepEqual([b.kind, b.device, b.details.logicalBlock, b.details.op], ['io_error', 'sda1', 244190, 'WRITE']);
  const b2 = c('Buffer I/O error on device dm-0, logical block 5')!;
  assert.equal(b2.device, 'dm-0');
});

test('segfault: comm, pid, ip and library; traps; no library when the kernel found no mapping', () => {
  const e = c('nginx[9876]: segfault at 0 ip 00007f3a1c2d4e10 sp 00007ffd2b3c4d50 error 4 in libc.so.6[7f3a1c28a000+155000] likely on CPU 0 (core 0, socket 0)')!;
  assert.deepEqual([e.kind, e.comm, e.pid, e.details.ip, e.details.lib, e.details.address], ['segfault', 'nginx', 9876, '0x00007f3a1c2d4e10', 'libc.so.6', '0x0']);
  const nolib = c('a.out[42]: segfault at 7ffd00000000 ip 0000000000401136 sp 00007ffd5c8b9a90 error 6')!;
  assert.deepEqual([nolib.pid, nolib.details.lib], [42, null]);
  const gp = c('traps: php-fpm[5555] general protection fault ip:7f1e2a3b4c5d sp:7ffe1a2b3c4d error:0 in libphp.so[7f1e2a000000+1200000]')!;
  assert.deepEqual([gp.kind, gp.comm, gp.pid, gp.details.fault, gp.details.lib], ['segfault', 'php-fpm', 5555, 'general protection fault', 'libphp.so']);
});

test('link: up with speed and duplex across driver formats; down', () => {
  const e1 = c('e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx')!;
  assert.deepEqual([e1.kind, e1.device, e1.details.speedMbps, e1.details.duplex], ['link_up', 'eth0', 1000, 'full']);
  const e2 = c('e1000e: eth1 NIC Link is Up 100 Mbps Half Duplex, Flow Control: None')!;
  assert.deepEqual([e2.device, e2.details.speedMbps, e2.details.duplex], ['eth1', 100, 'half']);
  const r = c('r8169 0000:02:00.0 enp2s0: Link is Up - 1Gbps/Full - flow control rx/tx')!;
  assert.deepEqual([r.device, r.details.speedMbps, r.details.duplex], ['enp2s0', 1000, 'full']);
  const x = c('ixgbe 0000:01:00.0 eth2: NIC Link is Up 10 Gbps, Flow Control: RX/TX')!;
  assert.deepEqual([x.device, x.details.speedMbps, x.details.duplex], ['eth2', 10000, null]);
  const d = c('igb 0000:03:00.0 eno1: igb: eno1 NIC Link is Down')!;
  assert.deepEqual([d.kind, d.device, d.details.speedMbps], ['link_down', 'eno1', null]);
  const m = c('mlx5_core 0000:81:00.0 enp129s0f0np0: Link down')!;
  assert.deepEqual([m.kind, m.device], ['link_down', 'enp129s0f0np0']);
  assert.equal(c('IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready'), null);
});

test('fs_error: ext4 (function, line, inode, comm), remount read-only, XFS, Btrfs; benign mount messages are not events', () => {
  const e = c('EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0')!;
  assert.deepEqual([e.kind, e.device, e.details.function, e.details.line, e.details.inode, e.comm], ['fs_error', 'sda1', 'ext4_find_entry', 1455, 2, 'ls']);
  const std = c('EXT4-fs error (device dm-2) in ext4_reserve_inode_write:5923: IO failure')!;
  assert.deepEqual([std.device, std.details.function], ['dm-2', 'ext4_reserve_inode_write']);
  const ro = c('EXT4-fs (sda1): Remounting filesystem read-only')!;
  assert.deepEqual([ro.kind, ro.device, ro.details.remountedReadOnly], ['fs_error', 'sda1', true]);
  const x = c('XFS (dm-1): metadata I/O error in "xfs_trans_read_buf_map" at daddr 0x2 len 1 error 5')!;
  assert.deepEqual([x.device, x.details.filesystem, x.details.function], ['dm-1', 'xfs', 'xfs_trans_read_buf_map']);
  const xi = c('XFS (sdb1): Internal error XFS_WANT_CORRUPTED_GOTO at line 1234 of file fs/xfs/libxfs/xfs_alloc.c.  Caller xfs_free_ag_extent+0x3d4/0x760 [xfs]')!;
  assert.equal(xi.details.function, 'xfs_free_ag_extent');
  const xs = c('XFS (dm-0): Log I/O Error (0x2) detected at xlog_ioend_work+0x6e/0x70 [xfs] (fs/xfs/xfs_log.c:1296).  Shutting down filesystem.')!;
  assert.deepEqual([xs.details.function, xs.details.shutdown], ['xlog_ioend_work', true]);
  const b = c('BTRFS critical (device dm-0 state EA): corrupt leaf: root=2 block=29360128 slot=0, invalid key objectid')!;
  assert.deepEqual([b.device, b.details.filesystem, b.details.severity], ['dm-0', 'btrfs', 'critical']);
  const bf = c('BTRFS error (device sda1): error in __btrfs_free_extent:3092: errno=-5 IO failure')!;
  assert.equal(bf.details.function, '__btrfs_free_extent');
  const sb = c('EXT4-fs (dm-0): I/O error while writing superblock')!;
  assert.deepEqual([sb.kind, sb.device, sb.details.filesystem], ['fs_error', 'dm-0', 'ext4']);
  assert.equal(c('EXT4-fs (sda1): failed to convert unwritten extents to written extents -- potential data loss!  (inode 12, error -5)')!.device, 'sda1');
  const j = c('Aborting journal on device sda1-8.')!;
  assert.deepEqual([j.kind, j.device, j.details.filesystem], ['fs_error', 'sda1-8', 'jbd2']);
  for (const benign of ['EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: errors=remount-ro. Quota mode: none.', 'EXT4-fs (sda1): error count since last fsck: 3', 'EXT4-fs warning (device sda1): ext4_dx_add_entry:2461: Directory (ino: 2) index full, reduce option', 'EXT4-fs (vda): mounted filesystem 0000 r/w without journal. Quota mode: none.', 'XFS (dm-1): Mounting V5 Filesystem', 'XFS (dm-1): Ending clean mount', 'BTRFS info (device sda1): disk space caching is enabled']) {
    assert.equal(c(benign), null, benign);
  }
});

test('mce: corrected vs uncorrected from MCi_STATUS bit 61, exception flag, "events logged", EDAC', () => {
  const ce = c('mce: [Hardware Error]: CPU 2: Machine Check: 0 Bank 8: 9c00004001010091')!;
  assert.deepEqual([ce.kind, ce.details.cpu, ce.details.bank, ce.details.corrected, ce.details.exception], ['mce', 2, 8, true, false]);
  const ue = c('mce: [Hardware Error]: CPU 3: Machine Check Exception: 5 Bank 4: b200000000070f0f')!;
  assert.deepEqual([ue.details.cpu, ue.details.bank, ue.details.corrected, ue.details.exception], [3, 4, false, true]);
  assert.match(ue.summary, /UNCORRECTED/);
  assert.equal(c('mce: [Hardware Error]: Machine check events logged')!.details.corrected, true);
  const edac = c('EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0)')!;
  assert.deepEqual([edac.device, edac.details.corrected, edac.details.source, edac.details.count], ['MC0', false, 'edac', 1]);
  assert.equal(c('mce: [Hardware Error]: TSC 0 ADDR 1234567000 MISC 90840000400040086'), null);
});

test('garbage, truncated and hostile lines are not events and never throw', () => {
  const lines = [
    '',
    'random text',
    'INFO: task :12 blocked for more than',
    'Out of memory: Killed process 12',
    'Out of memory: Killed process abc (x) total-vm:',
    'I/O error, dev , sector',
    'x[1]: segfault at zz ip',
    'EXT4-fs error (device',
    'mce: [Hardware Error]: CPU 1: Machine Check: 0 Bank 4: ',
    'Link is',
    '\u0000\u0001\uFFFD'.repeat(100),
    'a'.repeat(100_000),
    `INFO: task ${'x:'.repeat(20_000)}1 blocked for more than 5 seconds.`,
  ];
  for (const l of lines) assert.doesNotThrow(() => c(l), l.slice(0, 40));
  assert.deepEqual(lines.map(c).filter(Boolean), []);
  assert.equal(classifyKernelMessage(undefined as unknown as string), null);
  assert.deepEqual(classifyKernelMessages([{ tsMs: null, message: undefined as unknown as string }, { tsMs: null, message: 'oom-kill:' }]), []);
});

test('the readers\' cheap pre-filter keeps every line the classifier would turn into an event', () => {
  const fixture = readFileSync(new URL('../../test/fixtures/kmsg/mixed/dev/kmsg', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.slice(l.indexOf(';') + 1));
  const more = ['Aborting journal on device sda1-8.', 'EXT4-fs (dm-0): I/O error while writing superblock', 'mlx5_core 0000:81:00.0 enp1s0: Link down', 'INFO: task a:1 blocked for more than 5 seconds.'];
  const events = [...fixture, ...more].filter((m) => c(m) !== null || m.includes('invoked oom-killer') || m.startsWith('oom-kill:'));
  assert.ok(events.length >= 25);
  for (const m of events) assert.ok(MAYBE_EVENT.test(m), m);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { classifyFilesystem, decodeMountField, parseMountInfo, readFilesystems } from './filesystems.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('idle: pseudo filesystems hidden by default, octal escapes decoded, bind mount deduped', () => {
  const r = readFilesystems(ctxFor('idle'));
  assert.deepEqual(r.filesystems.map((f) => f.mount), ['/run', '/', '/dev/shm', '/boot/efi', '/mnt/backup disk', '/mnt/nfs']);
  // sysfs, proc, devtmpfs, devpts, securityfs, cgroup2, pstore, autofs (binfmt_misc), squashfs snap
  assert.equal(r.hiddenPseudoCount, 9);
  assert.equal(r.totalMatched, 6);
  assert.equal(r.truncated, undefined);
  const root = r.filesystems.find((f) => f.mount === '/')!;
  assert.deepEqual(root, {
    mount: '/',
    device: '/dev/vda1',
    fsType: 'ext4',
    category: 'disk',
    pseudo: false,
    readOnly: false,
    sizeBytes: 32_212_254_720, // 7864320 × 4096
    usedBytes: 9_663_676_416, // (7864320 − 5505024) × 4096
    availBytes: 20_937_965_568, // 5111808 × 4096
    usedPct: 31.6, // 2359296 / (2359296 + 5111808) = 31.58 %, rounded up like df
    inodesTotal: 1_966_080,
    inodesUsed: 166_080,
    inodesUsedPct: 8.4,
    alsoMountedAt: ['/var/www'],
  });
  const efi = r.filesystems.find((f) => f.mount === '/boot/efi')!;
  assert.equal(efi.sizeBytes, 130_013_184); // 253932 × 512
  assert.equal(efi.usedBytes, 6_621_184);
  assert.equal(efi.usedPct, 5.1); // 12932 / 253932 = 5.09 %
  assert.equal(efi.inodesTotal, null); // vfat reports 0 inodes: unknown
  assert.equal(efi.inodesUsedPct, null);
  const backup = r.filesystems.find((f) => f.mount === '/mnt/backup disk')!;
  assert.equal(backup.device, '/dev/vdb1');
  assert.equal(backup.usedPct, 25); // 6214400 / 24904400 = 24.95 %
  const run = r.filesystems.find((f) => f.mount === '/run')!;
  assert.equal(run.category, 'memory');
  assert.equal(run.usedBytes, 1_310_720);
  assert.equal(run.usedPct, 0.2); // 320 / 203261 = 0.157 %
  assert.equal(r.filesystems.find((f) => f.mount === '/dev/shm')!.usedPct, 0);
  const nfs = r.filesystems.find((f) => f.mount === '/mnt/nfs')!;
  assert.equal(nfs.category, 'network');
  assert.equal(nfs.sizeBytes, null); // statfs skipped: could hang on a dead server
  assert.ok(r.warnings.includes('statfs /mnt/nfs: skipped (network filesystem)'));
});

test('idle: statfsNetwork and includePseudo', () => {
  const net = readFilesystems(ctxFor('idle'), { statfsNetwork: true, mount: '/mnt/nfs' });
  assert.equal(net.filesystems.length, 1);
  assert.equal(net.filesystems[0]!.sizeBytes, 1_048_576_000_000);
  assert.equal(net.filesystems[0]!.usedPct, 60);
  const all = readFilesystems(ctxFor('idle'), { includePseudo: true });
  assert.equal(all.filesystems.length, 15); // 16 lines, /var/www folded into /
  assert.equal(all.hiddenPseudoCount, 0);
  const proc = all.filesystems.find((f) => f.mount === '/proc')!;
  assert.equal(proc.pseudo, true);
  assert.equal(proc.category, 'pseudo');
  assert.equal(proc.sizeBytes, null);
  const snap = all.filesystems.find((f) => f.mount === '/snap/core20/2105')!;
  assert.equal(snap.category, 'image');
  assert.equal(snap.readOnly, true);
  assert.equal(all.filesystems.find((f) => f.mount === '/sys/fs/cgroup')!.pseudo, true);
});

test('busy: nearly-full filesystems', () => {
  const r = readFilesystems(ctxFor('busy'));
  assert.deepEqual(r.filesystems.map((f) => f.mount), ['/dev/shm', '/', '/run', '/var/lib/postgresql']);
  assert.equal(r.hiddenPseudoCount, 10);
  const pg = r.filesystems.find((f) => f.mount === '/var/lib/postgresql')!;
  assert.equal(pg.fsType, 'xfs');
  assert.equal(pg.device, '/dev/nvme1n1');
  assert.equal(pg.sizeBytes, 536_870_912_000);
  assert.equal(pg.usedBytes, 534_003_712_000);
  assert.equal(pg.availBytes, 2_867_200_000);
  assert.equal(pg.usedPct, 99.5); // 130372000 / 131072000 = 99.466 %
  assert.equal(pg.inodesUsed, 128_800);
  assert.equal(pg.inodesUsedPct, 0.2);
  const root = r.filesystems.find((f) => f.mount === '/')!;
  assert.equal(root.usedBytes, 92_771_295_232);
  assert.equal(root.availBytes, 5_153_959_936);
  assert.equal(root.usedPct, 94.8); // 22649242 / 23907533 = 94.737 % (reserved blocks excluded, like df)
  assert.equal(root.inodesUsedPct, 20.5);
  assert.equal(r.filesystems.find((f) => f.mount === '/dev/shm')!.usedPct, 3.3);
});

test('container-v2: overlay root is real, docker bind mounts folded into one entry', () => {
  const r = readFilesystems(ctxFor('container-v2'));
  assert.deepEqual(r.filesystems.map((f) => f.mount), ['/', '/dev', '/dev/shm', '/etc/hosts', '/data']);
  assert.equal(r.hiddenPseudoCount, 7);
  const root = r.filesystems[0]!;
  assert.equal(root.fsType, 'overlay');
  assert.equal(root.category, 'disk');
  assert.equal(root.sizeBytes, 134_739_275_776);
  assert.equal(root.usedPct, 73.4); // 22895331 / 31217331 = 73.34 %
  assert.equal(root.inodesUsedPct, 12.5); // 1048576 / 8388608
  const hosts = r.filesystems.find((f) => f.mount === '/etc/hosts')!;
  assert.deepEqual(hosts.alsoMountedAt, ['/etc/resolv.conf', '/etc/hostname']);
  const data = r.filesystems.find((f) => f.mount === '/data')!;
  assert.equal(data.usedPct, 52.7); // 1310720 / 2490368 = 52.63 %
  assert.equal(data.usedBytes, 5_368_709_120);
  // Asking for a folded bind mount finds its representative
  assert.deepEqual(readFilesystems(ctxFor('container-v2'), { mount: '/etc/resolv.conf' }).filesystems.map((f) => f.mount), ['/etc/hosts']);
});

test('maxMounts caps the list and reports truncation', () => {
  const r = readFilesystems(ctxFor('idle'), { maxMounts: 2 });
  assert.equal(r.filesystems.length, 2);
  assert.deepEqual(r.truncated, { returned: 2, total: 6 });
});

test('decodeMountField and classifyFilesystem', () => {
  assert.equal(decodeMountField('/mnt/a\\040b\\011c\\134d'), '/mnt/a b\tc\\d');
  assert.equal(classifyFilesystem('tmpfs', '/sys/fs/cgroup'), 'pseudo');
  assert.equal(classifyFilesystem('tmpfs', '/run'), 'memory');
  assert.equal(classifyFilesystem('devtmpfs', '/dev'), 'pseudo');
  assert.equal(classifyFilesystem('overlay', '/'), 'disk');
  assert.equal(classifyFilesystem('fuse.sshfs', '/mnt/x'), 'network');
  assert.equal(classifyFilesystem('squashfs', '/snap/x/1'), 'image');
});

test('garbage mountinfo lines are skipped with a warning; proc/mounts fallback; nothing readable → empty', () => {
  const p = parseMountInfo('garbage\n27 1 254:0 / / rw - ext4 /dev/vda rw\n1 2 3\n');
  assert.equal(p.entries.length, 1);
  assert.equal(p.badLines, 2);
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-fs-'));
  try {
    mkdirSync(join(dir, 'proc'), { recursive: true });
    writeFileSync(join(dir, 'proc/mounts'), '/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\nbroken\n');
    writeFileSync(join(dir, 'statfs.json'), JSON.stringify({ '/': { type: 1, bsize: 1024, blocks: 100, bfree: 50, bavail: 40, files: 10, ffree: 5 } }));
    const r = readFilesystems(createCollectorContext({ root: dir }));
    assert.deepEqual(r.filesystems.map((f) => [f.mount, f.usedPct]), [['/', 55.6]]); // 50 / (50 + 40)
    assert.ok(r.warnings.some((w) => /proc\/mounts: 1 malformed/.test(w)));
    writeFileSync(join(dir, 'statfs.json'), '{ not json');
    const noStat = readFilesystems(createCollectorContext({ root: dir }));
    assert.equal(noStat.filesystems[0]!.sizeBytes, null);
    assert.ok(noStat.warnings.includes('statfs /: unavailable'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const none = readFilesystems(createCollectorContext({ root: '/nonexistent-root' }));
  assert.equal(none.filesystems.length, 0);
  assert.equal(none.warnings.length, 1);
});

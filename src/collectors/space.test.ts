import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollectorContext } from './context.js';
import { deletedOpenTotalBytes, resolveScanPath, scanDeletedOpen, walkSpace } from './space.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A fake root: <R>/tmp/data holds files of known sizes; <R>/etc is outside the allow-list. */
function tree(): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'space-root-'));
  const data = join(root, 'tmp/data');
  mkdirSync(join(data, 'logs/old/deeper'), { recursive: true });
  mkdirSync(join(data, 'cache'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/big'), Buffer.alloc(4 * MiB, 1));
  writeFileSync(join(data, 'logs/app.log'), Buffer.alloc(2 * MiB, 1));
  writeFileSync(join(data, 'logs/old/deeper/ancient.log'), Buffer.alloc(3 * MiB, 1));
  writeFileSync(join(data, 'cache/blob'), Buffer.alloc(1 * MiB, 1));
  linkSync(join(data, 'cache/blob'), join(data, 'cache/blob-hardlink')); // counted once
  writeFileSync(join(data, 'small.txt'), 'x');
  writeFileSync(join(data, 'sparse.img'), '');
  truncateSync(join(data, 'sparse.img'), 1024 * MiB); // 1 GiB apparent, ~0 allocated
  symlinkSync(join(root, 'etc/big'), join(data, 'link-to-big')); // never followed
  symlinkSync(join(root, 'etc'), join(root, 'tmp/escape'));
  return { root, data };
}

/** Allocated size is at least the written size and at most a few blocks more. */
function about(actual: number, written: number, what: string): void {
  assert.ok(actual >= written && actual <= written + 64 * KiB, `${what}: ${actual} vs ${written}`);
}

const far = () => performance.now() + 60_000;

test('allow-list: realpath inside a scan root; outside, symlinked out, missing, relative and file paths refused', () => {
  const { root } = tree();
  try {
    const ctx = createCollectorContext({ root });
    const ok = resolveScanPath(ctx, '/tmp/data', ['/tmp', '/var']);
    assert.ok('abs' in ok);
    assert.equal(ok.host, '/tmp/data');
    const outside = resolveScanPath(ctx, '/etc', ['/tmp', '/var']);
    assert.ok('error' in outside && /outside the directories find_space_hogs may walk; allowed roots: \/tmp, \/var/.test(outside.error), JSON.stringify(outside));
    const link = resolveScanPath(ctx, '/tmp/escape', ['/tmp']);
    assert.ok('error' in link && /^\/tmp\/escape leads outside the directories .*through a symlink/.test(link.error) && !link.error.includes('/etc'), JSON.stringify(link));
    const dots = resolveScanPath(ctx, '/tmp/../etc', ['/tmp']);
    assert.ok('error' in dots && /^\/tmp\/\.\.\/etc is outside the directories/.test(dots.error), JSON.stringify(dots));
    assert.ok('error' in resolveScanPath(ctx, '/tmp/nope', ['/tmp']) && /no such directory/.test((resolveScanPath(ctx, '/tmp/nope', ['/tmp']) as { error: string }).error));
    assert.ok('error' in resolveScanPath(ctx, 'tmp/data', ['/tmp']));
    assert.ok('error' in resolveScanPath(ctx, '/tmp/data/small.txt', ['/tmp']));
    assert.ok('error' in resolveScanPath(ctx, '/tmp/data', []));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('walk: allocated sizes rolled up to depth, deeper files counted, hard links once, symlinks and sparse holes not', async () => {
  const { root, data } = tree();
  try {
    const r = await walkSpace(data, '/tmp/data', { depth: 2, maxFiles: 10_000, deadline: far() });
    const by = new Map(r.entries.map((e) => [e.path, e]));
    about(by.get('/tmp/data/logs')!.sizeBytes, 5 * MiB, 'logs (2 MiB + 3 MiB three levels down)');
    assert.equal(by.get('/tmp/data/logs')!.fileCount, 2);
    about(by.get('/tmp/data/logs/old')!.sizeBytes, 3 * MiB, 'logs/old');
    assert.equal(by.has('/tmp/data/logs/old/deeper'), false, 'level 3 is not listed at depth 2');
    about(by.get('/tmp/data/cache')!.sizeBytes, 1 * MiB, 'cache with a hard link');
    assert.equal(by.get('/tmp/data/cache')!.fileCount, 2);
    assert.ok(by.get('/tmp/data/sparse.img')!.sizeBytes < 64 * KiB, 'sparse file: allocated, not apparent');
    assert.ok(by.get('/tmp/data/link-to-big')!.sizeBytes < 64 * KiB, 'symlink: not followed');
    assert.equal(by.get('/tmp/data/link-to-big')!.type, 'other');
    about(r.totalBytes, 6 * MiB, 'total');
    assert.deepEqual(r.scanned, { files: 11, dirs: 5, complete: true }); // 5 + 2 + 1 + 1 + 2 entries in 5 directories
    assert.equal(r.cut, null);
    assert.ok(r.entries.every((e) => e.complete));
    const d1 = await walkSpace(data, '/tmp/data', { depth: 1, maxFiles: 10_000, deadline: far() });
    assert.deepEqual(d1.entries.map((e) => e.path).sort(), ['/tmp/data/cache', '/tmp/data/link-to-big', '/tmp/data/logs', '/tmp/data/small.txt', '/tmp/data/sparse.img']);
    assert.equal(d1.totalBytes, r.totalBytes);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('walk: file cap and deadline cut it and say so; abort rejects', async () => {
  const { root, data } = tree();
  try {
    mkdirSync(join(data, 'many'));
    for (let i = 0; i < 600; i++) writeFileSync(join(data, 'many', `f${i}`), 'y');
    const capped = await walkSpace(data, '/tmp/data', { depth: 1, maxFiles: 5, deadline: far() });
    assert.equal(capped.cut, 'fileCap');
    assert.equal(capped.scanned.files, 5);
    assert.equal(capped.scanned.complete, false);
    assert.match(capped.warnings.join('\n'), /cap of 5 entries/);
    const late = await walkSpace(data, '/tmp/data', { depth: 1, maxFiles: 10_000, deadline: 0 });
    assert.equal(late.cut, 'timeout');
    assert.equal(late.scanned.complete, false);
    assert.ok(late.scanned.files < 614, String(late.scanned.files));
    assert.ok(late.entries.some((e) => !e.complete));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(walkSpace(data, '/tmp/data', { depth: 1, maxFiles: 10_000, deadline: far(), signal: ac.signal }), (e: Error) => e.name === 'AbortError');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('walk: mount points below the start are not crossed (/dev and its own mounts)', async () => {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && /^\/dev\/[^/]+$/.test(m));
  assert.ok(mounts.length > 0, 'this Linux host has a filesystem mounted directly below /dev (pts, shm, mqueue)');
  const r = await walkSpace('/dev', '/dev', { depth: 1, maxFiles: 50_000, deadline: far() });
  assert.equal(r.scanned.complete, false);
  assert.match(r.warnings.join('\n'), /not crossed into other filesystems mounted below: .*\/dev\//);
  const sub = r.entries.find((e) => e.path === mounts[0]);
  assert.ok(sub, `${mounts[0]} listed`);
  assert.deepEqual([sub.sizeBytes, sub.complete], [0, false]);
});

test('deleted-open: recorded fd links ending in " (deleted)" (sizes unknown in a tree), memfd ignored', async () => {
  const root = mkdtempSync(join(tmpdir(), 'space-proc-'));
  try {
    mkdirSync(join(root, 'proc/42/fd'), { recursive: true });
    mkdirSync(join(root, 'proc/43'), { recursive: true }); // no fd dir: unreadable
    writeFileSync(join(root, 'proc/42/comm'), 'java\n');
    symlinkSync('/var/log/app.log (deleted)', join(root, 'proc/42/fd/7'));
    symlinkSync('/memfd:jit (deleted)', join(root, 'proc/42/fd/8'));
    symlinkSync('/var/log/live.log', join(root, 'proc/42/fd/9'));
    symlinkSync('socket:[1234]', join(root, 'proc/42/fd/10'));
    const r = await scanDeletedOpen(createCollectorContext({ root }), { maxFds: 100, deadline: far() });
    assert.deepEqual(r.files, [{ pid: 42, comm: 'java', fd: 7, path: '/var/log/app.log', sizeBytes: null, inode: null }]);
    assert.deepEqual([r.processes, r.fds, r.unreadable, r.complete], [1, 4, 1, true]);
    const capped = await scanDeletedOpen(createCollectorContext({ root }), { maxFds: 2, deadline: far() });
    assert.equal(capped.complete, false);
    assert.equal(deletedOpenTotalBytes([
      { pid: 1, comm: null, fd: 3, path: '/a', sizeBytes: 100, inode: '1:5' },
      { pid: 2, comm: null, fd: 4, path: '/a', sizeBytes: 100, inode: '1:5' },
      { pid: 2, comm: null, fd: 5, path: '/b', sizeBytes: 7, inode: '1:6' },
      { pid: 2, comm: null, fd: 6, path: '/c', sizeBytes: null, inode: null },
    ]), 107);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

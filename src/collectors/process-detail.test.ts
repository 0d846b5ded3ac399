import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyFdTarget,
  countProcessFds,
  enrichProcess,
  formatCmdline,
  parseFdLimit,
  parseLimitsTable,
  parsePasswd,
  parseProcIo,
  parseStatusDetail,
  readEnvNames,
  summarizeFdTargets,
  unitFromCgroupPath,
  userNameForUid,
} from './process-detail.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('enrichProcess: idle self process', () => {
  assert.deepEqual(enrichProcess(ctxFor('idle'), 4242), {
    pid: 4242,
    fdCount: 7,
    fdLimit: 20000,
    cmdline: 'node /opt/hostlens/dist/cli.js serve --port 8722',
    cmdlineRedactions: 0,
    uid: 1000,
    user: 'app',
    swapBytes: 0,
    warnings: [],
  });
  assert.equal(enrichProcess(ctxFor('idle'), 611)!.user, 'www-data');
  assert.equal(enrichProcess(ctxFor('idle'), 1)!.fdLimit, 1073741816);
});

test('enrichProcess: busy — padded argv, odd comm, long cmdline clipped, missing fd dir', () => {
  const ctx = ctxFor('busy');
  const pg = enrichProcess(ctx, 812)!;
  assert.equal(pg.cmdline, 'postgres: 14/main: checkpointer'); // trailing NULs dropped
  assert.equal(pg.fdCount, 12);
  assert.equal(pg.fdLimit, 1024);
  assert.equal(pg.user, 'postgres');
  assert.equal(enrichProcess(ctx, 4077)!.cmdline, './my) weird (process --flag');
  assert.equal(enrichProcess(ctx, 4242)!.user, 'hostlens');
  assert.equal(pg.swapBytes, 104_857_600); // VmSwap 102400 kB
  const java = enrichProcess(ctx, 2231)!;
  // argv joined = 716 chars; default clip 512 → 204 hidden
  assert.equal(java.cmdline!.length, 512 + '…[+204 chars]'.length);
  assert.ok(java.cmdline!.startsWith('/usr/lib/jvm/java-17-openjdk-amd64/bin/java -Xms4g -Xmx4g'));
  assert.ok(java.cmdline!.endsWith('orders.shard.05.url=jdbc:postg…[+204 chars]'));
  assert.equal(java.fdCount, null); // no fd/ dir in the fixture (as with EACCES on a live host)
  assert.deepEqual(java.warnings, ['proc/2231/fd: ENOENT']);
  assert.equal(enrichProcess(ctx, 2231, { maxCmdlineChars: 40 })!.cmdline, '/usr/lib/jvm/java-17-openjdk-amd64/bin/j…[+676 chars]');
  const kthread = enrichProcess(ctx, 2)!;
  assert.equal(kthread.cmdline, null); // kernel threads have an empty cmdline
  assert.equal(kthread.user, 'root');
  assert.equal(kthread.swapBytes, null); // kernel threads have no Vm* lines
});

test('enrichProcess: gone pid and reused pid → null', () => {
  assert.equal(enrichProcess(ctxFor('busy'), 99999), null);
  // pid 5120 in busy-later is a different process (start 25920500) than the one scanned in busy (25915000)
  assert.equal(enrichProcess(ctxFor('busy-later'), 5120, { startTimeTicks: 25915000 }), null);
  assert.notEqual(enrichProcess(ctxFor('busy-later'), 5120, { startTimeTicks: 25920500 }), null);
});

test('helpers: parseFdLimit, formatCmdline, parsePasswd, unknown uid', () => {
  assert.equal(parseFdLimit('Max open files            unlimited            unlimited            files'), null);
  assert.equal(parseFdLimit('garbage'), null);
  assert.equal(formatCmdline('\0\0', 100), null);
  assert.equal(formatCmdline('a\0b c\0', 100), 'a b c');
  assert.equal(formatCmdline('abcdef', 3, 10), 'abc…[+13 chars]');
  const p = parsePasswd('# comment\nroot:x:0:0::/root:/bin/sh\nbroken\nalso:x:notanumber\n');
  assert.deepEqual([...p], [[0, 'root']]);
  assert.equal(userNameForUid(ctxFor('idle'), 4711), null);
});

test('countProcessFds: readdir of proc/[pid]/fd, null when absent', () => {
  assert.equal(countProcessFds(ctxFor('busy'), 812), 12);
  assert.equal(countProcessFds(ctxFor('container-v2'), 7), 10);
  assert.equal(countProcessFds(ctxFor('busy'), 2231), null);
  assert.equal(countProcessFds(ctxFor('busy'), 99999), null);
});

test('classifyFdTarget / summarizeFdTargets: kinds and socket inodes', () => {
  const s = summarizeFdTargets(['/dev/null', 'socket:[40213]', 'pipe:[1]', 'anon_inode:[eventpoll]', 'anon_inode:inotify', '/var/log/x (deleted)', 'net:[4026531840]', 'socket:[7]']);
  assert.deepEqual(s.byType, { socket: 2, file: 2, pipe: 1, anon: 2, other: 1 });
  assert.deepEqual(s.socketInodes, [40213, 7]);
  assert.equal(s.classified, 8);
  assert.equal(classifyFdTarget('socket:[x]'), 'socket');
});

test('parseLimitsTable: soft/hard with units, unlimited → null, unit-less rows, garbage skipped', () => {
  const text = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max stack size            8388608              unlimited            bytes     ',
    'Max open files            1024                 4096                 files     ',
    'Max nice priority         0                    0                    ',
    'Max realtime timeout      unlimited            unlimited            us        ',
    'this is not a limit',
    'Max open files            lots                 4096                 files',
  ].join('\n');
  const r = parseLimitsTable(text);
  assert.deepEqual(r.limits, [
    { name: 'Max cpu time', soft: null, hard: null, unit: 'seconds' },
    { name: 'Max stack size', soft: 8388608, hard: null, unit: 'bytes' },
    { name: 'Max open files', soft: 1024, hard: 4096, unit: 'files' },
    { name: 'Max nice priority', soft: 0, hard: 0, unit: '' },
    { name: 'Max realtime timeout', soft: null, hard: null, unit: 'us' },
  ]);
  assert.equal(r.badLines, 2);
  assert.deepEqual(parseLimitsTable(''), { limits: [], badLines: 0 });
});

// Linear on hostile input: a backtracking regex took ~1 s at 16,000 spaces and grows quadratically, so at 200,000
// it would run for minutes. A synchronous parse cannot be interrupted by a test timeout, so it runs in a child
// process whose kill is the hang guard (30 s, far above the milliseconds a linear parse takes).
test('parseLimitsTable: linear on hostile input', { timeout: 60_000 }, (t) => {
  const module = JSON.stringify(new URL('./process-detail.ts', import.meta.url).href);
  const code =
    `const { parseLimitsTable } = await import(${module});` +
    'const t0 = performance.now();' +
    "const r = parseLimitsTable(`hdr\\na${' '.repeat(200_000)}x\\nMax${' 1'.repeat(100_000)} y\\n`);" +
    'process.stdout.write(JSON.stringify({ badLines: r.badLines, limits: r.limits.length, ms: performance.now() - t0 }));';
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  assert.equal(child.signal, null, 'the parse did not finish before the hang guard killed it');
  assert.equal(child.status, 0, child.stderr);
  const hostile = JSON.parse(child.stdout) as { badLines: number; limits: number; ms: number };
  t.diagnostic(`parsed in ${Math.round(hostile.ms)} ms`);
  assert.equal(hostile.badLines, 1);
  assert.equal(hostile.limits, 1, 'many numbers: the last two are soft/hard, the rest is the (odd) name');
});

test('parseStatusDetail, parseProcIo, unitFromCgroupPath', () => {
  const st = parseStatusDetail('Name:\tapi\nState:\tS (sleeping)\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t   20000 kB\nVmSwap:\t  512 kB\nThreads:\t8\nvoluntary_ctxt_switches:\t100\nnonvoluntary_ctxt_switches:\t5\n');
  assert.deepEqual(st, { name: 'api', state: 'S (sleeping)', ppid: 1, uid: 1000, threads: 8, rssBytes: 20_480_000, swapBytes: 524_288, voluntaryCtxSwitches: 100, involuntaryCtxSwitches: 5 });
  const kthread = parseStatusDetail('Name:\tkworker/0:1\nState:\tI (idle)\nPPid:\t2\nVmRSS:\tgarbage kB\n');
  assert.deepEqual([kthread.rssBytes, kthread.swapBytes, kthread.uid, kthread.threads], [null, null, null, null]);
  assert.deepEqual(parseProcIo('rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\nwrite_bytes: 106496\ncancelled_write_bytes: 0\n'), { readBytes: 4096, writeBytes: 106496 });
  assert.equal(parseProcIo('rchar: 1\n'), null);
  assert.equal(unitFromCgroupPath('/system.slice/nginx.service'), 'nginx.service');
  assert.equal(unitFromCgroupPath('/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service'), 'foo.service');
  assert.equal(unitFromCgroupPath('/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope'), 'user@1000.service');
  assert.equal(unitFromCgroupPath('/system.slice/docker-abc.scope'), null);
  assert.equal(unitFromCgroupPath('/'), null);
  assert.equal(unitFromCgroupPath(null), null);
});

test('readEnvNames: names only, values never surface; caps, partial last entry, odd entries, missing file', () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-env-'));
  try {
    mkdirSync(join(root, 'proc/77'), { recursive: true });
    writeFileSync(join(root, 'proc/77/environ'), 'PATH=/usr/bin\0SECRET_TOKEN=plantedvalue123\0EMPTY=\0no-equals-sign\0=novalue\0B=2\0PATH=/dup\0');
    const ctx = createCollectorContext({ root });
    const r = readEnvNames(ctx, 77, 100);
    assert.deepEqual(r, { names: ['B', 'EMPTY', 'PATH', 'SECRET_TOKEN'], total: 5, error: null, truncated: false });
    assert.ok(!JSON.stringify(r).includes('plantedvalue123'));
    assert.deepEqual(readEnvNames(ctx, 77, 2).names, ['PATH', 'SECRET_TOKEN'], 'the first names up to the cap, then sorted');
    // a byte cap inside the second entry: the partial entry is dropped
    assert.deepEqual(readEnvNames(ctx, 77, 100, 20), { names: ['PATH'], total: 1, error: null, truncated: true });
    assert.equal(readEnvNames(ctx, 78, 100).error, 'ENOENT');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

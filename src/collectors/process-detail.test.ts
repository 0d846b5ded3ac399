import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { countProcessFds, enrichProcess, formatCmdline, parseFdLimit, parsePasswd, userNameForUid } from './process-detail.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('enrichProcess: idle self process', () => {
  assert.deepEqual(enrichProcess(ctxFor('idle'), 4242), {
    pid: 4242,
    fdCount: 7,
    fdLimit: 20000,
    cmdline: 'node /opt/hostlens/dist/cli.js serve --port 8722',
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
